"""Billing pages. On a tenant's host, /billing/ for its administrators: plan and status, usage against the
plan's limits, choosing a plan (card through Stripe Checkout, or invoice and bank transfer), the customer
portal, invoices; plainly disabled without a Stripe key. On the control plane, /billing/events/ for national
staff: Stripe events with status, attempts and last error, a failed one retried by hand."""

import copy

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from billing.models import Invoice, StripeEvent, SubscriptionStatus
from tenants.accounts.models import AuditEvent
from tenants.accounts.roles import Role
from tests.billing.stripe_recordings.fixtures import (  # noqa: F401 (fixtures)
    admin_client,
    english_fixture,
    put_status,
    stripe_api_fixture,
    subscription_of,
)
from tests.billing.stripe_recordings.server import recording
from tests.cases.conftest import person, signed_in
from tests.conftest import NATIONAL_EMAIL, host_client
from tests.console.conftest import public_client

pytestmark = pytest.mark.usefixtures("english")
S = SubscriptionStatus
TOKEN = "0123456789abcdef0123456789abcdef"


def _html(response) -> str:
    return response.content.decode()


def _invoice(info, number: str, status: str = "paid"):
    return Invoice.objects.create(
        stripe_invoice_id=number, tenant=info.tenant, status=status, amount_due=980000,
        amount_paid=980000 if status == "paid" else 0, currency="cny",
        hosted_invoice_url=f"https://invoice.stripe.com/i/acct_1/{number}",
    )  # fmt: skip


# --- the tenant's page ---------------------------------------------------------------------------------------
def test_the_administrator_sees_plan_status_usage_plans_and_own_invoices(stripe_api, alpha, beta):
    put_status(alpha, S.TRIALING)
    _invoice(alpha, "in_alpha_1")
    _invoice(beta, "in_beta_1")

    page = _html(admin_client(alpha).get("/billing/"))

    assert 'data-status="trialing"' in page and 'data-plan="standard"' in page
    for feature in ("halls", "windows", "devices", "staff", "api", "reports", "portal", "national_feed"):
        assert f'data-feature="{feature}"' in page
    plans = page.split('id="billing-plans"')[1]
    for code in ("basic", "standard", "flagship"):
        assert f'data-plan="{code}"' in plans
    assert plans.count('action="/billing/checkout"') == 3 and plans.count('action="/billing/invoice"') == 3
    assert 'name="token" value="' in plans
    assert "https://invoice.stripe.com/i/acct_1/in_alpha_1" in page and "in_beta_1" not in page
    assert "¥9,800" in page  # the invoice in yuan
    assert "Billing is disabled" not in page and stripe_api.sent == []


def test_choosing_card_payment_goes_to_stripe_checkout(stripe_api, alpha):
    response = admin_client(alpha).post("/billing/checkout", {"plan": "standard", "token": TOKEN})
    assert response.status_code == 302 and response["Location"] == recording("checkout_session")["url"]
    [session] = stripe_api.calls("POST", "/v1/checkout/sessions")
    assert session.params["success_url"] == "http://alpha.localhost/billing/?checkout=success"
    assert session.params["metadata[tenant_id]"] == str(alpha.tenant.pk)
    assert session.params["locale"] == "en"
    # back from Stripe: the page says the payment is being confirmed
    back = admin_client(alpha).get("/billing/?checkout=success")
    assert "being confirmed" in _html(back)


def test_choosing_invoice_payment_subscribes_by_bank_transfer(stripe_api, alpha):
    response = admin_client(alpha).post("/billing/invoice", {"plan": "standard", "token": TOKEN}, follow=True)
    page = _html(response)
    assert "Stripe e-mails the invoice to admin@alpha.example" in page
    assert "Paid by invoice and bank transfer." in page and 'data-status="active"' in page
    assert stripe_api.calls("POST", "/v1/subscriptions")[0].params["collection_method"] == "send_invoice"
    # subscribed: the plans now offer a switch, and the portal manages the payment
    assert 'action="/billing/checkout"' not in page and 'action="/billing/plan"' in page
    assert 'id="manage-payment"' in page


def test_manage_payment_opens_the_customer_portal(stripe_api, alpha):
    put_status(alpha, S.ACTIVE, stripe_customer_id="cus_TQx8Vd2LkY1aBc")
    response = admin_client(alpha).post("/billing/portal", {"token": TOKEN})
    assert response.status_code == 302 and response["Location"] == recording("billing_portal_session")["url"]
    assert (
        stripe_api.calls("POST", "/v1/billing_portal/sessions")[0].params["return_url"]
        == "http://alpha.localhost/billing/"
    )


def test_a_refusal_is_shown_on_the_page_and_nothing_is_sent(stripe_api, alpha):
    put_status(alpha, S.TRIALING)
    page = _html(admin_client(alpha).post("/billing/portal", {}, follow=True))
    assert "Choose a plan first" in page
    page = _html(admin_client(alpha).post("/billing/plan", {"plan": "flagship"}, follow=True))
    assert "Subscribe first" in page and subscription_of(alpha).plan.code == "standard"
    assert stripe_api.sent == []


def test_a_plan_not_offered_publicly_or_unknown_is_404(stripe_api, alpha):
    from billing.models import Plan

    Plan.objects.filter(code="flagship").update(is_public=False)
    admin = admin_client(alpha)
    assert admin.post("/billing/checkout", {"plan": "flagship"}).status_code == 404
    assert admin.post("/billing/invoice", {"plan": "nope"}).status_code == 404
    assert stripe_api.sent == []


