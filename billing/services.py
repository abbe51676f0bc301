"""Billing writes. Every state change takes an actor, runs in one transaction and leaves an audit row.

Three kinds of callers:
- people: a tenant administrator starts a card subscription (Stripe Checkout) or an invoiced one (bank
  transfer), opens the customer portal, changes plan; national and reseller staff change a tenant's plan
  (`subscription_set_plan`), national staff retry a failed Stripe event;
- Stripe, through billing/webhooks.py: `checkout_completed`, `subscription_sync` and `invoice_sync` apply
  what an event says, only when it is newer than what was applied (out-of-order and replayed deliveries
  never roll anything back);
- beat (billing/tasks.py): dunning (`dunning_advance`) and metered usage (`usage_report`).

Calls to Stripe go through billing/stripe_client.py only. With billing disabled none of them is reachable.
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context, tenant_context

from billing import stripe_client
from billing.entitlements import billing_enabled, subscription_for
from billing.models import (
    BillingModel,
    CollectionMethod,
    Invoice,
    Payer,
    Plan,
    Reseller,
    StripeEvent,
    StripeEventStatus,
    Subscription,
    SubscriptionStatus,
    UsageReport,
    WholesalePrice,
)
from tenants.accounts.actors import Actor
from tenants.accounts.services import audit_record
from tenants.middleware import host_cache_clear
from tenants.models import Tenant, TenantStatus

log = logging.getLogger(__name__)
STRIPE = Actor.system("stripe")
BILLING = Actor.system("billing")

# Stripe's subscription status → ours. `incomplete` / `incomplete_expired` (the first payment was never made)
# leave the local state as it was; `paused` (a trial ended without a payment method) is treated as unpaid.
STRIPE_STATUS = {
    "trialing": SubscriptionStatus.TRIALING,
    "active": SubscriptionStatus.ACTIVE,
    "past_due": SubscriptionStatus.PAST_DUE,
    "unpaid": SubscriptionStatus.UNPAID,
    "paused": SubscriptionStatus.UNPAID,
    "canceled": SubscriptionStatus.CANCELLED,
}
# Two events of the same second: the one further along the lifecycle wins (Stripe's `created` has one-second
# resolution and no sequence number).
STATUS_RANK = {
    SubscriptionStatus.TRIALING: 1,
    SubscriptionStatus.ACTIVE: 2,
    SubscriptionStatus.PAST_DUE: 3,
    SubscriptionStatus.UNPAID: 4,
    SubscriptionStatus.CANCELLED: 5,
}
INVOICE_RANK = {"draft": 0, "open": 1, "uncollectible": 2, "paid": 3, "void": 3}
_TOKEN = re.compile(r"[0-9a-f]{32}")


class UnknownStripeObject(LookupError):
    """An event about a customer, subscription or invoice not (yet) linked to a tenant or reseller: processing
    fails and is retried (the event that links it may still be on its way)."""


# --- helpers ----------------------------------------------------------------------------------------------
def _ts(value) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


def _id(value) -> str:
    """An expandable field's id (Stripe sends a string, or the object when expanded)."""
    if isinstance(value, dict):
        return value.get("id", "")
    return value or ""


def _token(token: str | None) -> str:
    """The page's one-time token (a resubmitted form reuses it, so Stripe answers the first request again)."""
    return token if token and _TOKEN.fullmatch(token) else uuid.uuid4().hex


def new_token() -> str:
    return uuid.uuid4().hex


def _stripe_failed(exc: Exception) -> ValidationError:
    log.warning("stripe call failed: %s", exc)
    return ValidationError(
        _(
            "The payment provider did not answer as expected (%(error)s). Nothing was charged; try again later."
        )
        % {"error": getattr(exc, "user_message", None) or type(exc).__name__},
        code="stripe",
    )


def _require_enabled() -> None:
    if not billing_enabled():
        raise ValidationError(
            _("Billing is disabled on this platform: every workspace is on the default plan."),
            code="disabled",
        )


def _metadata(tenant) -> dict:
    return {"tenant_id": str(tenant.pk), "tenant": tenant.slug}


def _refresh_state() -> None:
    """Billing state rides on the host-cached tenant (billing/state.py): drop it now and after commit."""
    host_cache_clear()
    transaction.on_commit(host_cache_clear)


def _locked(tenant) -> Subscription:
    return Subscription.objects.select_for_update().select_related("plan").get(pk=subscription_for(tenant).pk)


def _reseller(tenant) -> Reseller | None:
    return Reseller.objects.filter(pk=tenant.reseller_id).first() if tenant.reseller_id else None


def payer_for(tenant, subscription: Subscription | None = None) -> str:
    """The reseller pays for a tenant of a wholesale reseller; otherwise the tenant pays."""
    reseller = _reseller(tenant)
    if reseller is not None and reseller.billing_model == BillingModel.WHOLESALE:
        return Payer.RESELLER
    if subscription is not None and subscription.payer == Payer.RESELLER and reseller is not None:
        return Payer.RESELLER
    return Payer.TENANT


