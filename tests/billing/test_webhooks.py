"""Stripe webhooks at POST /billing/stripe/webhook (control-plane host): verified with the stripe library against
STRIPE_WEBHOOK_SECRET (unsigned, wrongly signed, stale or malformed → 400, nothing stored), stored once by event
id (a replay answers 200 and changes nothing), processed into the tenant's subscription and invoices, tolerant of
out-of-order delivery (an older event never rolls a newer state back), failures kept and retried."""

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from billing import webhooks
from billing.models import Invoice, Reseller, StripeEvent, Subscription, SubscriptionStatus
from tenants.accounts.models import AuditEvent
from tenants.models import Tenant
from tests.billing.stripe_recordings.fixtures import (  # noqa: F401 (fixtures)
    deliver,
    english_fixture,
    post_event,
    put_status,
    stripe_api_fixture,
    subscription_of,
)
from tests.billing.stripe_recordings.server import (
    checkout_completed_object,
    event,
    invoice_object,
    sign,
    subscription_object,
)

pytestmark = pytest.mark.usefixtures("english")
S = SubscriptionStatus
T0 = 1795670472  # the recorded events' time
SUB = "sub_1SZkQpL2eZvKYlo2C0hXbQ7y"


def _sub_event(alpha, kind="customer.subscription.updated", created=T0, status="active", **changes):
    return event(kind, subscription_object(alpha.tenant, status=status, **changes), created)


# --- verification --------------------------------------------------------------------------------------------
def test_unsigned_wrongly_signed_stale_and_malformed_requests_get_400_and_nothing_is_stored(
    stripe_api, alpha
):
    good = _sub_event(alpha)
    body = json.dumps(good).encode()
    cases = {
        "unsigned": post_event(good, header=""),
        "other secret": post_event(good, secret="whsec_someone_else"),
        "stale": post_event(good, timestamp=int(time.time()) - 3600),
        "tampered": post_event(good, header=sign(body.replace(b'"active"', b'"canceled"'))),
        "garbage header": post_event(good, header="t=abc,v1=zzz"),
    }
    malformed = b'{"id": "evt_x", "type": '
    from tests.conftest import host_client

    cases["malformed"] = host_client("localhost").post(
        "/billing/stripe/webhook",
        data=malformed,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(malformed),
    )
    not_an_event = json.dumps({"hello": "world"}).encode()
    cases["not an event"] = host_client("localhost").post(
        "/billing/stripe/webhook",
        data=not_an_event,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(not_an_event),
    )
    assert {name: r.status_code for name, r in cases.items()} == dict.fromkeys(cases, 400)
    assert StripeEvent.objects.count() == 0
    assert not Subscription.objects.filter(tenant=alpha.tenant).exclude(stripe_subscription_id="").exists()
    assert host_client("localhost").get("/billing/stripe/webhook").status_code == 405


def test_without_a_webhook_secret_nothing_is_accepted(stripe_api, alpha, settings):
    # an empty secret would let anyone compute a valid signature
    settings.STRIPE_WEBHOOK_SECRET = ""
    response = post_event(_sub_event(alpha), secret="")
    assert response.status_code == 400 and StripeEvent.objects.count() == 0


def test_a_refused_delivery_is_not_told_why_and_the_log_is(stripe_api, alpha, settings, caplog):
    # given a wrongly signed delivery, and one while no secret is configured
    wrong = post_event(_sub_event(alpha), secret="whsec_wrong")
    settings.STRIPE_WEBHOOK_SECRET = ""
    unconfigured = post_event(_sub_event(alpha), secret="")
    # then both answer the same generic 400, and the reason is in our log only
    for response in (wrong, unconfigured):
        assert response.status_code == 400
        assert response.json() == {"error": "invalid signature or payload"}
    assert "no webhook secret configured" not in unconfigured.content.decode()
    assert "no webhook secret configured" in caplog.text


