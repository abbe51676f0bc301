"""Dunning: past due (a banner on every staff page with the way to pay, everything works), unpaid (administration
read-only: staff and administrators' writes refused with the reason and a link to /billing/, while rating
intake on every channel, the closed loop, sign-out and the billing pages keep working), cancelled (a banner
offering the data export; archived once the retention period is over). Citizens never see any of it."""

from datetime import timedelta

import pytest
import time_machine
from control_plane.console.models import TenantStatusChange
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from billing import services
from billing.entitlements import subscription_for
from billing.models import Invoice, Subscription, SubscriptionStatus
from tenants.accounts.models import ApiKey, AuditEvent
from tenants.accounts.roles import Role
from tenants.cases.models import Case
from tenants.channels.tokens import window_token
from tenants.evaluations.models import Evaluation
from tenants.insight.textmining.models import LedgerStatus, ProblemLedgerEntry
from tenants.middleware import host_cache_clear
from tenants.models import Tenant
from tests.billing.stripe_recordings.fixtures import (  # noqa: F401 (fixtures)
    admin_client,
    deliver,
    english_fixture,
    put_status,
    stripe_api_fixture,
    subscription_of,
)
from tests.billing.stripe_recordings.server import event, subscription_object
from tests.billing.test_entitlements import SMS_PHONE, sms_invitation
from tests.cases.conftest import person, signed_in
from tests.conftest import host_client, key_client, make_key
from tests.insight.test_textmining_pages import EVALUATOR, seeded

pytestmark = pytest.mark.usefixtures("english")
S = SubscriptionStatus


def _banner(page) -> str:
    html = page.content.decode()
    return html.split('id="billing-banner"')[1].split("</div>")[0] if 'id="billing-banner"' in html else ""


def _rating(number: str, level: int = 1) -> dict:
    body = {"transaction": number, "level": level, "channel": "device", "item_code": "ITEM-001"}
    if level >= 4:
        body["reason_tags"] = ["attitude"]
    return body


# --- past due ------------------------------------------------------------------------------------------------
def test_past_due_shows_a_banner_with_the_way_to_pay_on_every_staff_page(stripe_api, world, settings):
    settings.BILLING_GRACE_DAYS = 14
    alpha = world.info
    since = timezone.now() - timedelta(days=3)
    put_status(alpha, S.PAST_DUE, past_due_since=since)
    Invoice.objects.create(
        stripe_invoice_id="in_open", tenant=alpha.tenant, status="open", amount_due=980000,
        hosted_invoice_url="https://invoice.stripe.com/i/acct_1/test_open",
    )  # fmt: skip
    admin = admin_client(alpha)

    for path in ("/", "/organisation/", "/cases/"):
        banner = _banner(admin.get(path))
        assert 'data-status="past_due"' in banner, path
        assert (since + timedelta(days=14)).strftime("%Y-%m-%d") in banner
        assert (
            'href="https://invoice.stripe.com/i/acct_1/test_open"' in banner and 'href="/billing/"' in banner
        )
    # staff who cannot pay are told who can
    officer = signed_in(alpha, person(alpha, Role.OFFICER, "officer", world.hall))
    banner = _banner(officer.get("/cases/"))
    assert "Ask your administrator" in banner and "invoice.stripe.com" not in banner
    # everything still works: an administrator's change goes through
    created = admin.post("/settings/api-keys/", {"name": "work orders", "role": "work_order"})
    assert created.status_code == 200
    with schema_context(alpha.schema):
        assert ApiKey.objects.filter(name="work orders").exists()


def test_citizens_see_no_banner_and_cost_no_billing_query(stripe_api, world):
    alpha = world.info
    put_status(alpha, S.UNPAID)
    citizen = host_client(alpha.host)
    for path in ("/device/", "/widget.js"):
        with CaptureQueriesContext(connection) as queries:
            page = citizen.get(path)
        assert page.status_code == 200 and not _banner(page), path
        assert not [q for q in queries.captured_queries if "billing_" in q["sql"]], path
    # the portal checks its own entitlement (billing.entitlements), but shows no billing banner either
    assert not _banner(citizen.get("/portal/"))


def test_the_state_is_looked_up_once_and_not_again_on_the_next_request(stripe_api, alpha):
    put_status(alpha, S.PAST_DUE, past_due_since=timezone.now())
    admin = admin_client(alpha)
    admin.get("/")
    with CaptureQueriesContext(connection) as queries:
        page = admin.get("/")
    assert _banner(page)
    assert not [q for q in queries.captured_queries if "billing_subscription" in q["sql"]]


