"""Opening cases: one per bad rating, in the intake transaction, set-based; revisions join the open case;
complaints; routing ("谁办理、谁负责")."""

from datetime import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.cases.models import Case, CaseEvent, CaseSettings, CaseSource, CaseState
from tenants.cases.services import case_chain_verify, case_open_from_complaint, cases_open_for_ratings
from tenants.evaluations.models import Evaluation, Transaction
from tenants.evaluations.services import EvaluationInput, evaluations_submit
from tests.cases.conftest import SYSTEM, rate


def test_a_bad_rating_opens_a_case_for_the_unit_that_handled_it(world):
    # given a real-name level-5 rating of a transaction handled by the hall, on Friday 2026-09-25 10:00
    with time_machine.travel(timezone.make_aware(datetime(2026, 9, 25, 10, 0)), tick=False):
        outcome = rate(world, "T-1", 5, realname=True, tags=("attitude", "long_wait"))
    # then a case is open for the hall, about this rating, with deadlines on the working-day calendar
    with schema_context(world.info.schema):
        case = Case.objects.select_related("unit").get(pk=outcome.case_id)
        events = list(case.events.all())
    assert (case.source, case.state, case.unit, case.evaluation_id) == (
        CaseSource.RATING,
        CaseState.NEW,
        world.hall,
        outcome.evaluation.pk,
    )
    assert case.realname and case.reason_tags == ["attitude", "long_wait"]
    assert case.number.startswith("C20260925-") and len(case.number) == len("C20260925-000001")
    # Friday 25 September 2026 is the Mid-Autumn holiday and National Day runs 1–7 October, with Saturday
    # 10 October a make-up working day: 1 working day → Mon 28 Sep, 5 → Fri 9 Oct, 15 → Thu 22 Oct
    local = {k: timezone.localtime(getattr(case, k)) for k in ("contact_due", "feedback_due", "rectify_due")}
    assert {k: v.date().isoformat() for k, v in local.items()} == {
        "contact_due": "2026-09-28",
        "feedback_due": "2026-10-09",
        "rectify_due": "2026-10-22",
    }
    assert (local["contact_due"].hour, local["contact_due"].minute) == (23, 59)  # the end of that day
    assert [(e.seq, e.kind, e.to_state) for e in events] == [(1, "opened", "new")]
    assert case.head_hash == events[0].hash and case.last_seq == 1
    with schema_context(world.info.schema):
        assert case_chain_verify(case=case).ok


def test_a_good_rating_opens_nothing(world):
    outcome = rate(world, "T-1", 2)
    assert outcome.case_id is None
    with schema_context(world.info.schema):
        assert not Case.objects.exists()


def test_a_rating_rolled_back_leaves_no_case(world):
    opened = []

    def intake_then_fail():
        with transaction.atomic():
            outcome = rate(world, "T-1", 5)
            opened.append(Case.objects.filter(pk=outcome.case_id).exists())  # inside the same transaction
            raise RuntimeError("the caller fails after intake")

    with schema_context(world.info.schema):
        with pytest.raises(RuntimeError):
            intake_then_fail()
        assert opened == [True]
        assert not Case.objects.exists() and not CaseEvent.objects.exists()
        assert not Evaluation.objects.exists()


def test_a_revision_joins_the_open_case_instead_of_opening_another(world):
    first = rate(world, "T-1", 4)
    second = rate(world, "T-1", 5, realname=True, tags=("multiple_trips",))
    third = rate(world, "T-1", 2)  # a good revision is recorded on the case too
    assert first.case_id == second.case_id == third.case_id
    with schema_context(world.info.schema):
        case = Case.objects.get()
        events = list(case.events.values_list("seq", "kind", "data"))
        assert case_chain_verify(case=case).ok
    # the case is now about the newest bad revision, and it is real-name
    assert case.evaluation_id == second.evaluation.pk and case.realname
    assert case.reason_tags == ["multiple_trips"]
    assert [(s, k) for s, k, _d in events] == [(1, "opened"), (2, "rating_revised"), (3, "rating_revised")]
    assert events[2][2] == {
        "evaluation": third.evaluation.pk,
        "level": 2,
        "revision": 3,
        "previous": second.evaluation.pk,
    }


def test_another_stage_of_the_same_transaction_is_another_case(world):
    accepted = rate(world, "T-1", 5, stage="accepted")
    finished = rate(world, "T-1", 5, stage="finished")
    assert accepted.case_id != finished.case_id


def test_two_bad_ratings_of_one_transaction_in_one_batch_make_one_case(world):
    with schema_context(world.info.schema):
        outcomes = evaluations_submit(
            actor=SYSTEM,
            items=[
                EvaluationInput(
                    transaction="T-1",
                    level=level,
                    channel="device",
                    reason_tags=["attitude"],
                    item_code=world.item.code,
                    unit_code=world.hall.code,
                    idempotency_key=f"k{level}",
                )
                for level in (4, 5)
            ],
        )
        case = Case.objects.get()
        assert case_chain_verify(case=case).ok
        assert list(case.events.values_list("kind", flat=True)) == ["opened", "rating_revised"]
    assert [o.case_id for o in outcomes] == [case.pk, case.pk]
    assert case.evaluation_id == outcomes[1].evaluation.pk