# --- stored once ---------------------------------------------------------------------------------------------
def test_an_event_is_stored_once_and_a_replay_answers_200_and_changes_nothing(stripe_api, alpha):
    first = _sub_event(alpha, status="past_due")
    stored = deliver(first)
    assert stored.status == "processed" and stored.attempts == 1 and stored.type == first["type"]
    before = (subscription_of(alpha).updated_at, AuditEvent.objects.count())

    replay = post_event(first)

    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    assert StripeEvent.objects.filter(event_id=first["id"]).count() == 1
    assert StripeEvent.objects.get(event_id=first["id"]).attempts == 1
    webhooks.event_process(stored.pk)  # even processing it again does nothing
    assert (subscription_of(alpha).updated_at, AuditEvent.objects.count()) == before
    assert subscription_of(alpha).status == S.PAST_DUE


def test_checkout_completed_then_the_subscription_events_make_the_tenant_active(stripe_api, alpha):
    # given alpha on its trial, never paid
    assert Tenant.objects.get(pk=alpha.tenant.pk).status == "trial"
    put_status(alpha, S.TRIALING)

    # when Checkout completes
    stored = deliver(event("checkout.session.completed", checkout_completed_object(alpha.tenant), T0 - 2))

    # then the tenant is linked to its customer and subscription, and paying makes it active
    assert stored.status == "processed"
    row = subscription_of(alpha)
    assert (row.stripe_customer_id, row.stripe_subscription_id) == ("cus_TQx8Vd2LkY1aBc", SUB)
    assert (row.status, row.plan.code, row.collection_method, row.payer) == (
        S.ACTIVE,
        "standard",
        "charge_automatically",
        "tenant",
    )
    assert Tenant.objects.get(pk=alpha.tenant.pk).status == "active"
    assert AuditEvent.objects.filter(action="tenant.activate", target_id=str(alpha.tenant.pk)).exists()

    # and the subscription's own event completes the picture (its line, its period)
    deliver(_sub_event(alpha, kind="customer.subscription.created", created=T0 - 1))
    row = subscription_of(alpha)
    assert (row.status, row.stripe_version, row.stripe_subscription_item_id) == (
        S.ACTIVE,
        T0 - 1,
        "si_TQxA1basicLine0001",
    )
    assert row.current_period_end.timestamp() == 1798348870


def test_a_subscription_event_before_the_checkout_links_the_tenant_by_its_metadata(stripe_api, alpha):
    deliver(_sub_event(alpha, kind="customer.subscription.created", created=T0))
    later = deliver(event("checkout.session.completed", checkout_completed_object(alpha.tenant), T0 - 5))
    row = subscription_of(alpha)
    assert later.status == "processed"
    assert (row.stripe_subscription_id, row.status, row.stripe_version) == (SUB, S.ACTIVE, T0)


@pytest.mark.parametrize(
    ("stripe_status", "ours"),
    [
        ("trialing", S.TRIALING),
        ("active", S.ACTIVE),
        ("past_due", S.PAST_DUE),
        ("unpaid", S.UNPAID),
        ("paused", S.UNPAID),
        ("canceled", S.CANCELLED),
    ],
)
def test_each_stripe_status_becomes_the_tenants_billing_status(stripe_api, alpha, stripe_status, ours):
    put_status(alpha, S.ACTIVE)
    deliver(_sub_event(alpha, status=stripe_status))
    assert subscription_of(alpha).status == ours


def test_past_due_records_since_when_and_a_paid_state_clears_it(stripe_api, alpha):
    deliver(_sub_event(alpha, status="past_due", created=T0))
    assert subscription_of(alpha).past_due_since.timestamp() == T0
    deliver(_sub_event(alpha, status="past_due", created=T0 + 86400))  # still the first day it was due
    assert subscription_of(alpha).past_due_since.timestamp() == T0
    deliver(_sub_event(alpha, status="active", created=T0 + 2 * 86400))
    assert subscription_of(alpha).past_due_since is None


def test_past_due_beyond_the_grace_period_is_unpaid_at_once(stripe_api, alpha, settings):
    settings.BILLING_GRACE_DAYS = 14
    long_ago = int((timezone.now() - timedelta(days=20)).timestamp())
    deliver(_sub_event(alpha, status="past_due", created=long_ago))
    assert subscription_of(alpha).status == S.UNPAID


