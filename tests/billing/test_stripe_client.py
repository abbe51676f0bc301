"""The Stripe seam (billing/stripe_client.py through billing/services.py) against recorded Stripe responses on a
local server: what the product sends (form-encoded parameters, idempotency keys, API version) for a card
checkout, an invoiced subscription (send_invoice), the customer portal, Stripe Connect revenue share, a
reseller's wholesale lines, metered usage (billing meter events); Stripe's errors; billing disabled."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from billing import services
from billing.models import Plan, Reseller, Subscription, SubscriptionStatus, UsageReport, WholesalePrice
from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent
from tenants.models import Tenant
from tests.billing.stripe_recordings.fixtures import (  # noqa: F401 (fixtures)
    english_fixture,
    put_status,
    stripe_api_fixture,
    subscription_of,
)
from tests.billing.stripe_recordings.server import recording

pytestmark = pytest.mark.usefixtures("english")
ADMIN = Actor(kind="user", id=1, label="admin@alpha.example", role="tenant_admin")
S = SubscriptionStatus
TOKEN = "0123456789abcdef0123456789abcdef"


def _checkout(alpha, plan="standard", token=TOKEN):
    return services.checkout_start(
        actor=ADMIN,
        tenant=alpha.tenant,
        plan=Plan.objects.get(code=plan),
        email="admin@alpha.example",
        success_url="http://alpha.localhost/billing/?checkout=success",
        cancel_url="http://alpha.localhost/billing/?checkout=cancelled",
        token=token,
        locale="zh",
    )


def test_a_card_checkout_creates_the_customer_once_and_a_subscription_checkout_session(stripe_api, alpha):
    # when alpha's administrator pays the standard plan by card
    url = _checkout(alpha)

    # then the payer is sent to Stripe's hosted page
    assert url == recording("checkout_session")["url"]
    [customer] = stripe_api.calls("POST", "/v1/customers")
    assert (
        customer.params["name"] == "甲省政务服务管理局" and customer.params["email"] == "admin@alpha.example"
    )
    assert customer.params["metadata[tenant_id]"] == str(alpha.tenant.pk)
    assert customer.idempotency_key == f"customer-tenant-{alpha.tenant.pk}"
    assert customer.headers["Authorization"].startswith("Bearer sk_test_")
    assert customer.headers["Stripe-Version"] == "2026-10-28.endive"
    [session] = stripe_api.calls("POST", "/v1/checkout/sessions")
    p = session.params
    assert (p["mode"], p["customer"], p["locale"]) == ("subscription", "cus_TQx8Vd2LkY1aBc", "zh")
    assert (p["line_items[0][price]"], p["line_items[0][quantity]"]) == ("price_1SZstdMonthlyCNY9800", "1")
    assert p["line_items[1][price]"] == "price_1SZstdRatingsMetered" and "line_items[1][quantity]" not in p
    assert p["client_reference_id"] == f"tenant-{alpha.tenant.pk}"
    assert p["subscription_data[metadata][tenant_id]"] == str(alpha.tenant.pk)
    assert p["subscription_data[metadata][plan]"] == "standard"
    assert p["success_url"].endswith("?checkout=success") and p["cancel_url"].endswith("?checkout=cancelled")
    assert "subscription_data[transfer_data][destination]" not in p
    assert session.idempotency_key == f"checkout-{alpha.tenant.pk}-standard-{TOKEN}"
    # the customer is remembered: a second attempt creates no other
    assert subscription_of(alpha).stripe_customer_id == "cus_TQx8Vd2LkY1aBc"
    _checkout(alpha, token="f" * 32)
    assert len(stripe_api.calls("POST", "/v1/customers")) == 1
    assert len(stripe_api.calls("POST", "/v1/checkout/sessions")) == 2
    with schema_context("public"):
        assert AuditEvent.objects.filter(action="billing.checkout_start").count() == 2


def test_a_resubmitted_form_reuses_its_idempotency_key(stripe_api, alpha):
    _checkout(alpha)
    _checkout(alpha)
    keys = [s.idempotency_key for s in stripe_api.calls("POST", "/v1/checkout/sessions")]
    assert keys[0] == keys[1]
    _checkout(alpha, token="<script>")  # not a token of ours: a fresh random one
    assert stripe_api.calls("POST", "/v1/checkout/sessions")[-1].idempotency_key not in (
        keys[0],
        "checkout-<script>",
    )


def test_an_agency_paying_by_bank_transfer_gets_an_invoiced_subscription(stripe_api, alpha, settings):
    settings.BILLING_DAYS_UNTIL_DUE = 30
    put_status(alpha, S.TRIALING)

    subscription = services.invoice_subscription_start(
        actor=ADMIN,
        tenant=alpha.tenant,
        plan=Plan.objects.get(code="standard"),
        email="admin@alpha.example",
        token=TOKEN,
    )

    [sent] = stripe_api.calls("POST", "/v1/subscriptions")
    p = sent.params
    assert (p["collection_method"], p["days_until_due"], p["customer"]) == (
        "send_invoice",
        "30",
        "cus_TQx8Vd2LkY1aBc",
    )
    assert (p["items[0][price]"], p["items[1][price]"]) == (
        "price_1SZstdMonthlyCNY9800",
        "price_1SZstdRatingsMetered",
    )
    assert p["metadata[tenant_id]"] == str(alpha.tenant.pk)
    assert sent.idempotency_key == f"invoice-subscription-{alpha.tenant.pk}-standard-{TOKEN}"
    row = subscription_of(alpha)
    assert (row.stripe_subscription_id, row.collection_method, row.status) == (
        "sub_1SZmB7L2eZvKYlo2Yq4kP1dS",
        "send_invoice",
        S.ACTIVE,
    )
    assert row.stripe_subscription_item_id == "si_TQxA1basicLine0001" and row.stripe_version > 0
    assert subscription.pk == row.pk
    assert Tenant.objects.get(pk=alpha.tenant.pk).status == "active"


def test_a_workspace_with_a_subscription_is_not_subscribed_twice(stripe_api, alpha):
    put_status(alpha, S.ACTIVE, stripe_subscription_id="sub_1SZkQpL2eZvKYlo2C0hXbQ7y")
    with pytest.raises(ValidationError) as refused:
        _checkout(alpha)
    assert refused.value.code == "subscribed" and stripe_api.sent == []


def test_a_plan_without_a_stripe_price_cannot_be_bought(stripe_api, alpha):
    Plan.objects.filter(code="basic").update(stripe_price_id="")
    with pytest.raises(ValidationError, match="cannot be bought online"):
        _checkout(alpha, plan="basic")
    assert stripe_api.sent == []


def test_the_customer_portal_opens_for_the_tenants_own_customer(stripe_api, alpha):
    put_status(alpha, S.ACTIVE, stripe_customer_id="cus_TQx8Vd2LkY1aBc")
    url = services.portal_start(
        actor=ADMIN,
        tenant=alpha.tenant,
        return_url="http://alpha.localhost/billing/",
        token=TOKEN,
        locale="en",
    )
    assert url == recording("billing_portal_session")["url"]
    [sent] = stripe_api.calls("POST", "/v1/billing_portal/sessions")
    assert sent.params == {
        "customer": "cus_TQx8Vd2LkY1aBc",
        "return_url": "http://alpha.localhost/billing/",
        "locale": "en",
    }
    assert sent.idempotency_key == f"portal-{alpha.tenant.pk}-{TOKEN}"


def test_no_portal_before_there_is_a_customer(stripe_api, alpha):
    put_status(alpha, S.TRIALING)
    with pytest.raises(ValidationError, match="Choose a plan first"):
        services.portal_start(actor=ADMIN, tenant=alpha.tenant, return_url="http://x/")
    assert stripe_api.sent == []


def test_direct_billing_through_a_connected_reseller_transfers_its_commission(stripe_api, alpha):
    reseller = Reseller.objects.create(
        name="联云科技", slug="lianyun", billing_model="direct", commission_percent="15.00",
        stripe_connect_account_id="acct_1SZconnectLianyun",
    )  # fmt: skip
    Tenant.objects.filter(pk=alpha.tenant.pk).update(reseller=reseller)
    alpha.tenant.refresh_from_db()
    try:
        _checkout(alpha)
    finally:
        Tenant.objects.filter(pk=alpha.tenant.pk).update(reseller=None)
        alpha.tenant.refresh_from_db()
    p = stripe_api.calls("POST", "/v1/checkout/sessions")[0].params
    assert p["subscription_data[transfer_data][destination]"] == "acct_1SZconnectLianyun"
    assert p["subscription_data[transfer_data][amount_percent]"] == "15.0"


def _wholesale(alpha, beta):
    reseller = Reseller.objects.create(
        name="联云科技", slug="lianyun", billing_model="wholesale", contact_email="billing@lianyun.example"
    )
    WholesalePrice.objects.create(
        reseller=reseller, plan=Plan.objects.get(code="standard"), monthly_price=680000
    )
    for info in (alpha, beta):
        Tenant.objects.filter(pk=info.tenant.pk).update(reseller=reseller)
        info.tenant.refresh_from_db()
    return reseller


@pytest.fixture
def restore_resellers(alpha, beta):
    yield
    for info in (alpha, beta):
        Tenant.objects.filter(pk=info.tenant.pk).update(reseller=None)
        info.tenant.refresh_from_db()


def test_a_wholesale_reseller_has_one_subscription_with_a_line_per_tenant(
    stripe_api, alpha, beta, restore_resellers
):
    reseller = _wholesale(alpha, beta)
    standard = Plan.objects.get(code="standard")

    # the first tenant: the reseller's customer and subscription, with the tenant's line at the wholesale price
    services.subscription_set_plan(actor=ADMIN, tenant=alpha.tenant, plan=standard)
    [customer] = stripe_api.calls("POST", "/v1/customers")
    assert customer.params["metadata[reseller_id]"] == str(reseller.pk)
    assert customer.idempotency_key == f"customer-reseller-{reseller.pk}"
    [created] = stripe_api.calls("POST", "/v1/subscriptions")
    p = created.params
    assert p["items[0][price_data][unit_amount]"] == "680000" and p["items[0][price_data][currency]"] == "cny"
    assert p["items[0][price_data][product]"] == "prod_TQx3StdPlan01"
    assert p["items[0][metadata][tenant_id]"] == str(alpha.tenant.pk)
    assert p["collection_method"] == "send_invoice" and p["metadata[reseller_id]"] == str(reseller.pk)
    alpha_row = subscription_of(alpha)
    assert (alpha_row.payer, alpha_row.stripe_subscription_id) == ("reseller", "sub_1SZmB7L2eZvKYlo2Yq4kP1dS")
    assert Reseller.objects.get(pk=reseller.pk).stripe_customer_id == "cus_TQx8Vd2LkY1aBc"

    # the second tenant: one more line on the same subscription, no second customer or subscription
    services.subscription_set_plan(actor=ADMIN, tenant=beta.tenant, plan=standard)
    [line] = stripe_api.calls("POST", "/v1/subscription_items")
    assert line.params["subscription"] == "sub_1SZmB7L2eZvKYlo2Yq4kP1dS"
    assert line.params["metadata[tenant_id]"] == str(beta.tenant.pk) and line.params["quantity"] == "1"
    assert line.params["price_data[unit_amount]"] == "680000"
    assert (
        len(stripe_api.calls("POST", "/v1/customers")) == 1
        and len(stripe_api.calls("POST", "/v1/subscriptions")) == 1
    )
    assert subscription_of(beta).stripe_subscription_item_id == "si_TQxW1wholesale0001"

    # a plan change moves only that tenant's line (no wholesale price for flagship: the plan's own price)
    services.subscription_set_plan(actor=ADMIN, tenant=beta.tenant, plan=Plan.objects.get(code="flagship"))
    [moved] = stripe_api.calls("POST", "/v1/subscription_items/si_TQxW1wholesale0001")
    assert moved.params["price"] == "price_1SZflagMonthlyCNY29800"
    assert moved.params["proration_behavior"] == "create_prorations"
    assert moved.params["metadata[plan]"] == "flagship"
    assert subscription_of(beta).plan.code == "flagship"


def test_a_wholesale_tenant_on_a_plan_without_a_stripe_price_stays_local(
    stripe_api, alpha, beta, restore_resellers
):
    _wholesale(alpha, beta)
    Plan.objects.filter(code="basic").update(stripe_price_id="")
    services.subscription_set_plan(actor=ADMIN, tenant=alpha.tenant, plan=Plan.objects.get(code="basic"))
    assert stripe_api.sent == [] and subscription_of(alpha).plan.code == "basic"
    # but a tenant already billed on a line cannot move to it
    services.subscription_set_plan(actor=ADMIN, tenant=beta.tenant, plan=Plan.objects.get(code="standard"))
    with pytest.raises(ValidationError, match="no Stripe price"):
        services.subscription_set_plan(actor=ADMIN, tenant=beta.tenant, plan=Plan.objects.get(code="basic"))
    assert subscription_of(beta).plan.code == "standard"


def test_a_paying_tenants_plan_change_moves_its_subscription_line(stripe_api, alpha):
    put_status(
        alpha,
        S.ACTIVE,
        stripe_subscription_id="sub_1SZkQpL2eZvKYlo2C0hXbQ7y",
        stripe_subscription_item_id="si_TQxA1basicLine0001",
    )
    services.tenant_plan_change(actor=ADMIN, tenant=alpha.tenant, plan=Plan.objects.get(code="flagship"))
    [moved] = stripe_api.calls("POST", "/v1/subscription_items/si_TQxA1basicLine0001")
    assert moved.params["price"] == "price_1SZflagMonthlyCNY29800"
    assert subscription_of(alpha).plan.code == "flagship"


def test_without_a_subscription_a_tenant_cannot_change_its_plan_for_free(stripe_api, alpha):
    put_status(alpha, S.TRIALING)
    with pytest.raises(ValidationError, match="Subscribe first"):
        services.tenant_plan_change(actor=ADMIN, tenant=alpha.tenant, plan=Plan.objects.get(code="flagship"))
    assert subscription_of(alpha).plan.code == "standard" and stripe_api.sent == []


def test_a_stripe_error_is_explained_and_nothing_changes(stripe_api, alpha):
    put_status(
        alpha,
        S.ACTIVE,
        stripe_subscription_id="sub_1SZkQpL2eZvKYlo2C0hXbQ7y",
        stripe_subscription_item_id="si_TQxA1basicLine0001",
    )
    stripe_api.answer("POST", "/v1/subscription_items/.*", recording("error_card_declined"), status=402)
    with pytest.raises(ValidationError, match="Your card was declined"):
        services.tenant_plan_change(actor=ADMIN, tenant=alpha.tenant, plan=Plan.objects.get(code="flagship"))
    assert subscription_of(alpha).plan.code == "standard"
    assert not AuditEvent.objects.filter(action="billing.plan_change").exists()


# --- metered usage -----------------------------------------------------------------------------------------
def _ratings(alpha, day, count, is_default=False):
    from tenants.insight.models import RatingDayRollup

    with schema_context(alpha.schema):
        RatingDayRollup.objects.create(day=day, channel="device", level=1, is_default=is_default, count=count)


def test_a_months_ratings_are_reported_once_as_a_billing_meter_event(stripe_api, alpha, settings):
    settings.STRIPE_METER_EVENT_NAME = "ratings"
    put_status(
        alpha,
        S.ACTIVE,
        stripe_subscription_id="sub_1SZkQpL2eZvKYlo2C0hXbQ7y",
        stripe_customer_id="cus_TQx8Vd2LkY1aBc",
    )
    _ratings(alpha, date(2026, 10, 1), 1000)
    _ratings(alpha, date(2026, 10, 31), 234)
    _ratings(alpha, date(2026, 10, 15), 50, is_default=True)  # default ratings are not billed
    _ratings(alpha, date(2026, 11, 1), 999)  # another month

    report = services.usage_report(tenant=alpha.tenant, month=date(2026, 10, 1))

    [sent] = stripe_api.calls("POST", "/v1/billing/meter_events")
    p = sent.params
    assert (p["event_name"], p["payload[stripe_customer_id]"], p["payload[value]"]) == (
        "ratings",
        "cus_TQx8Vd2LkY1aBc",
        "1234",
    )
    assert p["identifier"] == f"usage-{alpha.tenant.pk}-2026-10" == sent.idempotency_key
    assert int(p["timestamp"]) == 1793462399  # 2026-10-31 23:59:59 Asia/Shanghai, inside the month
    assert (report.ratings, report.month, report.stripe_identifier) == (
        1234,
        date(2026, 10, 1),
        p["identifier"],
    )
    assert report.reported_at is not None
    # again: nothing more is sent (the row is the ledger)
    services.usage_report(tenant=alpha.tenant, month=date(2026, 10, 1))
    assert services.usage_report_all(month=date(2026, 10, 1)) == 0
    assert len(stripe_api.calls("POST", "/v1/billing/meter_events")) == 1
    assert UsageReport.objects.filter(tenant=alpha.tenant).count() == 1


def test_usage_is_reported_only_for_plans_with_a_metered_price(stripe_api, alpha, beta):
    put_status(alpha, S.ACTIVE, plan="flagship", stripe_subscription_id="sub_a", stripe_customer_id="cus_a")
    put_status(beta, S.ACTIVE, plan="standard", stripe_subscription_id="sub_b", stripe_customer_id="cus_b")
    assert services.usage_report_all(month=date(2026, 10, 1)) == 1
    [sent] = stripe_api.calls("POST", "/v1/billing/meter_events")
    assert sent.params["payload[stripe_customer_id]"] == "cus_b" and sent.params["payload[value]"] == "0"
    assert not UsageReport.objects.filter(tenant=alpha.tenant).exists()


def test_a_usage_report_stripe_refused_is_tried_again_next_time(stripe_api, alpha):
    put_status(alpha, S.ACTIVE, stripe_subscription_id="sub_a", stripe_customer_id="cus_a")
    stripe_api.answer(
        "POST",
        "/v1/billing/meter_events",
        {"error": {"type": "api_error", "message": "try later"}},
        status=500,
    )
    assert services.usage_report_all(month=date(2026, 10, 1)) == 0
    assert not UsageReport.objects.filter(reported_at__isnull=False).exists()
    stripe_api.overrides.clear()
    assert services.usage_report_all(month=date(2026, 10, 1)) == 1


# --- billing disabled ------------------------------------------------------------------------------------------
def test_with_billing_disabled_no_stripe_call_is_ever_made(stripe_api, alpha, settings):
    settings.STRIPE_API_KEY = ""
    standard = Plan.objects.get(code="standard")
    with pytest.raises(ValidationError, match="Billing is disabled"):
        _checkout(alpha)
    with pytest.raises(ValidationError, match="Billing is disabled"):
        services.portal_start(actor=ADMIN, tenant=alpha.tenant, return_url="http://x/")
    services.subscription_set_plan(actor=ADMIN, tenant=alpha.tenant, plan=standard)  # local only
    assert services.usage_report_all() == 0
    assert stripe_api.sent == []
    assert Subscription.objects.get(tenant=alpha.tenant).plan == standard