def _connect(tenant) -> dict:
    """Direct billing through a reseller with a Stripe Connect account: its commission goes to it with each
    payment (a destination charge; `amount_percent` of every invoice is transferred)."""
    reseller = _reseller(tenant)
    if (
        reseller is None
        or reseller.billing_model != BillingModel.DIRECT
        or not reseller.stripe_connect_account_id
    ):
        return {}
    return {
        "transfer_data": {
            "destination": reseller.stripe_connect_account_id,
            "amount_percent": float(reseller.commission_percent),
        }
    }


def _lines(plan: Plan) -> list[dict]:
    if not plan.stripe_price_id:
        raise ValidationError(
            {"plan": [_("%(plan)s cannot be bought online yet: contact us.") % {"plan": plan.name}]},
            code="no_price",
        )
    lines = [{"price": plan.stripe_price_id, "quantity": 1}]
    if plan.stripe_metered_price_id:  # usage: no quantity, the meter's events are summed per period
        lines.append({"price": plan.stripe_metered_price_id})
    return lines


def _check_tenant_pays(tenant, subscription: Subscription) -> None:
    if payer_for(tenant, subscription) == Payer.RESELLER:
        raise ValidationError(
            _("Your reseller pays for this workspace: ask them to change the plan."), code="reseller_pays"
        )


def _check_not_subscribed(subscription: Subscription) -> None:
    live = subscription.stripe_subscription_id and subscription.status not in (SubscriptionStatus.CANCELLED,)
    if live:
        raise ValidationError(
            _("This workspace already has a subscription: change the plan or manage the payment instead."),
            code="subscribed",
        )


# --- customers ----------------------------------------------------------------------------------------------
def customer_ensure(*, actor: Actor, tenant, email: str = "") -> str:
    """The Stripe customer paying for the tenant: the tenant's own, created once (a retried creation within a
    day returns the same customer: its idempotency key is the tenant's)."""
    _require_enabled()
    with transaction.atomic():
        subscription = _locked(tenant)
        if subscription.stripe_customer_id and subscription.payer == Payer.TENANT:
            return subscription.stripe_customer_id
        try:
            customer = stripe_client.customer_create(
                name=tenant.name,
                email=email,
                metadata=_metadata(tenant),
                idempotency_key=f"customer-tenant-{tenant.pk}",
            )
        except stripe_client.StripeError as exc:
            raise _stripe_failed(exc) from exc
        subscription.stripe_customer_id = customer.id
        subscription.payer = Payer.TENANT
        subscription.save(update_fields=["stripe_customer_id", "payer", "updated_at"])
        audit_record(
            actor=actor,
            action="billing.customer_create",
            target=subscription,
            data={"tenant": tenant.slug, "customer": customer.id},
        )
        return customer.id


def reseller_customer_ensure(*, actor: Actor, reseller: Reseller) -> str:
    """The Stripe customer of a reseller that pays wholesale for its tenants."""
    _require_enabled()
    with transaction.atomic():
        locked = Reseller.objects.select_for_update().get(pk=reseller.pk)
        if locked.stripe_customer_id:
            return locked.stripe_customer_id
        try:
            customer = stripe_client.customer_create(
                name=locked.name,
                email=locked.contact_email,
                metadata={"reseller_id": str(locked.pk), "reseller": locked.slug},
                idempotency_key=f"customer-reseller-{locked.pk}",
            )
        except stripe_client.StripeError as exc:
            raise _stripe_failed(exc) from exc
        locked.stripe_customer_id = customer.id
        locked.save(update_fields=["stripe_customer_id"])
        audit_record(
            actor=actor,
            action="billing.reseller_customer_create",
            target=locked,
            data={"reseller": locked.slug, "customer": customer.id},
        )
        return customer.id


# --- a tenant administrator subscribes ---------------------------------------------------------------------
def _subscribe_prepare(
    *, actor: Actor, tenant, plan: Plan, email: str
) -> tuple[Subscription, list, str, dict]:
    """What subscribing by card or by invoice both start with: the checks (billing on, the tenant pays, no live
    subscription, the plan priced), then the tenant's Stripe customer. Returns the subscription, the plan's
    lines, the customer id and the metadata."""
    _require_enabled()
    subscription = subscription_for(tenant)
    _check_tenant_pays(tenant, subscription)
    _check_not_subscribed(subscription)
    lines = _lines(plan)
    customer = customer_ensure(actor=actor, tenant=tenant, email=email)
    return subscription, lines, customer, {**_metadata(tenant), "plan": plan.code}


