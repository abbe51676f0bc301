"""Stripe events on a REAL Celery worker: a delivered event is stored by the web request and processed by the
worker after commit; one that fails (its subscription not linked yet) is retried by the worker with its backoff
and succeeds once the linking event has arrived; meanwhile national staff see it failed on /billing/events/."""

import time

import pytest
from django_tenants.utils import schema_context

from billing.models import StripeEvent, Subscription
from tenants.accounts.models import AuditEvent, User
from tests.billing.stripe_recordings.fixtures import post_event
from tests.billing.stripe_recordings.server import (
    API_KEY,
    WEBHOOK_SECRET,
    checkout_completed_object,
    event,
    subscription_object,
)
from tests.conftest import NATIONAL_EMAIL, committed, running_celery_worker
from tests.console.conftest import public_client

ORPHAN = "sub_1SZworkerL2eZvKYlo2Wk"
T0 = 1795670472


def _wait(event_id: str, status: str, seconds: float = 60) -> StripeEvent:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        row = committed(lambda: StripeEvent.objects.filter(event_id=event_id).first())
        if row is not None and row.status == status:
            return row
        time.sleep(0.2)
    raise AssertionError(
        f"{event_id} never became {status}: {row and (row.status, row.attempts, row.last_error)}"
    )


@pytest.mark.django_db(transaction=False)
def test_a_real_worker_processes_events_and_retries_a_failed_one(tenant_pair, subprocess_env, settings):
    settings.STRIPE_API_KEY = API_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing answers there: processing needs no Stripe call
    alpha = tenant_pair["alpha"].tenant
    env = {
        **subprocess_env,
        "STRIPE_API_KEY": API_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": "http://127.0.0.1:9",
        "BILLING_EVENT_RETRY_SECONDS": "1",
    }
    before = committed(
        lambda: (
            list(Subscription.objects.filter(tenant=alpha).values()),
            AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        )
    )
    orphan = subscription_object(alpha, status="past_due", sub_id=ORPHAN)
    orphan["metadata"] = {}  # nothing names the tenant: it cannot be placed until the checkout links it
    stray = event("customer.subscription.updated", orphan, T0, event_id="evt_1SZworkerOrphan000001")
    linking = event(
        "checkout.session.completed",
        checkout_completed_object(alpha, subscription=ORPHAN, payment_status="unpaid"),
        T0 - 1,
        event_id="evt_1SZworkerLinking00001",
    )
    try:
        with running_celery_worker(env):
            # when Stripe delivers the subscription's update before the checkout that links it
            assert committed(lambda: post_event(stray).status_code) == 200
            failed = _wait(stray["id"], "failed")
            assert "belongs to no tenant" in failed.last_error and failed.attempts >= 1

            # then national staff see it failed
            def events_page() -> str:
                with schema_context("public"):
                    national = public_client(User.objects.get(email=NATIONAL_EMAIL))
                return national.get("/billing/events/?status=failed").content.decode()

            assert f'data-event="{stray["id"]}" data-status="failed"' in committed(events_page)

            # when the checkout arrives, the worker links alpha, and the retry of the stray event succeeds
            assert committed(lambda: post_event(linking).status_code) == 200
            assert _wait(linking["id"], "processed").attempts == 1
            done = _wait(stray["id"], "processed", seconds=90)
            assert done.attempts >= 2 and done.last_error == ""
            row = committed(lambda: Subscription.objects.get(tenant=alpha))
            assert (row.stripe_subscription_id, row.status, row.stripe_version) == (ORPHAN, "past_due", T0)
    finally:
        saved, last_audit = before

        def cleanup() -> None:
            StripeEvent.objects.filter(event_id__in=[stray["id"], linking["id"]]).delete()
            AuditEvent.objects.filter(pk__gt=last_audit, action__startswith="billing.").delete()
            Subscription.objects.filter(tenant=alpha).delete()
            for values in saved:
                Subscription.objects.create(**values)

        committed(cleanup)