def test_incomplete_leaves_the_trial_as_it_was(stripe_api, alpha):
    put_status(alpha, S.TRIALING)
    stored = deliver(_sub_event(alpha, status="incomplete", kind="customer.subscription.created"))
    assert subscription_of(alpha).status == S.TRIALING and stored.status == "processed"


def test_deleted_cancels_and_schedules_the_archive_after_the_retention_period(stripe_api, alpha, settings):
    settings.BILLING_RETENTION_DAYS = 90
    put_status(alpha, S.ACTIVE)
    ended = T0 + 3 * 86400
    deliver(
        _sub_event(
            alpha, kind="customer.subscription.deleted", status="canceled", created=ended, ended_at=ended
        )
    )
    row = subscription_of(alpha)
    assert row.status == S.CANCELLED and row.cancelled_at.timestamp() == ended
    assert row.archive_after == row.cancelled_at + timedelta(days=90)


def test_a_plan_changed_in_the_customer_portal_follows_the_lines_price(stripe_api, alpha):
    put_status(
        alpha, S.ACTIVE, stripe_subscription_id=SUB, stripe_subscription_item_id="si_TQxA1basicLine0001"
    )
    obj = subscription_object(alpha.tenant)
    line = obj["items"]["data"][0]
    line["price"]["id"] = line["plan"]["id"] = "price_1SZflagMonthlyCNY29800"
    line["metadata"] = {"plan": "standard"}  # left over from an earlier change of ours
    deliver(event("customer.subscription.updated", obj, T0, previous={"items": {"data": []}}))
    assert subscription_of(alpha).plan.code == "flagship"


# --- out of order ------------------------------------------------------------------------------------------
def test_an_older_update_arriving_late_never_rolls_the_status_back(stripe_api, alpha):
    newer = deliver(_sub_event(alpha, status="past_due", created=T0 + 100))
    older = deliver(_sub_event(alpha, status="active", created=T0 + 50))
    created = deliver(_sub_event(alpha, kind="customer.subscription.created", status="active", created=T0))

    row = subscription_of(alpha)
    assert (row.status, row.stripe_version) == (S.PAST_DUE, T0 + 100)
    assert (newer.status, older.status, created.status) == ("processed", "ignored", "ignored")


def test_a_cancellation_is_not_undone_by_an_older_update(stripe_api, alpha):
    deliver(_sub_event(alpha, kind="customer.subscription.deleted", status="canceled", created=T0 + 10))
    deliver(_sub_event(alpha, status="active", created=T0 + 5))
    assert subscription_of(alpha).status == S.CANCELLED


def test_two_events_of_the_same_second_settle_on_the_later_lifecycle_state(stripe_api, alpha):
    # Stripe's `created` has one-second resolution: the state further along wins, whichever arrives first
    deliver(_sub_event(alpha, status="past_due", created=T0))
    deliver(_sub_event(alpha, status="active", created=T0))
    assert subscription_of(alpha).status == S.PAST_DUE


# --- invoices ------------------------------------------------------------------------------------------------
INV_SUB = "sub_1SZmB7L2eZvKYlo2Yq4kP1dS"


def _linked(alpha, sub_id=INV_SUB, status=S.ACTIVE, **fields):
    return put_status(
        alpha,
        status,
        stripe_subscription_id=sub_id,
        stripe_customer_id="cus_TQx8Vd2LkY1aBc",
        stripe_version=T0 - 100,
        **fields,
    )


def _invoice_event(alpha, kind, status, created, **changes):
    return event(kind, invoice_object(alpha.tenant, sub_id=INV_SUB, status=status, **changes), created)


def test_invoices_are_kept_as_last_reported_and_an_older_report_never_wins(stripe_api, alpha):
    _linked(alpha)
    finalized = _invoice_event(alpha, "invoice.finalized", "open", T0)
    deliver(finalized)
    invoice = Invoice.objects.get(stripe_invoice_id="in_1SZmB8L2eZvKYlo2Hc6tQ2vW")
    assert (invoice.tenant_id, invoice.status, invoice.amount_due, invoice.amount_paid) == (
        alpha.tenant.pk,
        "open",
        980000,
        0,
    )
    assert invoice.collection_method == "send_invoice" and invoice.currency == "cny"
    assert invoice.hosted_invoice_url.startswith("https://invoice.stripe.com/i/")

    paid = deliver(_invoice_event(alpha, "invoice.paid", "paid", T0 + 600))
    late = deliver(_invoice_event(alpha, "invoice.finalized", "open", T0 + 1))  # delivered again, late

    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid, invoice.stripe_version) == ("paid", 980000, T0 + 600)
    assert (paid.status, late.status) == ("processed", "ignored")
    assert Invoice.objects.count() == 1


