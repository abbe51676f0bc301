"""Reads of the national staff console. The tenant list costs the same few queries whatever the number of
tenants: a count, the page (with parent, storage and feed activity joined in), and one grouped query for
the page's ratings per month (TenantDayStats, the national daily figures)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.entitlements import billing_enabled
from billing.models import Plan
from control_plane.console.models import ActivityCursor, SupportGrant, TenantStatusChange
from control_plane.models import TenantDayStats
from tenants.models import Tenant
from tenants.services import tenant_domain_name

LAG_WARNING = timedelta(seconds=60)  # the last rating took longer than this to reach the feed
QUIET_AFTER = timedelta(hours=24)  # nothing reached the feed for this long

GRANT_STATE_LABELS = {
    "pending": gettext_lazy("Waiting for approval"),
    "lapsed": gettext_lazy("Not decided in time"),
    "active": gettext_lazy("Active"),
    "expired": gettext_lazy("Expired"),
    "denied": gettext_lazy("Denied"),
    "revoked": gettext_lazy("Revoked"),
}


def tenant_plan_label(tenant: Tenant) -> str:
    """The tenant's plan and subscription status as the console shows it. With billing disabled every tenant
    is on BILLING_DEFAULT_PLAN, and the label says billing is disabled. Reads what `tenants_filtered` joined
    (no query per row); a tenant fetched otherwise costs a query."""
    if not billing_enabled():
        name = getattr(tenant, "default_plan_name", None) or (
            Plan.objects.filter(code=settings.BILLING_DEFAULT_PLAN).values_list("name", flat=True).first()
        )
        return _("%(plan)s (billing disabled)") % {"plan": name or settings.BILLING_DEFAULT_PLAN}
    subscription = _related(tenant, "subscription")
    if subscription is None:  # made on first use (billing.entitlements.subscription_for): the trial plan
        return _("No subscription yet (trial on first use)")
    return f"{subscription.plan.name} · {subscription.get_status_display()}"


def tenants_filtered(*, status: str = "", kind: str = "", q: str = "") -> QuerySet[Tenant]:
    tenants = Tenant.objects.exclude(schema_name="public").select_related("subscription__plan")
    if not billing_enabled():  # the default plan's name, in the page's own query
        tenants = tenants.annotate(
            default_plan_name=Subquery(
                Plan.objects.filter(code=settings.BILLING_DEFAULT_PLAN).values("name")[:1]
            )
        )
    if status:
        tenants = tenants.filter(status=status)
    if kind:
        tenants = tenants.filter(kind=kind)
    q = (q or "").strip()
    if q:
        tenants = tenants.filter(Q(name__icontains=q) | Q(slug__icontains=q) | Q(region_code__startswith=q))
    return tenants.select_related("parent", "console_storage", "console_activity").order_by("slug")


@dataclass
class TenantRow:
    tenant: Tenant
    domain: str
    plan: str
    ratings_this_month: int
    ratings_last_month: int
    storage_bytes: int | None
    storage_measured_at: datetime | None
    last_rating_at: datetime | None
    last_lag: timedelta | None
    since_append: timedelta | None
    health: str  # ok / slow / quiet / none

    @property
    def lag_seconds(self) -> float | None:
        return self.last_lag.total_seconds() if self.last_lag is not None else None

    @property
    def health_label(self) -> str:
        return {
            "ok": _("Receiving"),
            "slow": _("Feed slow"),
            "quiet": _("Quiet for a day or more"),
            "none": _("No ratings yet"),
        }[self.health]


def _month_starts(today: date) -> tuple[date, date]:
    this = today.replace(day=1)
    return this, (this - timedelta(days=1)).replace(day=1)


def _related(tenant: Tenant, name: str):
    try:
        return getattr(tenant, name)
    except ObjectDoesNotExist:
        return None


def tenant_rows(tenants: list[Tenant], *, now: datetime | None = None) -> list[TenantRow]:
    """The list's columns for these tenants (fetched with tenants_filtered): one query for the usage."""
    now = now or timezone.now()
    this_month, last_month = _month_starts(timezone.localdate(now))
    usage = {
        row["tenant_id"]: row
        for row in TenantDayStats.objects.filter(tenant__in=[t.pk for t in tenants], day__gte=last_month)
        .values("tenant_id")
        .annotate(
            this=Sum("ratings", filter=Q(day__gte=this_month)),
            last=Sum("ratings", filter=Q(day__lt=this_month)),
        )
    }
    rows = []
    for tenant in tenants:
        storage, activity = _related(tenant, "console_storage"), _related(tenant, "console_activity")
        figures = usage.get(tenant.pk, {})
        last_rating = activity.last_rating_at if activity else None
        last_lag = activity.last_lag if activity else None
        since = now - activity.last_appended_at if activity and activity.last_appended_at else None
        if last_rating is None:
            health = "none"
        elif since is not None and since > QUIET_AFTER:
            health = "quiet"
        elif last_lag is not None and last_lag > LAG_WARNING:
            health = "slow"
        else:
            health = "ok"
        rows.append(
            TenantRow(
                tenant=tenant,
                domain=tenant_domain_name(tenant.slug),
                plan=tenant_plan_label(tenant),
                ratings_this_month=figures.get("this") or 0,
                ratings_last_month=figures.get("last") or 0,
                storage_bytes=storage.bytes if storage else None,
                storage_measured_at=storage.measured_at if storage else None,
                last_rating_at=last_rating,
                last_lag=last_lag,
                since_append=since,
                health=health,
            )
        )
    return rows


def activity_refreshed_at() -> datetime | None:
    return ActivityCursor.objects.filter(pk=1).values_list("refreshed_at", flat=True).first()


def tenant_status_history(*, tenant: Tenant, limit: int = 20) -> list[TenantStatusChange]:
    return list(TenantStatusChange.objects.filter(tenant=tenant)[:limit])


def support_grants(*, tenant: Tenant, limit: int = 50) -> list[SupportGrant]:
    return list(SupportGrant.objects.filter(tenant=tenant).select_related("tenant")[:limit])


def support_grant_active(*, grant_id: int) -> SupportGrant | None:
    grant = SupportGrant.objects.filter(pk=grant_id).select_related("tenant").first()
    return grant if grant is not None and grant.is_active() else None