def test_with_billing_disabled_the_page_says_so_and_nothing_is_sent(stripe_api, alpha, settings):
    settings.STRIPE_API_KEY = ""
    settings.BILLING_DEFAULT_PLAN = "flagship"
    admin = admin_client(alpha)
    page = _html(admin.get("/billing/"))
    assert (
        "Billing is disabled on this platform." in page
        and "Every workspace is on the default plan, 旗舰版" in page
    )
    assert 'action="/billing/checkout"' not in page and 'id="invoice-table"' not in page
    assert "Billing is disabled" in _html(admin.post("/billing/checkout", {"plan": "standard"}, follow=True))
    assert stripe_api.sent == []


def test_only_administrators_reach_the_billing_pages(stripe_api, world):
    alpha = world.info
    officer = signed_in(alpha, person(alpha, Role.OFFICER, "officer", world.hall))
    assert officer.get("/billing/").status_code == 403
    assert officer.post("/billing/checkout", {"plan": "standard"}).status_code == 403
    anonymous = host_client(alpha.host)
    assert anonymous.get("/billing/").status_code == 302
    assert anonymous.post("/billing/portal", {}).status_code == 302
    assert stripe_api.sent == []


def test_another_tenants_administrator_can_neither_see_nor_act_on_alphas_billing(stripe_api, alpha, beta):
    _invoice(alpha, "in_alpha_1")
    put_status(alpha, S.ACTIVE, stripe_customer_id="cus_alpha")
    beta_admin = admin_client(beta)
    # beta's session means nothing on alpha's host: sign-in first, nothing shown, nothing sent
    on_alpha = host_client(alpha.host, HTTP_ACCEPT_LANGUAGE="en")
    on_alpha.cookies = copy.deepcopy(beta_admin.cookies)
    for response in (
        on_alpha.get("/billing/"),
        on_alpha.post("/billing/portal", {}),
        on_alpha.post("/billing/checkout", {"plan": "standard"}),
    ):
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert stripe_api.sent == []
    # beta's own page shows none of alpha's invoices, and its portal is its own (it has no customer yet)
    page = _html(beta_admin.get("/billing/"))
    assert "in_alpha_1" not in page and 'id="manage-payment"' not in page
    assert "Choose a plan first" in _html(beta_admin.post("/billing/portal", {}, follow=True))
    assert stripe_api.sent == []


# --- national staff: Stripe events ---------------------------------------------------------------------------------
def _events():
    failed = StripeEvent.objects.create(
        event_id="evt_failed_1", type="invoice.paid", api_created=1795670472, payload={"data": {"object": {}}},
        status="failed", attempts=3, last_error="UnknownStripeObject: invoice in_x belongs to no tenant or reseller yet",
        next_attempt_at=timezone.now(),
    )  # fmt: skip
    done = StripeEvent.objects.create(
        event_id="evt_done_1", type="customer.subscription.updated", api_created=1795670400,
        payload={"data": {"object": {}}}, status="processed", attempts=1,
    )  # fmt: skip
    return failed, done


@pytest.fixture
def national(tenant_pair, db):
    from tenants.accounts.models import User

    with schema_context("public"):
        return public_client(User.objects.get(email=NATIONAL_EMAIL))


@pytest.fixture
def reseller_staff(tenant_pair, db):
    from tenants.accounts.actors import Actor
    from tenants.accounts.services import user_create

    with schema_context("public"):
        return public_client(
            user_create(actor=Actor.system("tests"), email="reseller@test.example", role=Role.RESELLER_STAFF)
        )


def test_national_staff_see_events_with_status_attempts_and_errors_and_filter_failures(stripe_api, national):
    _events()
    page = _html(national.get("/billing/events/"))
    assert 'data-event="evt_failed_1" data-status="failed"' in page and 'data-event="evt_done_1"' in page
    assert "belongs to no tenant or reseller yet" in page
    assert page.count("Retry now") == 1
    only_failed = _html(national.get("/billing/events/?status=failed"))
    assert "evt_failed_1" in only_failed and "evt_done_1" not in only_failed


def test_retry_now_hands_a_failed_event_back_to_the_worker(stripe_api, national):
    failed, done = _events()
    response = national.post(f"/billing/events/{failed.pk}/retry", {"next": "/billing/events/?status=failed"})
    assert response.status_code == 302 and response["Location"] == "/billing/events/?status=failed"
    failed.refresh_from_db()
    assert (failed.status, failed.next_attempt_at, failed.attempts) == ("pending", None, 3)
    with schema_context("public"):
        assert AuditEvent.objects.filter(
            action="billing.stripe_event_retry", target_id=str(failed.pk)
        ).exists()
    # a processed event is not retried
    national.post(f"/billing/events/{done.pk}/retry", {})
    done.refresh_from_db()
    assert done.status == "processed"
    # an open redirect is not followed
    assert (
        national.post(f"/billing/events/{failed.pk}/retry", {"next": "https://evil.example/"})["Location"]
        == "/billing/events/"
    )


def test_reseller_staff_and_anonymous_visitors_are_refused(stripe_api, reseller_staff):
    failed, _done = _events()
    assert reseller_staff.get("/billing/events/").status_code == 403
    assert reseller_staff.post(f"/billing/events/{failed.pk}/retry", {}).status_code == 403
    anonymous = public_client()
    assert anonymous.get("/billing/events/").status_code == 302
    assert anonymous.post(f"/billing/events/{failed.pk}/retry", {}).status_code == 302
    failed.refresh_from_db()
    assert failed.status == "failed"


def test_the_national_pages_and_the_webhook_exist_only_on_the_control_plane(stripe_api, alpha):
    admin = admin_client(alpha)
    assert admin.get("/billing/events/").status_code == 404
    assert (
        host_client(alpha.host)
        .post("/billing/stripe/webhook", b"{}", content_type="application/json")
        .status_code
        == 404
    )