def test_a_failed_renewal_makes_the_subscription_past_due_and_paying_makes_it_active(stripe_api, alpha):
    _linked(alpha)
    deliver(_invoice_event(alpha, "invoice.payment_failed", "open", T0, billing_reason="subscription_cycle"))
    row = subscription_of(alpha)
    assert row.status == S.PAST_DUE and row.past_due_since.timestamp() == T0

    deliver(_invoice_event(alpha, "invoice.paid", "paid", T0 + 3600, billing_reason="subscription_cycle"))
    row = subscription_of(alpha)
    assert row.status == S.ACTIVE and row.past_due_since is None


def test_a_failed_first_payment_leaves_the_trial_alone(stripe_api, alpha):
    _linked(alpha, status=S.TRIALING)
    deliver(_invoice_event(alpha, "invoice.payment_failed", "open", T0, billing_reason="subscription_create"))
    assert subscription_of(alpha).status == S.TRIALING


def test_an_uncollectible_invoice_makes_the_subscription_unpaid(stripe_api, alpha):
    _linked(alpha, status=S.PAST_DUE, past_due_since=timezone.now() - timedelta(days=3))
    deliver(_invoice_event(alpha, "invoice.marked_uncollectible", "uncollectible", T0))
    assert subscription_of(alpha).status == S.UNPAID
    assert Invoice.objects.get().status == "uncollectible"


def test_an_invoice_of_another_subscription_does_not_move_the_current_one(stripe_api, alpha):
    _linked(alpha, sub_id="sub_1SZnewerL2eZvKYlo2Nw", status=S.ACTIVE)  # subscribed again since
    deliver(
        _invoice_event(alpha, "invoice.marked_uncollectible", "uncollectible", T0)
    )  # the old one's invoice
    assert subscription_of(alpha).status == S.ACTIVE
    assert Invoice.objects.get().tenant_id == alpha.tenant.pk


def test_an_invoice_event_older_than_the_subscription_state_does_not_move_it(stripe_api, alpha):
    _linked(alpha, status=S.ACTIVE)
    Subscription.objects.filter(tenant=alpha.tenant).update(stripe_version=T0 + 500)
    deliver(_invoice_event(alpha, "invoice.payment_failed", "open", T0, billing_reason="subscription_cycle"))
    assert subscription_of(alpha).status == S.ACTIVE
    assert Invoice.objects.get().status == "open"  # the invoice itself is still recorded


def test_a_direct_billing_resellers_share_is_recorded_per_paid_invoice(stripe_api, alpha):
    reseller = Reseller.objects.create(
        name="联云科技", slug="lianyun", billing_model="direct", commission_percent="12.50"
    )
    Tenant.objects.filter(pk=alpha.tenant.pk).update(reseller=reseller)
    _linked(alpha)
    deliver(_invoice_event(alpha, "invoice.paid", "paid", T0, amount_due=980005, amount_paid=980005))
    invoice = Invoice.objects.get()
    assert (invoice.reseller_id, invoice.revenue_share) == (reseller.pk, 122501)  # 12.5 % rounded half up


def test_a_wholesale_resellers_invoice_is_the_resellers_with_no_share(stripe_api, alpha, beta):
    reseller = Reseller.objects.create(
        name="联云科技", slug="lianyun", billing_model="wholesale", commission_percent="12.50",
        stripe_customer_id="cus_TQxR7Reseller0001",
    )  # fmt: skip
    for info in (alpha, beta):
        Tenant.objects.filter(pk=info.tenant.pk).update(reseller=reseller)
        put_status(info, S.ACTIVE, payer="reseller", stripe_subscription_id="sub_1SZwR3L2eZvKYlo2Ws9kT4eF")
    obj = invoice_object(
        alpha.tenant, sub_id="sub_1SZwR3L2eZvKYlo2Ws9kT4eF", status="paid", customer="cus_TQxR7Reseller0001"
    )
    obj["parent"]["subscription_details"]["metadata"] = {
        "reseller": "lianyun",
        "reseller_id": str(reseller.pk),
    }
    deliver(event("invoice.paid", obj, T0))
    invoice = Invoice.objects.get()
    assert (invoice.tenant_id, invoice.reseller_id, invoice.revenue_share) == (None, reseller.pk, 0)