def test_a_batch_of_a_thousand_with_a_hundred_bad_opens_a_hundred_cases_in_a_few_queries(
    world, django_assert_max_num_queries
):
    items = [
        EvaluationInput(
            transaction=f"B-{i:04d}",
            level=5 if i % 10 == 0 else 1,
            channel="device",
            reason_tags=["attitude"] if i % 10 == 0 else [],
            item_code=world.item.code,
            unit_code=world.hall.code,
        )
        for i in range(1000)
    ]
    with schema_context(world.info.schema):
        rate(world, "WARM", 5)  # caches: intake configuration, calendar
        with django_assert_max_num_queries(8):
            outcomes = evaluations_submit(actor=SYSTEM, items=items)
        assert Case.objects.count() == 101 and CaseEvent.objects.count() == 101
        assert len({c.number for c in Case.objects.all()}) == 101
    assert sum(o.case_id is not None for o in outcomes) == 100
    assert all((o.case_id is not None) == o.evaluation.is_bad for o in outcomes)


def test_the_opener_does_nothing_without_bad_ratings_or_revisions(world, django_assert_num_queries):
    outcome = rate(world, "T-1", 1)
    with schema_context(world.info.schema), django_assert_num_queries(0):
        assert cases_open_for_ratings(evaluations=[outcome.evaluation]) == {}


def test_a_complaint_opens_a_case_routed_to_the_named_unit_else_the_fallback_else_the_top(world, people):
    with schema_context(world.info.schema):
        named = case_open_from_complaint(
            actor=SYSTEM, unit=world.hall, summary="窗口工作人员态度差", source_ref="social:1"
        )
        top = case_open_from_complaint(
            actor=SYSTEM, unit=None, summary="没有说明单位的投诉", source_ref="social:2"
        )
        settings = CaseSettings.current()
        settings.fallback_unit = people.other_department
        settings.save()
        fallback = case_open_from_complaint(actor=SYSTEM, unit=None, summary="同上", source_ref="social:3")
        with pytest.raises(ValidationError) as twice:
            case_open_from_complaint(actor=SYSTEM, unit=world.hall, summary="重复", source_ref="social:1")
        top_unit = world.department  # the first unit made at the top of the tree
        assert case_chain_verify(case=named).ok
    assert (named.source, named.unit_id, named.evaluation_id, named.summary) == (
        CaseSource.COMPLAINT,
        world.hall.pk,
        None,
        "窗口工作人员态度差",
    )
    assert top.unit_id == top_unit.pk and fallback.unit_id == people.other_department.pk
    assert "source_ref" in twice.value.message_dict


def test_an_officer_opens_complaints_only_for_units_inside_its_own(world, people):
    from django.core.exceptions import PermissionDenied

    with schema_context(world.info.schema):
        case = case_open_from_complaint(
            actor=people.hall_officer.actor, unit=world.window, summary="排队太久"
        )
        with pytest.raises(PermissionDenied):
            case_open_from_complaint(
                actor=people.hall_officer.actor, unit=world.department, summary="排队太久"
            )
    assert case.unit_id == world.window.pk


def test_routing_falls_back_to_the_items_unit_then_the_settings_then_the_top(world, people):
    # The handling unit is required on a transaction today; the opener still routes a transaction without
    # one (a NULL unit from a future import path) by the rule's order.
    with schema_context(world.info.schema):
        outcome = rate(world, "T-1", 1)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending trigger events before the ALTER
            cursor.execute("ALTER TABLE evaluations_transaction ALTER COLUMN unit_id DROP NOT NULL")
            cursor.execute("UPDATE evaluations_transaction SET unit_id = NULL WHERE number = 'T-1'")
        evaluation = Evaluation.objects.get(pk=outcome.evaluation.pk)
        evaluation.is_bad = True  # as if it were bad: the opener reads the flag it is given
        [(_e, by_item)] = cases_open_for_ratings(evaluations=[evaluation]).items()
        assert Case.objects.get(pk=by_item).unit == world.department  # the item's responsible unit
        Case.objects.filter(pk=by_item).update(state="closed")
        world.item.responsible_unit = None
        world.item.save(update_fields=["responsible_unit"])
        settings = CaseSettings.current()
        settings.fallback_unit = people.other_department
        settings.save()
        [(_e, by_settings)] = cases_open_for_ratings(evaluations=[evaluation]).items()
        assert Case.objects.get(pk=by_settings).unit == people.other_department
        Case.objects.filter(pk=by_settings).update(state="closed")
        settings.fallback_unit = None
        settings.save()
        [(_e, by_top)] = cases_open_for_ratings(evaluations=[evaluation]).items()
        assert Case.objects.get(pk=by_top).unit == world.department  # the top of the tree
        assert Transaction.objects.get(number="T-1").unit_id is None