def checkout_start(
    *,
    actor: Actor,
    tenant,
    plan: Plan,
    email: str,
    success_url: str,
    cancel_url: str,
    token: str | None = None,
    locale: str = "auto",
) -> str:
    """A Stripe Checkout session for a card subscription to `plan`; returns the page the payer goes to. The
    subscription becomes ours when its webhooks arrive (`checkout_completed`, `subscription_sync`)."""
    subscription, lines, customer, metadata = _subscribe_prepare(
        actor=actor, tenant=tenant, plan=plan, email=email
    )
    try:
        session = stripe_client.checkout_session_create(
            customer=customer,
            line_items=lines,
            success_url=success_url,
            cancel_url=cancel_url,
            client_reference_id=f"tenant-{tenant.pk}",
            metadata=metadata,
            subscription_data={"metadata": metadata, **_connect(tenant)},
            locale=locale,
            idempotency_key=f"checkout-{tenant.pk}-{plan.code}-{_token(token)}",
        )
    except stripe_client.StripeError as exc:
        raise _stripe_failed(exc) from exc
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="billing.checkout_start",
            target=subscription,
            data={"tenant": tenant.slug, "plan": plan.code, "session": session.id},
        )
    return session.url


def invoice_subscription_start(
    *, actor: Actor, tenant, plan: Plan, email: str, token: str | None = None
) -> Subscription:
    """A subscription paid by invoice and bank transfer (`collection_method=send_invoice`): Stripe e-mails each
    invoice, payable within BILLING_DAYS_UNTIL_DUE days. Active at once, as Stripe reports it."""
    subscription, lines, customer, metadata = _subscribe_prepare(
        actor=actor, tenant=tenant, plan=plan, email=email
    )
    try:
        created = stripe_client.subscription_create(
            customer=customer,
            items=lines,
            metadata=metadata,
            collection_method=CollectionMethod.INVOICE,
            days_until_due=settings.BILLING_DAYS_UNTIL_DUE,
            extra=_connect(tenant),
            idempotency_key=f"invoice-subscription-{tenant.pk}-{plan.code}-{_token(token)}",
        )
    except stripe_client.StripeError as exc:
        raise _stripe_failed(exc) from exc
    with transaction.atomic():
        subscription = _locked(tenant)
        subscription.stripe_subscription_id = created.id
        subscription.save(update_fields=["stripe_subscription_id", "updated_at"])
        _apply_subscription(subscription, created.to_dict(), int(created.created), actor=actor)
        audit_record(
            actor=actor,
            action="billing.invoice_subscription_start",
            target=subscription,
            data={"tenant": tenant.slug, "plan": plan.code, "subscription": created.id},
        )
    return subscription


def portal_start(
    *, actor: Actor, tenant, return_url: str, token: str | None = None, locale: str = "auto"
) -> str:
    """The Stripe customer portal for the tenant's own customer (card, invoices, plan, cancellation)."""
    _require_enabled()
    subscription = subscription_for(tenant)
    _check_tenant_pays(tenant, subscription)
    if not subscription.stripe_customer_id:
        raise ValidationError(_("Choose a plan first: there is nothing to manage yet."), code="no_customer")
    try:
        session = stripe_client.portal_session_create(
            customer=subscription.stripe_customer_id,
            return_url=return_url,
            locale=locale,
            idempotency_key=f"portal-{tenant.pk}-{_token(token)}",
        )
    except stripe_client.StripeError as exc:
        raise _stripe_failed(exc) from exc
    with transaction.atomic():
        audit_record(
            actor=actor, action="billing.portal_open", target=subscription, data={"tenant": tenant.slug}
        )
    return session.url


# --- plan changes (national staff, resellers, tenant administrators with a subscription) -------------------
def _wholesale_line(reseller: Reseller, plan: Plan) -> dict:
    """A wholesale line: the plan's product at the reseller's wholesale price when it has one."""
    if not plan.stripe_price_id:
        raise ValidationError(
            {"plan": [_("%(plan)s has no Stripe price yet.") % {"plan": plan.name}]}, code="no_price"
        )
    wholesale = WholesalePrice.objects.filter(reseller=reseller, plan=plan).first()
    if wholesale is None:
        return {"price": plan.stripe_price_id}
    price = stripe_client.price_retrieve(plan.stripe_price_id)
    return {
        "price_data": {
            "currency": price.currency,
            "product": _id(price.product),
            "unit_amount": wholesale.monthly_price,
            "recurring": {"interval": "month"},
        }
    }