def test_a_wholesale_subscription_event_moves_every_tenant_on_it(stripe_api, alpha, beta):
    wholesale = "sub_1SZwR3L2eZvKYlo2Ws9kT4eF"
    for info in (alpha, beta):
        put_status(info, S.ACTIVE, payer="reseller", stripe_subscription_id=wholesale)
    obj = subscription_object(alpha.tenant, status="past_due", recorded="subscription_wholesale")
    obj["metadata"] = {"reseller": "lianyun", "reseller_id": "1"}
    deliver(event("customer.subscription.updated", obj, T0))
    assert {subscription_of(i).status for i in (alpha, beta)} == {S.PAST_DUE}


# --- failures and other types ------------------------------------------------------------------------------------
def test_an_event_for_an_unknown_subscription_fails_is_retried_and_succeeds_once_linked(
    stripe_api, alpha, settings
):
    orphan = subscription_object(alpha.tenant, status="active", sub_id="sub_1SZorphanL2eZvKYlo2Xx")
    orphan["metadata"] = {}
    failed = deliver(event("customer.subscription.updated", orphan, T0))

    assert failed.status == "failed" and failed.attempts == 1
    assert "belongs to no tenant" in failed.last_error
    assert failed.next_attempt_at > timezone.now()
    assert webhooks.events_due() == []  # the task's own retry comes first
    assert webhooks.events_due(now=failed.next_attempt_at + timedelta(minutes=2)) == [failed.pk]

    # when the checkout that links alpha to that subscription arrives, the retry succeeds
    deliver(
        event(
            "checkout.session.completed",
            checkout_completed_object(alpha.tenant, subscription="sub_1SZorphanL2eZvKYlo2Xx"),
            T0 - 1,
        )
    )
    assert webhooks.event_process(failed.pk) == "processed"
    failed.refresh_from_db()
    assert (failed.attempts, failed.last_error, failed.next_attempt_at) == (2, "", None)
    assert subscription_of(alpha).stripe_version == T0


def test_after_the_last_attempt_a_failed_event_waits_for_staff(stripe_api, alpha, settings):
    settings.BILLING_EVENT_MAX_ATTEMPTS = 2
    orphan = subscription_object(alpha.tenant, sub_id="sub_1SZorphanL2eZvKYlo2Xx")
    orphan["metadata"] = {}
    stored = deliver(event("customer.subscription.updated", orphan, T0))
    webhooks.event_process(stored.pk)
    stored.refresh_from_db()
    assert (stored.status, stored.attempts, stored.next_attempt_at) == ("failed", 2, None)
    assert webhooks.events_due(now=timezone.now() + timedelta(days=1)) == []


def test_a_failing_handler_leaves_nothing_half_done(stripe_api, alpha):
    # an invoice naming a known subscription but an unknown tenant in its metadata: nothing is written
    obj = invoice_object(
        alpha.tenant, sub_id="sub_1SZnobodyL2eZvKYlo2Zz", status="paid", customer="cus_TQxUnknown"
    )
    obj["parent"]["subscription_details"]["metadata"] = {}
    stored = deliver(event("invoice.paid", obj, T0))
    assert stored.status == "failed" and Invoice.objects.count() == 0


@pytest.mark.parametrize("kind", ["customer.created", "payment_intent.succeeded", "invoice.upcoming"])
def test_other_event_types_are_stored_and_ignored(stripe_api, alpha, kind):
    stored = deliver(event(kind, {"id": "obj_1", "object": kind.split(".")[0]}, T0))
    assert stored.status == "ignored" and stored.last_error == ""
    assert not Subscription.objects.filter(tenant=alpha.tenant).exclude(stripe_version=0).exists()