def test_active_trialing_and_disabled_billing_show_no_banner(stripe_api, alpha, settings):
    admin = admin_client(alpha)
    put_status(alpha, S.ACTIVE)
    assert not _banner(admin.get("/"))
    put_status(alpha, S.TRIALING)
    assert not _banner(admin.get("/"))
    put_status(alpha, S.UNPAID)
    settings.STRIPE_API_KEY = ""  # billing disabled: no dunning at all
    assert not _banner(admin.get("/"))
    assert admin.post("/settings/api-keys/", {"name": "k", "role": "work_order"}).status_code == 200


# --- unpaid: administration read-only -----------------------------------------------------------------------
def test_unpaid_refuses_administration_but_ratings_cases_and_billing_keep_working(stripe_api, world):
    alpha = world.info
    put_status(alpha, S.UNPAID, past_due_since=timezone.now() - timedelta(days=20))
    admin = admin_client(alpha)
    device = key_client(alpha.host, world.device_key)
    admin_key = key_client(alpha.host, make_key(alpha.schema, Role.TENANT_ADMIN))
    integration = key_client(alpha.host, world.integration_key)

    # reads work, and the banner says why changes are refused
    page = admin.get("/organisation/")
    assert page.status_code == 200 and 'data-status="unpaid"' in _banner(page)

    # an administrator's change is refused, with the reason and the way to pay; nothing is created
    refused = admin.post("/settings/api-keys/", {"name": "refused key", "role": "work_order"})
    html = refused.content.decode()
    assert refused.status_code == 403 and 'id="billing-read-only"' in html and 'href="/billing/"' in html
    assert "Citizens can still rate" in html
    refused_api = admin_key.post(
        "/api/v1/api-keys", {"name": "k", "role": "device"}, content_type="application/json"
    )
    assert refused_api.status_code == 403 and refused_api["Content-Type"] == "application/problem+json"
    assert (
        refused_api.json()["type"].endswith("/billing-unpaid") and "/billing/" in refused_api.json()["detail"]
    )
    with schema_context(alpha.schema):
        assert not ApiKey.objects.filter(name__in=["refused key", "k"]).exists()

    # citizens keep rating: the device's key, the device page; transactions are registered by integrations
    good = device.post("/api/v1/evaluations", _rating("U-1"), content_type="application/json")
    bad = device.post("/api/v1/evaluations", _rating("U-2", level=5), content_type="application/json")
    assert (good.status_code, bad.status_code) == (201, 201)
    assert host_client(alpha.host).get("/device/").status_code == 200
    registered = integration.post(
        "/api/v1/transactions",
        {"number": "U-3", "item_code": "ITEM-001", "unit_code": "H01", "channel": "device"},
        content_type="application/json",
    )
    assert registered.status_code == 201, registered.content

    # the closed loop goes on: the bad review's case is handled by the administrator (a supervisor of cases)
    case_id = bad.json()["case_id"]
    moved = admin.post(
        f"/cases/{case_id}/act/reassign", {"reassign-unit_code": "D01", "reassign-note": "属市场监管局"}
    )
    assert moved.status_code == 302
    with schema_context(alpha.schema):
        assert Case.objects.get(pk=case_id).unit.code == "D01"

    # the billing pages stay open (paying is the way out) and signing out works
    assert admin.get("/billing/").status_code == 200
    assert admin.post("/billing/portal", {}).status_code == 302
    assert admin.post("/accounts/logout/").status_code == 302