def _wholesale_follow(subscription: Subscription, tenant, plan: Plan, *, actor: Actor) -> None:
    """Keep the tenant's line on its reseller's one subscription: update it, or add it (creating the
    reseller's customer and subscription the first time)."""
    reseller = _reseller(tenant)
    metadata = {**_metadata(tenant), "plan": plan.code, "reseller_id": str(reseller.pk)}
    line = _wholesale_line(reseller, plan)
    version = subscription.updated_at.strftime("%Y%m%d%H%M%S%f")
    if subscription.stripe_subscription_item_id:
        stripe_client.subscription_item_update(
            subscription.stripe_subscription_item_id,
            line=line,
            metadata=metadata,
            idempotency_key=f"wholesale-line-{tenant.pk}-{plan.code}-{version}",
        )
        return
    customer = reseller_customer_ensure(actor=actor, reseller=reseller)
    existing = (
        Subscription.objects.filter(tenant__reseller=reseller, payer=Payer.RESELLER)
        .exclude(stripe_subscription_id="")
        .exclude(status=SubscriptionStatus.CANCELLED)
        .values_list("stripe_subscription_id", flat=True)
        .first()
    )
    if existing:
        item = stripe_client.subscription_item_create(
            subscription=existing,
            line=line,
            metadata=metadata,
            idempotency_key=f"wholesale-line-{tenant.pk}-{existing}",
        )
        subscription.stripe_subscription_id = existing
        subscription.stripe_subscription_item_id = item.id
    else:
        # The key (and every parameter) is the same on a retry of the same set-up: the onboarding worker commits
        # the tenant before calling this, so its id does not change (Stripe then answers the first subscription).
        created = stripe_client.subscription_create(
            customer=customer,
            items=[{**line, "quantity": 1, "metadata": metadata}],
            metadata={"reseller_id": str(reseller.pk), "reseller": reseller.slug},
            collection_method=CollectionMethod.INVOICE,
            days_until_due=settings.BILLING_DAYS_UNTIL_DUE,
            idempotency_key=f"wholesale-subscription-{reseller.pk}-{tenant.pk}",
        )
        subscription.stripe_subscription_id = created.id
        subscription.stripe_subscription_item_id = created["items"]["data"][0]["id"]
        subscription.status = STRIPE_STATUS.get(created.status, subscription.status)
    subscription.stripe_customer_id = customer
    subscription.collection_method = CollectionMethod.INVOICE
    subscription.payer = Payer.RESELLER


@transaction.atomic
def subscription_set_plan(*, actor: Actor, tenant, plan: Plan) -> Subscription:
    """Move a tenant to another plan. With billing enabled the Stripe subscription follows: a wholesale
    tenant's line on its reseller's subscription is updated (or added), a paying tenant's own subscription
    line moves to the plan's price (prorated). Without a Stripe subscription the change is local."""
    subscription = _locked(tenant)
    before = subscription.plan.code
    if billing_enabled():
        try:
            if payer_for(tenant, subscription) == Payer.RESELLER:
                has_line = bool(subscription.stripe_subscription_item_id)
                if plan.stripe_price_id and (plan != subscription.plan or not has_line):
                    _wholesale_follow(subscription, tenant, plan, actor=actor)
                elif has_line and plan != subscription.plan:  # a billed line cannot move to an unpriced plan
                    raise ValidationError(
                        {"plan": [_("%(plan)s has no Stripe price yet.") % {"plan": plan.name}]},
                        code="no_price",
                    )
                # an unpriced plan and no line yet: nothing is billed through Stripe, the change is local
            elif plan != subscription.plan and subscription.stripe_subscription_item_id:
                if not plan.stripe_price_id:
                    raise ValidationError(
                        {"plan": [_("%(plan)s has no Stripe price yet.") % {"plan": plan.name}]},
                        code="no_price",
                    )
                stripe_client.subscription_item_update(
                    subscription.stripe_subscription_item_id,
                    line={"price": plan.stripe_price_id},
                    metadata={**_metadata(tenant), "plan": plan.code},
                    idempotency_key=f"plan-{tenant.pk}-{plan.code}-{subscription.updated_at.timestamp()}",
                )
        except stripe_client.StripeError as exc:
            raise _stripe_failed(exc) from exc
    subscription.plan = plan
    subscription.save()
    audit_record(
        actor=actor,
        action="billing.plan_change",
        target=subscription,
        data={"tenant": tenant.slug, "from": before, "to": plan.code},
    )
    _refresh_state()
    return subscription


@transaction.atomic
def reseller_pays_activate(*, actor: Actor, tenant) -> Subscription:
    """A tenant its reseller pays for (wholesale) has no trial of its own: its subscription is active from its
    set-up, whether or not Stripe bills its plan yet (the reseller's subscription carries the line)."""
    subscription = _locked(tenant)
    if (
        subscription.status != SubscriptionStatus.TRIALING
        or payer_for(tenant, subscription) != Payer.RESELLER
    ):
        return subscription
    _set_status(subscription, SubscriptionStatus.ACTIVE, at=timezone.now(), actor=actor)
    subscription.trial_ends_at = None
    subscription.save()
    audit_record(
        actor=actor,
        action="billing.reseller_pays",
        target=subscription,
        data={"tenant": tenant.slug, "before": SubscriptionStatus.TRIALING, "after": subscription.status},
    )
    _refresh_state()
    return subscription


def tenant_plan_change(*, actor: Actor, tenant, plan: Plan) -> Subscription:
    """A tenant administrator moves a running subscription to another plan (Stripe prorates); without one,
    choosing a plan means subscribing (checkout or invoice)."""
    _require_enabled()
    subscription = subscription_for(tenant)
    _check_tenant_pays(tenant, subscription)
    if not subscription.stripe_subscription_item_id or subscription.status == SubscriptionStatus.CANCELLED:
        raise ValidationError(
            _("Subscribe first: pay by card or by invoice for the plan you choose."), code="not_subscribed"
        )
    return subscription_set_plan(actor=actor, tenant=tenant, plan=plan)


