"""What a tenant's plan allows, checked in one place: `entitlement_check` is called by the services that
create halls, windows, devices, staff accounts, API keys, reports and by the portal and the national feed.

Billing state never blocks citizens: nothing on the evaluation intake path or in the closed loop calls this.
With billing disabled (no STRIPE_API_KEY) every tenant is on BILLING_DEFAULT_PLAN.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tenants.utils import schema_context

from billing.models import Plan, Subscription, SubscriptionStatus

# feature -> (Plan field, label). Counted features have a `max_*` limit; the others are switches.
COUNTED = {
    "halls": ("max_halls", gettext_lazy("halls")),
    "windows": ("max_windows", gettext_lazy("windows")),
    "devices": ("max_devices", gettext_lazy("rating devices")),
    "staff": ("max_staff", gettext_lazy("staff seats")),
}
SWITCHES = {
    "api": ("api_access", gettext_lazy("API access")),
    "reports": ("reports", gettext_lazy("reports")),
    "portal": ("public_portal", gettext_lazy("the public portal")),
    "national_feed": ("national_feed", gettext_lazy("national feed participation")),
}
UPGRADE_PATH = "/billing/"


class LimitMessage(str):
    """The text of a refusal. Plain text everywhere (API problems, import job messages, logs); in a template it
    renders with a link to the upgrade path (`__html__`, which Django's escaping honours), so every page that
    shows a service's ValidationError on its form links to the billing page without knowing about billing."""

    def __str__(self) -> str:  # str() keeps the subclass (as SafeString does), so forms pass it on intact
        return self

    def __html__(self) -> str:
        return format_html(
            '{} <a class="upgrade-link" href="{}">{}</a>',
            str.__str__(self),
            UPGRADE_PATH,
            _("See the plans and upgrade"),
        )


class EntitlementExceeded(ValidationError):
    """Raised by `entitlement_check`; its message names the limit, the plan and the upgrade path.

    Shaped as a non-field error ({"__all__": [message]}) so that views reading `message_dict` and views
    reading `messages` both show it at the top of their form. `code` is "entitlement"."""

    def __init__(
        self,
        message: str,
        *,
        feature: str,
        limit: int | None,
        plan: Plan | None = None,
        used: int | None = None,
    ):
        super().__init__({NON_FIELD_ERRORS: [ValidationError(LimitMessage(message), code="entitlement")]})
        self.code = "entitlement"
        self.feature = feature
        self.limit = limit
        self.plan = plan
        self.used = used

    @property
    def text(self) -> str:
        return str.__str__(self.messages[0])


@dataclass(frozen=True)
class Entitlements:
    plan: Plan
    billing_enabled: bool
    status: str

    def limit(self, feature: str) -> int | None:
        return getattr(self.plan, COUNTED[feature][0])

    def allows(self, feature: str) -> bool:
        return bool(getattr(self.plan, SWITCHES[feature][0]))


def billing_enabled() -> bool:
    return bool(settings.STRIPE_API_KEY)


def _plan(code: str) -> Plan:
    return Plan.objects.get(code=code)


def subscription_for(tenant) -> Subscription:
    """The tenant's subscription, created on first use: the trial plan when billing is enabled (trialing until
    the plan's trial days end), the configured default plan otherwise."""
    subscription = Subscription.objects.select_related("plan").filter(tenant=tenant).first()
    if subscription is not None:
        return subscription
    trial_ends_at = None
    if billing_enabled():
        plan = _plan(settings.BILLING_TRIAL_PLAN)
        status = SubscriptionStatus.TRIALING
        # the trial runs from the first use; billing.services.dunning_advance ends it (read-only until a plan)
        trial_ends_at = timezone.now() + timedelta(days=plan.trial_days)
    else:
        plan = _plan(settings.BILLING_DEFAULT_PLAN)
        status = SubscriptionStatus.ACTIVE
    subscription, _created = Subscription.objects.get_or_create(
        tenant=tenant, defaults={"plan": plan, "status": status, "trial_ends_at": trial_ends_at}
    )
    return Subscription.objects.select_related("plan").get(pk=subscription.pk)


def entitlements_for(tenant) -> Entitlements:
    if not billing_enabled():
        return Entitlements(
            plan=_plan(settings.BILLING_DEFAULT_PLAN), billing_enabled=False, status=SubscriptionStatus.ACTIVE
        )
    subscription = subscription_for(tenant)
    return Entitlements(plan=subscription.plan, billing_enabled=True, status=subscription.status)


def support_email_suffix() -> str:
    from control_plane.console.gate import SUPPORT_EMAIL_DOMAIN

    return f"@{SUPPORT_EMAIL_DOMAIN}"


def takes_no_seat(email: str) -> bool:
    """Platform support's read-only accounts (support-<grant>@support.invalid) take no staff seat."""
    return email.lower().endswith(support_email_suffix())


def usage_count(feature: str) -> int:
    """How much of a counted feature the current tenant schema uses (called inside the tenant's schema)."""
    from tenants.accounts.models import ApiKey, User
    from tenants.accounts.roles import MACHINE_ROLES, Role
    from tenants.organisation.models import Unit, UnitKind

    if feature == "halls":
        return Unit.objects.filter(kind=UnitKind.HALL, active=True).count()
    if feature == "windows":
        return Unit.objects.filter(kind=UnitKind.WINDOW, active=True).count()
    if feature == "devices":
        # Every live device key: the registered devices' keys and any device key made on the API keys page
        # (a kiosk rates like a pad), so the limit cannot be side-stepped by making keys by hand.
        return ApiKey.objects.filter(role=Role.DEVICE, revoked_at__isnull=True).count()
    if feature == "staff":
        return (
            User.objects.filter(is_active=True)
            .exclude(role__in=MACHINE_ROLES)
            .exclude(email__endswith=support_email_suffix())
            .count()
        )
    raise KeyError(feature)


def _tenant_of(tenant):
    """The Tenant row to check: the given one or the connection's. None on the control plane. Inside
    `schema_context` the connection holds a stand-in without a primary key; the row is looked up by schema."""
    from tenants.models import Tenant

    tenant = tenant if tenant is not None else getattr(connection, "tenant", None)
    schema = getattr(tenant, "schema_name", "public")
    if tenant is None or schema == "public":
        return None
    if not isinstance(tenant, Tenant):
        tenant = Tenant.objects.filter(schema_name=schema).first()
    return tenant


def _used(tenant, feature: str) -> int:
    if connection.schema_name == tenant.schema_name:
        return usage_count(feature)
    with schema_context(tenant.schema_name):
        return usage_count(feature)


def entitlement_check(*, tenant=None, feature: str, adding: int = 1) -> None:
    """Refuse (EntitlementExceeded) what the tenant's plan does not allow; `adding` more of a counted feature
    (a whole import batch at once). A switch (api, reports, portal, national_feed) ignores `adding`.

    `tenant` defaults to the connection's current tenant. Raises nothing on the control plane. Never called on
    the evaluation intake path or in the closed loop: citizens can always rate."""
    if feature not in COUNTED and feature not in SWITCHES:
        raise KeyError(feature)
    tenant = _tenant_of(tenant)
    if tenant is None:
        return
    entitlements = entitlements_for(tenant)
    plan = entitlements.plan
    if feature in SWITCHES:
        if entitlements.allows(feature):
            return
        raise EntitlementExceeded(
            _("Your plan (%(plan)s) does not include %(feature)s. Upgrade at %(path)s.")
            % {"plan": plan.name, "feature": SWITCHES[feature][1], "path": UPGRADE_PATH},
            feature=feature,
            limit=None,
            plan=plan,
        )
    limit = entitlements.limit(feature)
    if limit is None or adding <= 0:
        return
    if connection.in_atomic_block:
        # Two creates at the last free slot would both count one slot free: the second waits here until the first
        # commits (the callers are atomic services that create right after this check), then counts it.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext('entitlement'), hashtext(%s))",
                [f"{tenant.schema_name}:{feature}"],
            )
    used = _used(tenant, feature)
    if used + adding > limit:
        raise EntitlementExceeded(
            _(
                "Your plan (%(plan)s) allows %(limit)d %(feature)s and %(used)d are in use; "
                "%(adding)d more would go over it. Upgrade at %(path)s to add more."
            )
            % {
                "plan": plan.name,
                "limit": limit,
                "feature": COUNTED[feature][1],
                "used": used,
                "adding": adding,
                "path": UPGRADE_PATH,
            },
            feature=feature,
            limit=limit,
            plan=plan,
            used=used,
        )


def entitlement_allowed(*, tenant=None, feature: str, adding: int = 1) -> bool:
    """`entitlement_check` as a yes/no, for the places that leave something out rather than refuse (the
    portal's pages, the national feed relay, scheduled reports)."""
    try:
        entitlement_check(tenant=tenant, feature=feature, adding=adding)
    except EntitlementExceeded:
        return False
    return True
