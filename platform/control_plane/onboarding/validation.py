"""What makes an application acceptable: the tenant registry's own rules (subdomain format and reserved names,
GB/T 2260 region codes and the kind's level) plus what only sign-up knows (taken by another application, the
same organisation twice, one pending application per person). Used by the form and again by the service."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django_tenants.utils import schema_exists

from control_plane.onboarding.models import HOLDING_STATUSES, PENDING_STATUSES, SIGNUP_KINDS, SignupRequest
from tenants.models import Domain, Tenant, TenantKind
from tenants.services import tenant_domain_name
from tenants.validators import (
    control_characters_message,
    has_control_characters,
    region_level,
    validate_region_code,
    validate_slug,
)

# Mainland mobile numbers, or landlines with their area code (an extension may follow).
PHONE_PATTERN = re.compile(r"^(?:\+?86)?(?:1[3-9]\d{9}|0\d{2,3}\d{7,8}(?:\d{1,6})?)$")


def phone_normalise(value: str) -> str:
    return re.sub(r"[\s\-()（）]", "", value or "")


def phone_validate(value: str) -> None:
    if not PHONE_PATTERN.match(phone_normalise(value)):
        raise ValidationError(
            _("Enter a mobile number (11 digits) or a landline with its area code, e.g. 020-12345678."),
            code="invalid_phone",
        )


def region_for_kind_errors(*, kind: str, region_code: str) -> list[str]:
    """The region code's own format, then its level against the kind (a city needs a city-level code)."""
    try:
        validate_region_code(region_code)
    except ValidationError as exc:
        return list(exc.messages)
    if (
        kind in (TenantKind.PROVINCE, TenantKind.CITY, TenantKind.COUNTY)
        and region_level(region_code) != kind
    ):
        return [
            _("Region code %(code)s is not a %(kind)s-level code.")
            % {"code": region_code, "kind": TenantKind(kind).label}
        ]
    return []


def slug_errors(slug: str, *, exclude_request_id: int | None = None) -> list[str]:
    try:
        validate_slug(slug)
    except ValidationError as exc:
        return list(exc.messages)
    held = SignupRequest.objects.filter(slug=slug, status__in=HOLDING_STATUSES)
    if exclude_request_id is not None:
        held = held.exclude(pk=exclude_request_id)
    if (
        Tenant.objects.filter(slug=slug).exists()
        or Domain.objects.filter(domain=tenant_domain_name(slug)).exists()
        or held.exists()
        or schema_exists(slug)
    ):
        return [_("The subdomain “%(slug)s” is already taken.") % {"slug": slug}]
    return []


def organisation_errors(*, name: str, region_code: str, exclude_request_id: int | None = None) -> list[str]:
    held = SignupRequest.objects.filter(
        organisation_name=name, region_code=region_code, status__in=HOLDING_STATUSES
    )
    if exclude_request_id is not None:
        held = held.exclude(pk=exclude_request_id)
    if Tenant.objects.filter(name=name, region_code=region_code).exists() or held.exists():
        return [
            _(
                "“%(name)s” in region %(code)s already has a workspace or an application in progress. "
                "Ask its administrator to invite you instead."
            )
            % {"name": name, "code": region_code}
        ]
    return []


def pending_request_of(requester) -> SignupRequest | None:
    return SignupRequest.objects.filter(requester=requester, status__in=PENDING_STATUSES).first()


def requester_limit_error(requester, *, exclude_request_id: int | None = None) -> str | None:
    """One account may hold at most ONBOARDING_MAX_WORKSPACES_PER_REQUESTER (default 3) workspaces and
    applications in progress together: self-registration must not mint tenants without end."""
    limit = getattr(settings, "ONBOARDING_MAX_WORKSPACES_PER_REQUESTER", 3)
    held = SignupRequest.objects.filter(requester=requester, status__in=HOLDING_STATUSES)
    if exclude_request_id is not None:
        held = held.exclude(pk=exclude_request_id)
    if held.count() < limit:
        return None
    return _(
        "One account may hold at most %(n)s workspaces and applications in progress, and yours has reached "
        "that. To set up another workspace, ask the national team (国家平台运营团队)."
    ) % {"n": limit}


def chosen_reseller(value):
    """The active reseller an application names (an instance or its id), or None."""
    from billing.models import Reseller

    if value in (None, ""):
        return None
    pk = value.pk if isinstance(value, Reseller) else value
    try:
        return Reseller.objects.filter(pk=int(pk), is_active=True).first()
    except (TypeError, ValueError):
        return None


def application_validate(*, requester, data: dict) -> dict:
    """Cleaned values, or a ValidationError naming the fields (the whole application under None)."""
    errors: dict[str, list[str]] = {}
    cleaned = {
        "organisation_name": (data.get("organisation_name") or "").strip(),
        "kind": (data.get("kind") or "").strip(),
        "region_code": (data.get("region_code") or "").strip(),
        "slug": (data.get("slug") or "").strip().lower(),
        "contact_name": (data.get("contact_name") or "").strip(),
        "contact_phone": phone_normalise(data.get("contact_phone") or ""),
        "contact_email": (data.get("contact_email") or "").strip().lower(),
    }
    if pending_request_of(requester) is not None:
        errors.setdefault("__all__", []).append(
            _(
                "You already have an application in progress. Follow it on its page; you can apply again "
                "once it is decided."
            )
        )
    elif (limit_error := requester_limit_error(requester)) is not None:
        errors.setdefault("__all__", []).append(limit_error)
    name = cleaned["organisation_name"]
    if not name:
        errors.setdefault("organisation_name", []).append(_("Enter the organisation's name."))
    elif len(name) > 200:
        errors.setdefault("organisation_name", []).append(_("The name is longer than 200 characters."))
    elif has_control_characters(name):  # it becomes the tenant's name: e-mail headers, page titles
        errors.setdefault("organisation_name", []).append(control_characters_message(_("Organisation name")))
    if cleaned["kind"] not in SIGNUP_KINDS:
        errors.setdefault("kind", []).append(
            _("Choose one of: %(kinds)s.")
            % {"kinds": "、".join(str(TenantKind(k).label) for k in SIGNUP_KINDS)}
        )
    else:
        errors_region = region_for_kind_errors(kind=cleaned["kind"], region_code=cleaned["region_code"])
        if errors_region:
            errors.setdefault("region_code", []).extend(errors_region)
    slug_problems = slug_errors(cleaned["slug"])
    if slug_problems:
        errors.setdefault("slug", []).extend(slug_problems)
    if name and "region_code" not in errors:
        duplicate = organisation_errors(name=name, region_code=cleaned["region_code"])
        if duplicate:
            errors.setdefault("organisation_name", []).extend(duplicate)
    if not cleaned["contact_name"]:
        errors.setdefault("contact_name", []).append(_("Enter the name of the person we can contact."))
    try:
        phone_validate(cleaned["contact_phone"])
    except ValidationError as exc:
        errors.setdefault("contact_phone", []).extend(exc.messages)
    email = cleaned["contact_email"]
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        errors.setdefault("contact_email", []).append(_("Enter a valid e-mail address."))
    cleaned["reseller"] = chosen_reseller(data.get("reseller"))
    if data.get("reseller") not in (None, "") and cleaned["reseller"] is None:
        errors.setdefault("reseller", []).append(_("Choose one of the resellers listed, or none."))
    if errors:
        raise ValidationError(errors)
    return cleaned