def test_unpaid_keeps_every_citizen_channel_the_ledger_and_the_identity_reveal_open(stripe_api, world):
    # given real-name bad reviews about queues at the hall (a spike for the problem ledger), a window clerk, a
    # supervisor, widget and SMS gateway keys and an SMS invitation made while paid, then the tenant unpaid
    alpha = world.info
    seeded(world)
    clerk = signed_in(alpha, person(alpha, Role.WINDOW_STAFF, "unpaid-clerk", world.hall))
    supervisor = signed_in(alpha, person(alpha, Role.SUPERVISOR, "unpaid-lead", world.department))
    widget = key_client(alpha.host, make_key(alpha.schema, Role.WIDGET))
    gateway = key_client(alpha.host, make_key(alpha.schema, Role.SMS_GATEWAY))
    sms_invitation(alpha, "UNPAID-SMS")
    with schema_context(alpha.schema):
        qr_url = f"/q/{window_token(world.window.pk)}/"
        case = Case.objects.order_by("pk").first()
        rated = Evaluation.objects.filter(anonymous=False).order_by("pk").first()
        before = Evaluation.objects.count()
    put_status(alpha, S.UNPAID, past_due_since=timezone.now() - timedelta(days=20))
    host_cache_clear()
    admin = admin_client(alpha)
    assert admin.post("/settings/api-keys/", {"name": "k", "role": "work_order"}).status_code == 403

    # when citizens rate on the QR page and the widget, a clerk enters a paper form, the gateway relays a reply
    qr = host_client(alpha.host).post(qr_url, {"item": "ITEM-001", "level": "1", "nonce": "0" * 32})
    widget_rating = widget.post(
        "/api/v1/widget/evaluations",
        {"transaction": "UNPAID-W", "level": 1, "item_code": "ITEM-001", "unit_code": "D01"},
        content_type="application/json",
        HTTP_ORIGIN="https://zwfw.example.gov.cn",
        HTTP_IDEMPOTENCY_KEY="unpaid-w",
    )
    paper = clerk.post(
        "/assisted/paper/enter",
        {
            "entry_token": "unpaid-paper-1",
            "transaction": "",
            "item_code": "ITEM-001",
            "window_code": "W01",
            "level": "2",
            "comment": "",
            "form_date": timezone.localdate().isoformat(),
        },
    )
    sms = gateway.post(
        "/api/v1/sms/inbound",
        {"message_id": "gw-unpaid-1", "phone": SMS_PHONE, "text": "1"},
        content_type="application/json",
    )
    # and the closed loop goes on: a case is reassigned, the spike goes on the problem ledger and is resolved,
    # the evaluator's identity is revealed to call them back
    moved = admin.post(
        f"/cases/{case.pk}/act/reassign", {"reassign-unit_code": "D01", "reassign-note": "属市场监管局"}
    )
    ledger = supervisor.post(
        "/insight/comments/ledger/new",
        {"unit": "H01", "term": "排队", "title": "A厅排队时间长", "deadline_days": "5"},
    )
    with schema_context(alpha.schema):
        entry = ProblemLedgerEntry.objects.first()
    resolved = (
        supervisor.post(f"/insight/comments/ledger/{entry.pk}/resolve", {"note": "增开窗口"})
        if entry
        else None
    )
    reveal = supervisor.post(f"/evaluations/{rated.pk}/reveal", {"reason": "回访需要核实情况"})

    # then every one went through
    assert qr.status_code in (200, 302), qr.content[:300]
    assert widget_rating.status_code == 201, widget_rating.content
    assert paper.status_code == 302, paper.content[:300]
    assert sms.status_code == 200 and sms.json()["evaluation_id"], sms.content
    with schema_context(alpha.schema):
        assert Evaluation.objects.count() == before + 4
        assert Case.objects.get(pk=case.pk).unit.code == "D01"
        entry = ProblemLedgerEntry.objects.get()
    assert moved.status_code == 302
    assert ledger.status_code == 302 and ledger["Location"] == f"/insight/comments/ledger/{entry.pk}/"
    assert resolved.status_code == 302 and entry.status == LedgerStatus.RESOLVED
    assert reveal.status_code == 200 and EVALUATOR["name"] in reveal.content.decode()
    with schema_context(alpha.schema):
        assert AuditEvent.objects.filter(action__contains="reveal", target_id=str(rated.pk)).exists()


def test_unpaid_alpha_leaves_beta_untouched(stripe_api, alpha, beta):
    put_status(alpha, S.UNPAID)
    put_status(beta, S.ACTIVE)
    assert (
        admin_client(alpha).post("/settings/api-keys/", {"name": "k", "role": "work_order"}).status_code
        == 403
    )
    page = admin_client(beta).post("/settings/api-keys/", {"name": "k", "role": "work_order"})
    assert page.status_code == 200 and not _banner(page)


def test_a_webhook_making_the_tenant_unpaid_takes_effect_on_the_next_request(stripe_api, alpha):
    put_status(alpha, S.ACTIVE)
    admin = admin_client(alpha)
    assert admin.post("/settings/api-keys/", {"name": "before", "role": "work_order"}).status_code == 200
    deliver(
        event("customer.subscription.updated", subscription_object(alpha.tenant, status="unpaid"), 1795670472)
    )
    assert admin.post("/settings/api-keys/", {"name": "after", "role": "work_order"}).status_code == 403
    deliver(
        event("customer.subscription.updated", subscription_object(alpha.tenant, status="active"), 1795670999)
    )
    assert admin.post("/settings/api-keys/", {"name": "paid", "role": "work_order"}).status_code == 200