# --- what Stripe tells us (billing/webhooks.py) -------------------------------------------------------------
def _is_newer(version: int, current_version: int, status: str, current_status: str) -> bool:
    if version != current_version:
        return version > current_version
    return STATUS_RANK.get(status, 0) >= STATUS_RANK.get(current_status, 0)


def _tenant_activate(tenant_id: int, *, actor: Actor) -> None:
    """A paying tenant is no longer on trial (Tenant.status)."""
    if Tenant.objects.filter(pk=tenant_id, status=TenantStatus.TRIAL).update(status=TenantStatus.ACTIVE):
        audit_record(
            actor=actor,
            action="tenant.activate",
            target=Tenant(pk=tenant_id),
            data={"before": TenantStatus.TRIAL, "after": TenantStatus.ACTIVE, "why": "subscription active"},
        )


def _set_status(subscription: Subscription, status: str, *, at: datetime, actor: Actor) -> None:
    """The dunning fields follow the status: past due since when (unpaid once the grace period is over),
    cancelled when (archived BILLING_RETENTION_DAYS later)."""
    if status == SubscriptionStatus.PAST_DUE:
        subscription.past_due_since = subscription.past_due_since or at
        if timezone.now() - subscription.past_due_since > timedelta(days=settings.BILLING_GRACE_DAYS):
            status = SubscriptionStatus.UNPAID
    elif status == SubscriptionStatus.UNPAID:
        subscription.past_due_since = subscription.past_due_since or at
    elif status == SubscriptionStatus.CANCELLED:
        subscription.cancelled_at = subscription.cancelled_at or at
        subscription.archive_after = subscription.cancelled_at + timedelta(
            days=settings.BILLING_RETENTION_DAYS
        )
    else:
        subscription.past_due_since = None
        subscription.cancelled_at = None
        subscription.archive_after = None
    subscription.status = status
    if status == SubscriptionStatus.ACTIVE:
        _tenant_activate(subscription.tenant_id, actor=actor)


def _tenant_line(subscription: Subscription, obj: dict) -> dict | None:
    """The subscription item that is this tenant's: on a reseller's subscription the one whose metadata names
    the tenant, on the tenant's own the one priced by a plan (not the metered line)."""
    items = (obj.get("items") or {}).get("data") or []
    if subscription.payer == Payer.RESELLER:
        return next(
            (i for i in items if (i.get("metadata") or {}).get("tenant_id") == str(subscription.tenant_id)),
            None,
        )
    prices = set(Plan.objects.exclude(stripe_price_id="").values_list("stripe_price_id", flat=True))
    return next((i for i in items if _id(i.get("price")) in prices), None)


def _plan_of(line: dict) -> Plan | None:
    """The plan a line is priced by: its price (a change in the customer portal changes only that), else the
    plan its metadata names (a wholesale line priced inline has a price of its own)."""
    price = _id(line.get("price"))
    plan = Plan.objects.filter(stripe_price_id=price).first() if price else None
    if plan is None and (code := (line.get("metadata") or {}).get("plan")):
        plan = Plan.objects.filter(code=code).first()
    return plan


def _apply_subscription(subscription: Subscription, obj: dict, version: int, *, actor: Actor) -> bool:
    """Apply a Stripe subscription object to one locked local row when `version` is newer than its last."""
    status = STRIPE_STATUS.get(obj.get("status"), subscription.status)
    if not _is_newer(version, subscription.stripe_version, status, subscription.status):
        return False
    before = (subscription.status, subscription.plan_id)
    line = _tenant_line(subscription, obj)
    if line is not None:
        subscription.stripe_subscription_item_id = line["id"]
        subscription.current_period_end = (
            _ts(line.get("current_period_end")) or subscription.current_period_end
        )
        plan = _plan_of(line)
        if plan is not None:
            subscription.plan = plan
    subscription.stripe_subscription_id = obj["id"]
    subscription.stripe_customer_id = _id(obj.get("customer")) or subscription.stripe_customer_id
    subscription.collection_method = obj.get("collection_method") or subscription.collection_method
    subscription.trial_ends_at = _ts(obj.get("trial_end"))
    ended = obj.get("ended_at") or obj.get("canceled_at") or version
    _set_status(
        subscription,
        status,
        at=_ts(ended if status == SubscriptionStatus.CANCELLED else version),
        actor=actor,
    )
    subscription.stripe_version = version
    subscription.save()
    if before != (subscription.status, subscription.plan_id):
        audit_record(
            actor=actor,
            action="billing.subscription_sync",
            target=subscription,
            data={
                "tenant_id": subscription.tenant_id,
                "stripe_status": obj.get("status"),
                "before": before[0],
                "after": subscription.status,
                "plan": subscription.plan.code,
            },
        )
    _refresh_state()
    return True


