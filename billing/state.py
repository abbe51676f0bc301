"""A tenant's billing state as the gate (billing/gate.py) and the banner (context_processors.py) read it.

One query at most per tenant and process every HOST_CACHE_SECONDS: the state is kept on the Tenant object that
tenants.middleware caches per host for 10 s (so it goes with it; services that change a subscription clear
that cache on commit, as console's tenant_status_change does). With billing disabled no query at all.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from billing.entitlements import billing_enabled
from billing.models import Invoice, Payer, Subscription, SubscriptionStatus
from tenants.middleware import HOST_CACHE_SECONDS

# Administration is read-only in these states (billing/gate.py says what stays open).
READ_ONLY = frozenset({SubscriptionStatus.UNPAID, SubscriptionStatus.CANCELLED})
TRIAL_NOTICE = timedelta(days=7)  # the banner announces a trial's end this long before
_ATTR = "_billing_state"


@dataclass(frozen=True)
class BillingState:
    enabled: bool
    status: str
    plan_name: str = ""
    past_due_since: datetime | None = None
    trial_ends_at: datetime | None = None
    cancelled_at: datetime | None = None
    archive_after: datetime | None = None
    pay_url: str = ""  # the latest open invoice's hosted page (past due, unpaid)
    subscribed: bool = False  # a Stripe subscription exists (else unpaid means: the trial ended)
    reseller_pays: bool = False  # wholesale: no trial of its own to end

    @property
    def read_only(self) -> bool:
        return self.enabled and self.status in READ_ONLY

    @property
    def grace_ends_at(self) -> datetime | None:
        if self.past_due_since is None:
            return None
        return self.past_due_since + timedelta(days=settings.BILLING_GRACE_DAYS)

    @property
    def banner(self) -> str:
        """Which banner base.html shows: "" (none), trial_ending (its last TRIAL_NOTICE_DAYS), trial_ended,
        past_due, unpaid or cancelled."""
        if not self.enabled:
            return ""
        if self.status == SubscriptionStatus.TRIALING:
            if self.reseller_pays:
                return ""
            ending = self.trial_ends_at and self.trial_ends_at - timezone.now() <= TRIAL_NOTICE
            return "trial_ending" if ending else ""
        if self.status == SubscriptionStatus.UNPAID and not self.subscribed:
            return "trial_ended"
        if self.status in (
            SubscriptionStatus.PAST_DUE,
            SubscriptionStatus.UNPAID,
            SubscriptionStatus.CANCELLED,
        ):
            return self.status
        return ""


DISABLED = BillingState(enabled=False, status=SubscriptionStatus.ACTIVE)


def _load(tenant) -> BillingState:
    row = (
        Subscription.objects.filter(tenant_id=tenant.pk)
        .select_related("plan")
        .only(
            "status",
            "past_due_since",
            "trial_ends_at",
            "cancelled_at",
            "archive_after",
            "stripe_customer_id",
            "stripe_subscription_id",
            "payer",
            "plan__name",
        )
        .first()
    )
    if row is None:  # created on first use (billing.entitlements.subscription_for): a trial so far
        return BillingState(enabled=True, status=SubscriptionStatus.TRIALING)
    pay_url = ""
    if row.status in (SubscriptionStatus.PAST_DUE, SubscriptionStatus.UNPAID):
        pay_url = (
            Invoice.objects.filter(tenant_id=tenant.pk, status="open")
            .exclude(hosted_invoice_url="")
            .order_by("-created_at")
            .values_list("hosted_invoice_url", flat=True)
            .first()
            or ""
        )
    return BillingState(
        enabled=True,
        status=row.status,
        plan_name=row.plan.name,
        past_due_since=row.past_due_since,
        trial_ends_at=row.trial_ends_at,
        cancelled_at=row.cancelled_at,
        archive_after=row.archive_after,
        pay_url=pay_url,
        subscribed=bool(row.stripe_subscription_id),
        reseller_pays=row.payer == Payer.RESELLER,
    )


def billing_state(tenant) -> BillingState:
    """The tenant's billing state, remembered on the (host-cached) tenant object for HOST_CACHE_SECONDS."""
    if not billing_enabled():
        return DISABLED
    cached = getattr(tenant, _ATTR, None)
    now = time.monotonic()
    if cached is not None and now - cached[0] < HOST_CACHE_SECONDS:
        return cached[1]
    state = _load(tenant)
    setattr(tenant, _ATTR, (now, state))
    return state