# --- cancelled ---------------------------------------------------------------------------------------------
def test_cancelled_offers_the_data_export_before_the_archive_date(stripe_api, alpha):
    archive_after = timezone.now() + timedelta(days=60)
    put_status(
        alpha, S.CANCELLED, cancelled_at=timezone.now() - timedelta(days=30), archive_after=archive_after
    )
    admin = admin_client(alpha)
    banner = _banner(admin.get("/"))
    assert 'data-status="cancelled"' in banner and 'href="/insight/exports/"' in banner
    assert timezone.localtime(archive_after).strftime("%Y-%m-%d") in banner
    assert admin.get("/insight/exports/").status_code == 200
    refused = admin.post("/settings/api-keys/", {"name": "k", "role": "work_order"})
    assert refused.status_code == 403 and 'data-status="cancelled"' in refused.content.decode()


# --- the beat task ------------------------------------------------------------------------------------------------
def test_past_due_beyond_the_grace_period_becomes_unpaid(stripe_api, alpha, beta, settings):
    settings.BILLING_GRACE_DAYS = 14
    put_status(alpha, S.PAST_DUE, past_due_since=timezone.now() - timedelta(days=15))
    put_status(beta, S.PAST_DUE, past_due_since=timezone.now() - timedelta(days=13))

    assert services.dunning_advance() == {"unpaid": 1, "archived": 0}

    assert (subscription_of(alpha).status, subscription_of(beta).status) == (S.UNPAID, S.PAST_DUE)
    event_row = AuditEvent.objects.get(action="billing.dunning_unpaid")
    assert event_row.reason == "Payment overdue for more than 14 days."
    assert services.dunning_advance() == {"unpaid": 0, "archived": 0}  # idempotent


def test_a_cancelled_tenant_is_archived_once_the_retention_period_is_over(stripe_api, alpha, settings):
    settings.BILLING_RETENTION_DAYS = 90
    now = timezone.now()
    put_status(alpha, S.CANCELLED, cancelled_at=now, archive_after=now + timedelta(days=90))

    with time_machine.travel(now + timedelta(days=89), tick=False):
        assert services.dunning_advance() == {"unpaid": 0, "archived": 0}
    assert Tenant.objects.get(pk=alpha.tenant.pk).status != "archived"

    with time_machine.travel(now + timedelta(days=90, minutes=1), tick=False):
        assert services.dunning_advance() == {"unpaid": 0, "archived": 1}
        assert services.dunning_advance() == {"unpaid": 0, "archived": 0}

    assert Tenant.objects.get(pk=alpha.tenant.pk).status == "archived"
    change = TenantStatusChange.objects.get(tenant=alpha.tenant, action="archive")
    assert change.actor_label == "billing" and "retention period ended" in change.reason
    assert timezone.localtime(now).date().isoformat() in change.reason


# --- the trial -----------------------------------------------------------------------------------------------
def test_a_trial_is_announced_before_it_ends_and_then_leaves_administration_read_only(stripe_api, world):
    alpha = world.info
    Subscription.objects.filter(tenant=alpha.tenant).delete()
    # the first use starts the trial: its end is the plan's trial days away
    subscription = subscription_for(alpha.tenant)
    assert subscription.status == S.TRIALING
    assert subscription.trial_ends_at - timezone.now() > timedelta(days=subscription.plan.trial_days - 1)
    admin = admin_client(alpha)
    assert not _banner(admin.get("/"))  # weeks left: no banner
    # a week before its end the banner announces it
    ends = timezone.now() + timedelta(days=3)
    Subscription.objects.filter(pk=subscription.pk).update(trial_ends_at=ends)
    host_cache_clear()
    banner = _banner(admin.get("/"))
    assert "The trial ends on " + timezone.localtime(ends).strftime("%Y-%m-%d") in banner

    # when it has ended without a subscription, administration is read-only and the banner says why
    assert services.dunning_advance(now=ends + timedelta(minutes=1))["unpaid"] == 1
    assert subscription_of(alpha).status == S.UNPAID
    host_cache_clear()
    assert "Trial ended" in _banner(admin.get("/"))
    assert admin.post("/settings/api-keys/", {"name": "late", "role": "work_order"}).status_code == 403
    # citizens keep rating
    device = key_client(alpha.host, world.device_key)
    assert (
        device.post("/api/v1/evaluations", _rating("TRIAL-1"), content_type="application/json").status_code
        == 201
    )
    # a paying tenant's trial is Stripe's to end: a subscribed trial is left alone
    put_status(alpha, S.TRIALING, trial_ends_at=ends, stripe_subscription_id="sub_paying")
    assert services.dunning_advance(now=ends + timedelta(minutes=1))["unpaid"] == 0
