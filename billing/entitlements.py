"""What a tenant's plan allows, checked in one place: `entitlement_check` is called by the services that
create halls, windows, devices, staff accounts, API keys, reports and by the portal and the national feed.

Billing state never blocks citizens: nothing on the evaluation intake path or in the closed loop calls this.
With billing disabled (no STRIPE_API_KEY) every tenant is on BILLING_DEFAULT_PLAN.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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


class EntitlementExceeded(ValidationError):
    """Raised by `entitlement_check`; its message names the limit and the upgrade path."""

    def __init__(self, message: str, *, feature: str, limit: int | None):
        super().__init__(message, code="entitlement")
        self.feature = feature
        self.limit = limit


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
    if billing_enabled():
        plan = _plan(settings.BILLING_TRIAL_PLAN)
        status = SubscriptionStatus.TRIALING
    else:
        plan = _plan(settings.BILLING_DEFAULT_PLAN)
        status = SubscriptionStatus.ACTIVE
    subscription, _created = Subscription.objects.get_or_create(
        tenant=tenant, defaults={"plan": plan, "status": status}
    )
    return Subscription.objects.select_related("plan").get(pk=subscription.pk)


def entitlements_for(tenant) -> Entitlements:
    if not billing_enabled():
        return Entitlements(
            plan=_plan(settings.BILLING_DEFAULT_PLAN), billing_enabled=False, status=SubscriptionStatus.ACTIVE
        )
    subscription = subscription_for(tenant)
    return Entitlements(plan=subscription.plan, billing_enabled=True, status=subscription.status)


def usage_count(feature: str) -> int:
    """How much of a counted feature the current tenant schema uses (called inside the tenant's schema)."""
    from tenants.accounts.models import User
    from tenants.accounts.roles import MACHINE_ROLES
    from tenants.organisation.models import Device, Unit, UnitKind

    if feature == "halls":
        return Unit.objects.filter(kind=UnitKind.HALL, active=True).count()
    if feature == "windows":
        return Unit.objects.filter(kind=UnitKind.WINDOW, active=True).count()
    if feature == "devices":
        return Device.objects.filter(api_key__revoked_at__isnull=True).count()
    if feature == "staff":
        return (
            User.objects.filter(is_active=True)
            .exclude(role__in=MACHINE_ROLES)
            .exclude(email__endswith="@support.invalid")
            .count()
        )
    raise KeyError(feature)


def entitlement_check(*, tenant=None, feature: str, adding: int = 1) -> None:
    """Refuse (EntitlementExceeded) what the tenant's plan does not allow; `adding` more of a counted feature.

    `tenant` defaults to the connection's current tenant. Raises nothing on the control plane."""
    tenant = tenant if tenant is not None else getattr(connection, "tenant", None)
    if tenant is None or getattr(tenant, "schema_name", "public") == "public":
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
        )
    limit = entitlements.limit(feature)
    if limit is None:
        return
    used = usage_count(feature)
    if used + adding > limit:
        raise EntitlementExceeded(
            _(
                "Your plan (%(plan)s) allows %(limit)d %(feature)s and %(used)d are in use. "
                "Upgrade at %(path)s to add more."
            )
            % {
                "plan": plan.name,
                "limit": limit,
                "feature": COUNTED[feature][1],
                "used": used,
                "path": UPGRADE_PATH,
            },
            feature=feature,
            limit=limit,
        )
