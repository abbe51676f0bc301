"""Two administrators creating at the last free slot at the same moment: one gets it, the other is refused."""

import threading

from django.db import connections, transaction
from django_tenants.utils import schema_context

from billing.entitlements import EntitlementExceeded, usage_count
from billing.models import Plan, Subscription, SubscriptionStatus
from tenants.accounts.actors import Actor
from tenants.organisation.models import Unit, UnitKind
from tenants.organisation.services import unit_create
from tests.conftest import committed

ACTOR = Actor.system("tests")


def _in_thread(fn):
    outcome = {}

    def run():
        try:
            outcome["value"] = fn()
        except BaseException as exc:
            outcome["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_the_last_slot_goes_to_one_of_two_concurrent_creates(beta, settings):
    settings.STRIPE_API_KEY = "sk_test_x"  # billing on: the plan comes from the subscription

    def setup():
        with schema_context(beta.schema):
            halls = usage_count("halls")
        before = Plan.objects.get(code="basic").max_halls
        Plan.objects.filter(code="basic").update(max_halls=halls + 1)  # one slot left
        Subscription.objects.update_or_create(
            tenant=beta.tenant,
            defaults={"plan": Plan.objects.get(code="basic"), "status": SubscriptionStatus.ACTIVE},
        )
        return before

    max_halls_before = committed(setup)
    first_created, release = threading.Event(), threading.Event()

    def first():
        with schema_context(beta.schema), transaction.atomic():
            unit_create(actor=ACTOR, code="RACE-A", name="甲大厅", kind=UnitKind.HALL)
            first_created.set()
            release.wait(10)  # holds its transaction open while the second one tries

    def second():
        first_created.wait(10)
        with schema_context(beta.schema):
            unit_create(actor=ACTOR, code="RACE-B", name="乙大厅", kind=UnitKind.HALL)

    try:
        # when both create a hall, the second while the first has not committed yet
        thread_a, outcome_a = _in_thread(first)
        thread_b, outcome_b = _in_thread(second)
        first_created.wait(10)
        thread_b.join(1)  # the second waits for the first's decision …
        assert thread_b.is_alive()
        release.set()
        thread_a.join(10)
        thread_b.join(10)
        # then the first got the slot and the second was refused with the plan's limit
        assert "error" not in outcome_a
        assert isinstance(outcome_b.get("error"), EntitlementExceeded)

        def halls():
            with schema_context(beta.schema):
                return sorted(Unit.objects.filter(code__startswith="RACE-").values_list("code", flat=True))

        assert committed(halls) == ["RACE-A"]
    finally:
        release.set()

        def cleanup():
            with schema_context(beta.schema):
                Unit.objects.filter(code__startswith="RACE-").delete()
            Plan.objects.filter(code="basic").update(max_halls=max_halls_before)
            Subscription.objects.filter(tenant=beta.tenant).delete()

        committed(cleanup)