def _rows_for(obj: dict) -> list[Subscription]:
    """The local subscriptions a Stripe subscription pays for (one, or a reseller's tenants), locked; linked
    through its metadata when no row knows its id yet (its creation event came before the checkout's)."""
    rows = list(
        Subscription.objects.select_for_update()
        .select_related("plan")
        .filter(stripe_subscription_id=obj["id"])
        .order_by("pk")
    )
    if rows:
        return rows
    tenant_id = (obj.get("metadata") or {}).get("tenant_id")
    tenant = Tenant.objects.filter(pk=tenant_id).first() if tenant_id and tenant_id.isdigit() else None
    if tenant is None:
        return []
    return [_locked(tenant)]


@transaction.atomic
def subscription_sync(*, obj: dict, version: int, actor: Actor = STRIPE) -> bool:
    """customer.subscription.created / updated / deleted. False when nothing newer was applied."""
    rows = _rows_for(obj)
    if not rows:
        raise UnknownStripeObject(f"subscription {obj.get('id')} belongs to no tenant yet")
    applied = [_apply_subscription(row, obj, version, actor=actor) for row in rows]
    return any(applied)


@transaction.atomic
def checkout_completed(*, obj: dict, version: int, actor: Actor = STRIPE) -> bool:
    """checkout.session.completed: link the tenant to its customer and subscription. The status comes from the
    subscription's own events; a paid session makes a tenant active only while none has been applied."""
    if obj.get("mode") != "subscription":
        return False
    metadata = obj.get("metadata") or {}
    reference = (obj.get("client_reference_id") or "").removeprefix("tenant-")
    tenant_id = metadata.get("tenant_id") or reference
    tenant = Tenant.objects.filter(pk=tenant_id).first() if tenant_id and str(tenant_id).isdigit() else None
    if tenant is None:
        raise UnknownStripeObject(f"checkout session {obj.get('id')} names no tenant")
    subscription = _locked(tenant)
    subscription.stripe_customer_id = _id(obj.get("customer")) or subscription.stripe_customer_id
    subscription.stripe_subscription_id = _id(obj.get("subscription")) or subscription.stripe_subscription_id
    subscription.collection_method = CollectionMethod.CARD
    subscription.payer = Payer.TENANT
    before = subscription.status
    if subscription.stripe_version == 0:  # no subscription event applied yet: this is the best we know
        plan = Plan.objects.filter(code=metadata.get("plan", "")).first()
        if plan is not None:
            subscription.plan = plan
        if obj.get("status") == "complete" and obj.get("payment_status") in ("paid", "no_payment_required"):
            _set_status(subscription, SubscriptionStatus.ACTIVE, at=_ts(version), actor=actor)
    subscription.save()
    audit_record(
        actor=actor,
        action="billing.checkout_completed",
        target=subscription,
        data={
            "tenant": tenant.slug,
            "session": obj.get("id"),
            "before": before,
            "after": subscription.status,
        },
    )
    _refresh_state()
    return True


def _invoice_owner(obj: dict) -> tuple[list[Subscription], Tenant | None, Reseller | None]:
    parent = obj.get("parent") or {}
    details = parent.get("subscription_details") or {}
    stripe_subscription = _id(details.get("subscription"))
    rows = []
    if stripe_subscription:
        rows = _rows_for({"id": stripe_subscription, "metadata": details.get("metadata") or {}})
    if rows:
        first = rows[0]
        if first.payer == Payer.RESELLER:
            return rows, None, _reseller(first.tenant)
        return rows, first.tenant, _reseller(first.tenant)
    customer = _id(obj.get("customer"))
    reseller = Reseller.objects.filter(stripe_customer_id=customer).first() if customer else None
    if reseller is not None:
        return [], None, reseller
    row = (
        Subscription.objects.filter(stripe_customer_id=customer, payer=Payer.TENANT)
        .select_related("tenant")
        .first()
        if customer
        else None
    )
    if row is not None:
        return [], row.tenant, _reseller(row.tenant)
    raise UnknownStripeObject(f"invoice {obj.get('id')} belongs to no tenant or reseller yet")


def revenue_share(amount_paid: int, reseller: Reseller | None) -> int:
    """The reseller's share of what a directly paying tenant paid (commission_percent, rounded half up)."""
    if reseller is None or reseller.billing_model != BillingModel.DIRECT:
        return 0
    share = Decimal(amount_paid) * reseller.commission_percent / Decimal(100)
    return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# An invoice event moves the subscription too (its own event may come later or never): event → (new status,
# from which statuses).
_INVOICE_NUDGE = {
    "invoice.paid": (SubscriptionStatus.ACTIVE, {SubscriptionStatus.PAST_DUE, SubscriptionStatus.UNPAID}),
    "invoice.payment_failed": (
        SubscriptionStatus.PAST_DUE,
        {SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING},
    ),
    "invoice.marked_uncollectible": (
        SubscriptionStatus.UNPAID,
        {SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING, SubscriptionStatus.PAST_DUE},
    ),
}


