"""Fixtures and helpers of the Stripe/billing tests: the recorded Stripe API on a local port with billing
switched on, plans with Stripe prices, webhook deliveries signed like Stripe signs them, signed-in clients.

Test modules import the fixture functions (`english_fixture`, `stripe_api_fixture`) and ask for the fixtures
by name (`english`, `stripe_api`)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django.utils import translation

from billing import webhooks
from billing.models import Plan, StripeEvent, Subscription, SubscriptionStatus
from tests.billing.entitlement_fixtures import admin_client  # noqa: F401 (re-exported to the billing tests)
from tests.billing.stripe_recordings.server import API_KEY, WEBHOOK_SECRET, StripeAPI, running_stripe, sign
from tests.conftest import TenantInfo, host_client

CONTROL_PLANE = "localhost"
# the recorded price ids (tests/billing/stripe_recordings/*.json)
PRICES = {
    "basic": ("price_1SZbasicMonthlyCNY1800", ""),
    "standard": ("price_1SZstdMonthlyCNY9800", "price_1SZstdRatingsMetered"),
    "flagship": ("price_1SZflagMonthlyCNY29800", ""),
}


@pytest.fixture(name="english")
def english_fixture(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(name="stripe_api")
def stripe_api_fixture(settings, db) -> Iterator[StripeAPI]:
    """Billing enabled against the recorded Stripe API (its `sent` lists every request), plans priced."""
    with running_stripe() as api:
        settings.STRIPE_API_KEY = API_KEY
        settings.STRIPE_API_BASE = api.url
        settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
        for code, (price, metered) in PRICES.items():
            Plan.objects.filter(code=code).update(stripe_price_id=price, stripe_metered_price_id=metered)
        yield api


def post_event(
    event: dict, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None, header: str | None = None
):
    """Deliver an event to the webhook as Stripe does: JSON body, `Stripe-Signature` over it, no CSRF token."""
    body = json.dumps(event, ensure_ascii=False).encode()
    client = host_client(CONTROL_PLANE, enforce_csrf_checks=True)
    signature = header if header is not None else sign(body, secret, timestamp)
    return client.post(
        "/billing/stripe/webhook", data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )


def deliver(event: dict) -> StripeEvent:
    """Deliver, then process it here as the worker would (tests/billing/test_webhooks_worker.py uses a real
    worker); returns the stored event afterwards."""
    response = post_event(event)
    assert response.status_code == 200, response.content
    stored = StripeEvent.objects.get(event_id=event["id"])
    webhooks.event_process(stored.pk)
    stored.refresh_from_db()
    return stored


def subscription_of(info: TenantInfo) -> Subscription:
    return Subscription.objects.select_related("plan").get(tenant=info.tenant)


def put_status(info: TenantInfo, status: str, plan: str = "standard", **fields) -> Subscription:
    """A tenant's subscription in a given state (the test's starting point)."""
    subscription, _created = Subscription.objects.update_or_create(
        tenant=info.tenant, defaults={"plan": Plan.objects.get(code=plan), "status": status, **fields}
    )
    return subscription


ACTIVE = SubscriptionStatus.ACTIVE
