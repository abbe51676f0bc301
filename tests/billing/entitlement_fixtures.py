"""Helpers for the plan and entitlement tests: billing switched on, a tenant put on a plan (a Subscription row,
rolled back with the test), limits set relative to what the tenant uses now, signed-in clients."""

from __future__ import annotations

import pytest
from django.utils import translation
from django_tenants.utils import schema_context

from billing.entitlements import usage_count
from billing.models import Plan, Subscription, SubscriptionStatus
from tenants.accounts.models import User
from tests.conftest import TenantInfo, host_client


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def billing_on(settings):
    """Billing enabled: the plan comes from the tenant's Subscription (never called: no Stripe traffic here)."""
    settings.STRIPE_API_KEY = "sk_test_x"


def on_plan(info: TenantInfo, code: str = "basic", **fields) -> Plan:
    """Put the tenant on plan `code` (active), first changing the plan's fields (limits, switches)."""
    if fields:
        Plan.objects.filter(code=code).update(**fields)
    plan = Plan.objects.get(code=code)
    Subscription.objects.update_or_create(
        tenant=info.tenant, defaults={"plan": plan, "status": SubscriptionStatus.ACTIVE}
    )
    return plan


def used(info: TenantInfo, feature: str) -> int:
    with schema_context(info.schema):
        return usage_count(feature)


def admin_client(info: TenantInfo, email: str | None = None):
    """The tenant's administrator signed in (force_login: allauth rate-limits sign-in forms per address)."""
    client = host_client(info.host, HTTP_ACCEPT_LANGUAGE="en")
    with schema_context(info.schema):
        user = User.objects.get(email=email or info.admin_email)
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    client.user = user
    return client
