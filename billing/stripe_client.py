"""The one seam to Stripe's API: every call the product makes goes through this module.

A `stripe.StripeClient` pointed at STRIPE_API_BASE when set (tests point it at a local server answering
recorded Stripe responses; nothing else differs). Functions take plain values and return Stripe objects;
billing/services.py decides what to call and records what came back. Every create carries an idempotency key
chosen by the caller, so a retried request (ours or the library's own network retries) never makes a second
customer, checkout session, subscription, line or usage record.

Without STRIPE_API_KEY billing is disabled: `client()` raises BillingDisabled and no call is ever made.
"""

from __future__ import annotations

from functools import lru_cache

import stripe
from django.conf import settings

StripeError = stripe.StripeError  # what every function here may raise (network, API and card errors)


class BillingDisabled(RuntimeError):
    """Raised instead of calling Stripe when no STRIPE_API_KEY is configured."""


@lru_cache(maxsize=4)
def _client(api_key: str, api_base: str, timeout: float) -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base} if api_base else None,
        max_network_retries=2,  # the library reuses our idempotency key on its retries
        http_client=stripe.new_default_http_client(timeout=timeout),
    )


def client() -> stripe.StripeClient:
    if not settings.STRIPE_API_KEY:
        raise BillingDisabled("billing is disabled (no STRIPE_API_KEY)")
    return _client(settings.STRIPE_API_KEY, settings.STRIPE_API_BASE or "", settings.STRIPE_TIMEOUT)


def _options(idempotency_key: str | None) -> dict:
    return {"idempotency_key": idempotency_key} if idempotency_key else {}


def customer_create(*, name: str, email: str, metadata: dict, idempotency_key: str):
    params = {"name": name, "metadata": metadata, "preferred_locales": ["zh-Hans", "en"]}
    if email:
        params["email"] = email
    return client().v1.customers.create(params=params, options=_options(idempotency_key))


def checkout_session_create(
    *,
    customer: str,
    line_items: list[dict],
    success_url: str,
    cancel_url: str,
    client_reference_id: str,
    metadata: dict,
    subscription_data: dict,
    locale: str,
    idempotency_key: str,
):
    """A hosted Checkout page for a card subscription; its `url` is where the payer goes next."""
    params = {
        "mode": "subscription",
        "customer": customer,
        "line_items": line_items,
        "success_url": success_url,
        "cancel_url": cancel_url,
        "client_reference_id": client_reference_id,
        "metadata": metadata,
        "subscription_data": subscription_data,
        "locale": locale,
    }
    return client().v1.checkout.sessions.create(params=params, options=_options(idempotency_key))


def subscription_create(
    *,
    customer: str,
    items: list[dict],
    metadata: dict,
    idempotency_key: str,
    collection_method: str = "send_invoice",
    days_until_due: int | None = None,
    extra: dict | None = None,
):
    """A subscription billed by invoice (`send_invoice`: Stripe e-mails an invoice payable by bank transfer
    within `days_until_due` days) or charged automatically."""
    params = {
        "customer": customer,
        "items": items,
        "metadata": metadata,
        "collection_method": collection_method,
    }
    if collection_method == "send_invoice":
        params["days_until_due"] = days_until_due or settings.BILLING_DAYS_UNTIL_DUE
    params.update(extra or {})
    return client().v1.subscriptions.create(params=params, options=_options(idempotency_key))


def subscription_item_create(*, subscription: str, line: dict, metadata: dict, idempotency_key: str):
    """One more line on an existing subscription (a reseller's wholesale subscription: one line per tenant)."""
    params = {
        "subscription": subscription,
        **line,
        "quantity": 1,
        "metadata": metadata,
        "proration_behavior": "create_prorations",
    }
    return client().v1.subscription_items.create(params=params, options=_options(idempotency_key))


def subscription_item_update(item_id: str, *, line: dict, metadata: dict, idempotency_key: str):
    """Move a line to another price (a plan change), prorated."""
    params = {**line, "metadata": metadata, "proration_behavior": "create_prorations"}
    return client().v1.subscription_items.update(item_id, params=params, options=_options(idempotency_key))


def price_retrieve(price_id: str):
    return client().v1.prices.retrieve(price_id)


def portal_session_create(*, customer: str, return_url: str, locale: str, idempotency_key: str):
    """The Stripe customer portal (payment methods, invoices, plan changes, cancellation)."""
    params = {"customer": customer, "return_url": return_url, "locale": locale}
    return client().v1.billing_portal.sessions.create(params=params, options=_options(idempotency_key))


def meter_event_create(*, event_name: str, customer: str, value: int, timestamp: int, identifier: str):
    """Usage for a metered price (Billing Meters): Stripe de-duplicates events by `identifier`, and the same
    value serves as the request's idempotency key."""
    params = {
        "event_name": event_name,
        "payload": {"stripe_customer_id": customer, "value": str(value)},
        "identifier": identifier,
        "timestamp": timestamp,
    }
    return client().v1.billing.meter_events.create(params=params, options=_options(identifier))


def event_construct(payload: bytes, signature: str, secret: str):
    """Verify a webhook's `Stripe-Signature` (HMAC-SHA256 over "<t>.<body>", 5-minute tolerance) and parse it.
    Raises stripe.SignatureVerificationError or ValueError; needs no API key."""
    return stripe.Webhook.construct_event(
        payload, signature, secret, tolerance=settings.STRIPE_WEBHOOK_TOLERANCE
    )
