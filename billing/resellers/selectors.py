"""Reads of the reseller console. Every read takes the reseller (resolved once from the signed-in person's
membership by `reseller_of`) and filters by it: a reseller sees only its own tenants, sign-ups and figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from billing.models import Plan, Reseller, ResellerMembership, Subscription, WholesalePrice
from tenants.accounts.roles import Perm, has_permission
from tenants.models import Tenant
from tenants.services import tenant_domain_name


def reseller_of(user) -> Reseller | None:
    """The active reseller a signed-in person works for, or None (no console for them)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if not has_permission(getattr(user, "role", ""), Perm.USE_RESELLER_CONSOLE):
        return None
    membership = (
        ResellerMembership.objects.select_related("reseller")
        .filter(user_id=user.pk, reseller__is_active=True)
        .first()
    )
    return membership.reseller if membership is not None else None


def reseller_tenants(reseller: Reseller) -> QuerySet[Tenant]:
    return (
        Tenant.objects.filter(reseller=reseller)
        .exclude(schema_name="public")
        .select_related("subscription__plan", "console_storage", "console_activity", "parent")
        .order_by("name", "slug")
    )


def reseller_tenant(reseller: Reseller, pk: int) -> Tenant | None:
    """One of the reseller's tenants, or None (another reseller's answers 404)."""
    return reseller_tenants(reseller).filter(pk=pk).first()


def tenant_url(tenant: Tenant, *, scheme: str, port: str = "") -> str:
    """The tenant's address, with the scheme and port the console is served on."""
    return f"{scheme}://{tenant_domain_name(tenant.slug)}{f':{port}' if port else ''}/"


def subscription_of(tenant: Tenant) -> Subscription | None:
    """The tenant's subscription when it has one (read only; `billing.entitlements.subscription_for` creates)."""
    try:
        return tenant.subscription
    except Subscription.DoesNotExist:
        return None


@dataclass(frozen=True)
class DashboardRow:
    tenant: Tenant
    url: str
    subscription: Subscription | None
    ratings_this_month: int
    ratings_last_month: int


@dataclass(frozen=True)
class Dashboard:
    rows: list[DashboardRow]
    ratings_this_month: int
    ratings_last_month: int
    by_status: dict[str, int]


def dashboard(reseller: Reseller, *, scheme: str, port: str = "") -> Dashboard:
    """The reseller's tenants with plan, subscription and ratings this and last month (the national rollups,
    read through the national console's own selector so the figures match it)."""
    from control_plane.console.selectors import tenant_rows, tenants_filtered

    tenants = tenants_filtered().filter(reseller=reseller).order_by("name", "slug")  # the console's joins
    rows = [
        DashboardRow(
            tenant=row.tenant,
            url=tenant_url(row.tenant, scheme=scheme, port=port),
            subscription=subscription_of(row.tenant),
            ratings_this_month=row.ratings_this_month,
            ratings_last_month=row.ratings_last_month,
        )
        for row in tenant_rows(list(tenants))
    ]
    by_status: dict[str, int] = {}
    for row in rows:
        by_status[row.tenant.status] = by_status.get(row.tenant.status, 0) + 1
    return Dashboard(
        rows=rows,
        ratings_this_month=sum(r.ratings_this_month for r in rows),
        ratings_last_month=sum(r.ratings_last_month for r in rows),
        by_status=by_status,
    )


def signups_waiting(reseller: Reseller) -> int:
    """Applications that chose this reseller and wait for its decision."""
    from control_plane.onboarding.models import SignupRequest, SignupStatus

    return SignupRequest.objects.filter(reseller=reseller, status=SignupStatus.SUBMITTED).count()


@dataclass(frozen=True)
class PlanPrice:
    plan: Plan
    wholesale: int  # fen per tenant and month
    retail: int  # fen, the plan's list price

    @property
    def margin(self) -> int:
        return self.retail - self.wholesale


def wholesale_plans(reseller: Reseller) -> list[PlanPrice]:
    """The plans this reseller may sell: those it has a wholesale price for, in the plans' display order."""
    prices = (
        WholesalePrice.objects.filter(reseller=reseller)
        .select_related("plan")
        .order_by("plan__sort_order", "plan__code")
    )
    return [PlanPrice(plan=p.plan, wholesale=p.monthly_price, retail=p.plan.monthly_price) for p in prices]


def wholesale_price_map(reseller: Reseller) -> dict[int, int]:
    """{plan id: wholesale monthly price in fen} for this reseller."""
    return dict(WholesalePrice.objects.filter(reseller=reseller).values_list("plan_id", "monthly_price"))


def months_available(*, today: date | None = None, count: int = 24) -> list[date]:
    """The first days of the months a statement can be asked for, newest first (this month included)."""
    today = today or timezone.localdate()
    first = today.replace(day=1)
    months = []
    for back in range(count):
        index = first.year * 12 + first.month - 1 - back
        months.append(date(index // 12, index % 12 + 1, 1))
    return months


# --- national staff ---------------------------------------------------------------------------------------
def resellers_all() -> QuerySet[Reseller]:
    from django.db.models import Count

    return Reseller.objects.annotate(
        tenant_count=Count("tenants", distinct=True), staff_count=Count("memberships", distinct=True)
    ).order_by("name")


def reseller_staff(reseller: Reseller) -> QuerySet[ResellerMembership]:
    return reseller.memberships.select_related("user").order_by("user__email")
