"""Writes on the tenant registry: provisioning new tenants and the control plane's own row."""

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _
from django_tenants.clone import CloneSchema
from django_tenants.utils import schema_context, schema_exists

from tenants.accounts.actors import Actor
from tenants.accounts.roles import Role
from tenants.accounts.services import audit_record, user_create
from tenants.models import Domain, Tenant, TenantKind, TenantStatus
from tenants.template import template_script_for, template_snapshot_refresh
from tenants.validators import NATIONAL_REGION_CODE, region_level, validate_region_code, validate_slug


class ProvisioningError(ValidationError):
    """Bad provisioning input; `message_dict` names the offending fields."""


@dataclass(frozen=True)
class ProvisionResult:
    tenant: Tenant
    admin_email: str
    admin_password: str | None  # only when generated here, to be shown once
    created: bool


def _slug_taken(slug: str) -> ProvisioningError:
    message = _("The subdomain “%(slug)s” is already taken.") % {"slug": slug}
    return ProvisioningError({"slug": [ValidationError(message, code="taken")]})


def tenant_domain_name(slug: str) -> str:
    return f"{slug}.{settings.BASE_DOMAIN}"


def _validate(
    *, slug: str, name: str, kind: str, region_code: str, parent: Tenant | None, admin_email: str
) -> None:
    errors: dict[str, list[str]] = {}

    def check(field: str, validator, value) -> None:
        try:
            validator(value)
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.messages)

    check("slug", validate_slug, slug)
    check("region_code", validate_region_code, region_code)
    if not name.strip():
        errors.setdefault("name", []).append(_("Enter the organisation's name."))
    elif len(name) > 200:
        errors.setdefault("name", []).append(_("The name is longer than 200 characters."))
    if kind not in TenantKind.values:
        errors.setdefault("kind", []).append(
            _("Choose one of: %(kinds)s.") % {"kinds": ", ".join(TenantKind.values)}
        )
    elif "region_code" not in errors and kind in {"province", "city", "county"}:
        if region_level(region_code) != kind:
            errors.setdefault("region_code", []).append(
                _("Region code %(code)s is not a %(kind)s-level code.")
                % {"code": region_code, "kind": TenantKind(kind).label}
            )
    elif kind == TenantKind.NATIONAL and region_code != NATIONAL_REGION_CODE:
        errors.setdefault("region_code", []).append(_("A national tenant uses region code 100000."))
    if "@" not in admin_email or len(admin_email) > 254:
        errors.setdefault("admin_email", []).append(
            _("Enter a valid e-mail address for the first administrator.")
        )
    if parent is not None and parent.is_control_plane:
        errors.setdefault("parent", []).append(_("The control plane cannot be a parent tenant."))
    if errors:
        raise ProvisioningError(errors)


def template_clone(schema: str) -> None:
    """Replay the template's snapshot under `schema` (fast path), else django-tenants' clone_schema."""
    script = template_script_for(schema)
    if script is None:
        CloneSchema().clone_schema(settings.TENANT_BASE_SCHEMA, schema, set_connection=False)
        return
    with connection.cursor() as cursor:
        cursor.execute(script)


def tenant_template_ensure() -> None:
    """Create and migrate the template schema when it is missing (migrate_schemas keeps it current)."""
    if not schema_exists(settings.TENANT_BASE_SCHEMA):
        from django.core.management import call_command

        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{settings.TENANT_BASE_SCHEMA}"')
        call_command(
            "migrate_schemas",
            schema_name=settings.TENANT_BASE_SCHEMA,
            tenant=True,
            interactive=False,
            verbosity=0,
        )
        template_snapshot_refresh()


def tenant_provision(
    *,
    actor: Actor,
    slug: str,
    name: str,
    kind: str,
    region_code: str,
    admin_email: str,
    admin_password: str | None = None,
    parent: Tenant | None = None,
    reseller=None,
    status: str = TenantStatus.TRIAL,
) -> ProvisionResult:
    """Create a tenant: registry row, domain, schema cloned from the template and first admin, all or nothing.

    Re-running with the same slug, name, kind and region is safe and returns the existing tenant;
    a slug taken by another organisation, or one being provisioned concurrently, is refused clearly.
    """
    slug, name, admin_email = slug.strip().lower(), name.strip(), admin_email.strip().lower()
    _validate(
        slug=slug, name=name, kind=kind, region_code=region_code, parent=parent, admin_email=admin_email
    )
    tenant_template_ensure()
    with transaction.atomic():
        return _provision_in_transaction(
            actor=actor,
            slug=slug,
            name=name,
            kind=kind,
            region_code=region_code,
            admin_email=admin_email,
            admin_password=admin_password,
            parent=parent,
            reseller=reseller,
            status=status,
        )


def _provision_in_transaction(
    *, actor, slug, name, kind, region_code, admin_email, admin_password, parent, reseller, status
) -> ProvisionResult:

    existing = Tenant.objects.filter(slug=slug).first()
    if existing is not None:
        if (existing.name, existing.kind, existing.region_code) != (name, kind, region_code):
            raise _slug_taken(slug)
        return ProvisionResult(tenant=existing, admin_email=admin_email, admin_password=None, created=False)
    if Domain.objects.filter(domain=tenant_domain_name(slug)).exists():
        raise ProvisioningError(
            {"slug": [_("The domain %(domain)s is already in use.") % {"domain": tenant_domain_name(slug)}]}
        )
    if schema_exists(slug):
        raise ProvisioningError(
            {"slug": [_("A database schema named “%(slug)s” already exists.") % {"slug": slug}]}
        )

    tenant = Tenant(
        schema_name=slug,
        slug=slug,
        name=name,
        kind=kind,
        region_code=region_code,
        parent=parent,
        reseller=reseller,
        status=status,
    )
    try:
        with transaction.atomic():
            tenant.save()
            Domain.objects.create(domain=tenant_domain_name(slug), tenant=tenant, is_primary=True)
    except IntegrityError as exc:
        # A concurrent provisioning of the same slug committed first (the unique index made us wait for it).
        raise _slug_taken(slug) from exc

    # Clone the template's tables, sequences, constraints and rows (django_migrations included): the new
    # schema is born migrated, in this same transaction, so a failure leaves nothing behind.
    template_clone(slug)
    password = admin_password or secrets.token_urlsafe(12)
    with schema_context(slug):
        admin = user_create(actor=actor, email=admin_email, role=Role.TENANT_ADMIN, password=password)
    connection.set_schema_to_public()
    audit_record(
        actor=actor,
        action="tenant.provision",
        target=tenant,
        data={"slug": slug, "kind": kind, "region_code": region_code, "admin_user_id": admin.pk},
    )
    return ProvisionResult(
        tenant=tenant,
        admin_email=admin_email,
        admin_password=None if admin_password else password,
        created=True,
    )


def control_plane_ensure(*, name: str = "好差评 Cloud") -> Tenant:
    """The public schema's own Tenant row and its domain (django-tenants routes the base domain to it)."""
    tenant, _created = Tenant.objects.get_or_create(
        schema_name="public",
        defaults={
            "slug": "public",
            "name": name,
            "kind": TenantKind.NATIONAL,
            "region_code": NATIONAL_REGION_CODE,
            "status": TenantStatus.ACTIVE,
        },
    )
    for host in {settings.BASE_DOMAIN, "127.0.0.1"}:
        Domain.objects.get_or_create(
            domain=host, defaults={"tenant": tenant, "is_primary": host == settings.BASE_DOMAIN}
        )
    return tenant