@transaction.atomic
def invoice_sync(*, obj: dict, event_type: str, version: int, actor: Actor = STRIPE) -> bool:
    """invoice.finalized / paid / payment_failed / marked_uncollectible: the invoice as last reported (never
    an older report over a newer one), the reseller's revenue share, and the subscription's dunning state."""
    rows, tenant, reseller = _invoice_owner(obj)
    subscription_id = _id(((obj.get("parent") or {}).get("subscription_details") or {}).get("subscription"))
    invoice = Invoice.objects.select_for_update().filter(stripe_invoice_id=obj["id"]).first()
    status = obj.get("status") or ""
    changed = False
    if invoice is None or (
        version > invoice.stripe_version
        or (
            version == invoice.stripe_version
            and INVOICE_RANK.get(status, 0) >= INVOICE_RANK.get(invoice.status, 0)
        )
    ):
        invoice = invoice or Invoice(stripe_invoice_id=obj["id"])
        invoice.tenant = tenant
        invoice.reseller = reseller
        invoice.status = status
        invoice.collection_method = obj.get("collection_method") or ""
        invoice.currency = obj.get("currency") or invoice.currency
        invoice.amount_due = int(obj.get("amount_due") or 0)
        invoice.amount_paid = int(obj.get("amount_paid") or 0)
        invoice.revenue_share = revenue_share(invoice.amount_paid, reseller) if tenant is not None else 0
        invoice.period_start = _ts(obj.get("period_start"))
        invoice.period_end = _ts(obj.get("period_end"))
        invoice.hosted_invoice_url = obj.get("hosted_invoice_url") or ""
        invoice.stripe_version = version
        invoice.save()
        changed = True
    nudge = _INVOICE_NUDGE.get(event_type)
    first_payment = obj.get("billing_reason") == "subscription_create"
    if nudge and not (event_type == "invoice.payment_failed" and first_payment):
        new_status, from_statuses = nudge
        for row in rows:
            if (
                row.stripe_subscription_id != subscription_id
            ):  # linked by metadata only, or an older subscription
                continue
            if version > row.stripe_version and row.status in from_statuses:
                before = row.status
                _set_status(row, new_status, at=_ts(version), actor=actor)
                row.stripe_version = version
                row.save()
                audit_record(
                    actor=actor,
                    action="billing.subscription_sync",
                    target=row,
                    data={
                        "tenant_id": row.tenant_id,
                        "invoice": obj["id"],
                        "before": before,
                        "after": row.status,
                    },
                )
                changed = True
    if changed:
        _refresh_state()
    return changed


@transaction.atomic
def stripe_event_retry(*, actor: Actor, event: StripeEvent) -> StripeEvent:
    """National staff: process a failed (or stuck pending) event again now."""
    locked = StripeEvent.objects.select_for_update().get(pk=event.pk)
    if locked.status not in (StripeEventStatus.FAILED, StripeEventStatus.PENDING):
        raise ValidationError(_("Only failed or pending events can be retried."), code="not_failed")
    locked.status = StripeEventStatus.PENDING
    locked.next_attempt_at = None
    locked.save(update_fields=["status", "next_attempt_at"])
    audit_record(
        actor=actor,
        action="billing.stripe_event_retry",
        target=locked,
        data={"event_id": locked.event_id, "type": locked.type, "attempts": locked.attempts},
    )
    from billing.tasks import stripe_event_process

    transaction.on_commit(lambda: stripe_event_process.delay(locked.pk))
    return locked


# --- dunning (beat) -----------------------------------------------------------------------------------------
def dunning_advance(*, now: datetime | None = None) -> dict[str, int]:
    """A trial ended without a subscription and past due beyond BILLING_GRACE_DAYS → unpaid (administration
    read-only, citizens unaffected); cancelled beyond its retention
    (archive_after) → the tenant archived, with the reason. Idempotent."""
    from control_plane.console.services import tenant_status_change

    now = now or timezone.now()
    grace = timedelta(days=settings.BILLING_GRACE_DAYS)
    unpaid = archived = 0
    with schema_context("public"):
        # a trial that ended without a subscription: administration read-only until a plan is chosen. Not a
        # wholesale tenant's: its reseller pays (on a plan Stripe may not bill yet), the tenant cannot
        trial_ended = (
            Subscription.objects.filter(
                status=SubscriptionStatus.TRIALING, stripe_subscription_id="", trial_ends_at__lte=now
            )
            .exclude(payer=Payer.RESELLER)
            .exclude(tenant__reseller__billing_model=BillingModel.WHOLESALE)
        )
        for pk in trial_ended.values_list("pk", flat=True):
            with transaction.atomic():
                row = Subscription.objects.select_for_update().get(pk=pk)
                if row.status != SubscriptionStatus.TRIALING or row.stripe_subscription_id:
                    continue
                row.status = SubscriptionStatus.UNPAID
                row.save(update_fields=["status", "updated_at"])
                audit_record(
                    actor=BILLING,
                    action="billing.trial_ended",
                    target=row,
                    reason=_("The trial ended without a subscription."),
                    data={"tenant_id": row.tenant_id, "trial_ends_at": row.trial_ends_at.isoformat()},
                )
                _refresh_state()
            unpaid += 1
        for pk in Subscription.objects.filter(
            status=SubscriptionStatus.PAST_DUE, past_due_since__lte=now - grace
        ).values_list("pk", flat=True):
            with transaction.atomic():
                row = Subscription.objects.select_for_update().get(pk=pk)
                if row.status != SubscriptionStatus.PAST_DUE:
                    continue
                row.status = SubscriptionStatus.UNPAID
                row.save(update_fields=["status", "updated_at"])
                audit_record(
                    actor=BILLING,
                    action="billing.dunning_unpaid",
                    target=row,
                    reason=_("Payment overdue for more than %(days)d days.")
                    % {"days": settings.BILLING_GRACE_DAYS},
                    data={"tenant_id": row.tenant_id, "past_due_since": row.past_due_since.isoformat()},
                )
                _refresh_state()
            unpaid += 1
        expired = (
            Subscription.objects.filter(status=SubscriptionStatus.CANCELLED, archive_after__lte=now)
            .exclude(tenant__status=TenantStatus.ARCHIVED)
            .select_related("tenant")
        )
        for row in expired:
            reason = _(
                "Subscription cancelled on %(date)s; the %(days)d-day retention period ended on %(end)s."
            ) % {
                "date": timezone.localtime(row.cancelled_at).date().isoformat(),
                "days": settings.BILLING_RETENTION_DAYS,
                "end": timezone.localtime(row.archive_after).date().isoformat(),
            }
            try:
                tenant_status_change(actor=BILLING, tenant=row.tenant, action="archive", reason=reason)
            except ValidationError as exc:
                log.warning("billing: tenant %s not archived: %s", row.tenant.slug, exc)
                continue
            archived += 1
    return {"unpaid": unpaid, "archived": archived}


# --- metered usage (beat) -----------------------------------------------------------------------------------
def _month_bounds(month: date) -> tuple[date, date]:
    start = month.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def ratings_in_month(tenant, month: date) -> int:
    """Ratings citizens gave in the month (default ratings not counted), from the tenant's day rollups."""
    from tenants.insight.models import RatingDayRollup

    start, end = _month_bounds(month)
    with tenant_context(tenant):
        total = RatingDayRollup.objects.filter(day__gte=start, day__lt=end, is_default=False).aggregate(
            n=Sum("count")
        )["n"]
    return int(total or 0)


def usage_report(*, tenant, month: date) -> UsageReport | None:
    """Report one month's ratings to Stripe (a meter event) for a tenant on a plan with a metered price. Once
    per tenant and month: the UsageReport row is the ledger, the event's identifier de-duplicates at Stripe."""
    _require_enabled()
    start, end = _month_bounds(month)
    subscription = Subscription.objects.select_related("plan").filter(tenant=tenant).first()
    if (
        subscription is None
        or not subscription.plan.stripe_metered_price_id
        or not subscription.stripe_subscription_id
        or not subscription.stripe_customer_id
    ):
        return None
    ratings = ratings_in_month(tenant, start)
    with transaction.atomic():
        report, _created = UsageReport.objects.get_or_create(
            tenant=tenant, month=start, defaults={"ratings": ratings}
        )
        report = UsageReport.objects.select_for_update().get(pk=report.pk)
        if report.reported_at is not None:
            return report
        identifier = f"usage-{tenant.pk}-{start:%Y-%m}"
        month_end = timezone.make_aware(datetime.combine(end, datetime.min.time())) - timedelta(seconds=1)
        stripe_client.meter_event_create(
            event_name=settings.STRIPE_METER_EVENT_NAME,
            customer=subscription.stripe_customer_id,
            value=ratings,
            timestamp=int(month_end.timestamp()),
            identifier=identifier,
        )
        report.ratings = ratings
        report.reported_at = timezone.now()
        report.stripe_identifier = identifier
        report.save()
        audit_record(
            actor=BILLING,
            action="billing.usage_report",
            target=report,
            data={"tenant": tenant.slug, "month": f"{start:%Y-%m}", "ratings": ratings},
        )
    return report


def previous_month(today: date | None = None) -> date:
    today = today or timezone.localdate()
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def usage_report_all(*, month: date | None = None) -> int:
    """Last month's usage for every subscription with a metered price not reported yet; returns how many."""
    if not billing_enabled():
        return 0
    month = month or previous_month()
    done = 0
    with schema_context("public"):
        pending = (
            Subscription.objects.exclude(plan__stripe_metered_price_id="")
            .exclude(stripe_subscription_id="")
            .exclude(tenant__status=TenantStatus.ARCHIVED)
            .exclude(
                tenant__in=UsageReport.objects.filter(month=month, reported_at__isnull=False).values("tenant")
            )
            .select_related("tenant")
        )
        for row in pending:
            try:
                if usage_report(tenant=row.tenant, month=month) is not None:
                    done += 1
            except stripe_client.StripeError as exc:  # the next run tries again
                log.warning("billing: usage of %s for %s not reported: %s", row.tenant.slug, month, exc)
    return done
