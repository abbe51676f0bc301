"""The append-only, hash-chained case history: the app and the database refuse edits; an edit made by
dropping the trigger is detected by recomputing the chain."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django_tenants.utils import schema_context

from tenants.cases.models import Case, CaseEvent
from tenants.cases.services import case_assign, case_chain_verify
from tenants.evaluations.models import Evaluation
from tests.cases.conftest import bad_case, rate


def _two_events(world, people) -> Case:
    case = bad_case(world)
    with schema_context(world.info.schema):
        return case_assign(actor=people.officer.actor, case=case, note="我来回访")


def test_the_app_refuses_to_change_or_delete_an_event(world, people):
    case = _two_events(world, people)
    with schema_context(world.info.schema):
        event = CaseEvent.objects.get(case=case, seq=1)
        event.note = "rewritten"
        with pytest.raises(ValidationError):
            event.save()
        with pytest.raises(ValidationError):
            event.delete()
        with pytest.raises(ValidationError):
            CaseEvent.objects.filter(case=case).update(note="rewritten")
        with pytest.raises(ValidationError):
            CaseEvent.objects.filter(case=case).delete()
        assert CaseEvent.objects.filter(case=case, note="rewritten").count() == 0


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE cases_caseevent SET note = 'rewritten' WHERE case_id = %s",
        "DELETE FROM cases_caseevent WHERE case_id = %s",
    ],
)
def test_the_database_refuses_update_and_delete_of_an_event(world, people, sql):
    case = _two_events(world, people)
    with schema_context(world.info.schema):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [case.pk])
        assert CaseEvent.objects.filter(case=case).count() == 2
        assert case_chain_verify(case=case).ok


def test_a_chain_tampered_with_in_the_database_is_detected(world, people, capsys):
    case = _two_events(world, people)
    with schema_context(world.info.schema):
        assert case_chain_verify(case=case).ok
        # someone with database rights drops the guard, rewrites the first event's note, restores the guard
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE cases_caseevent DISABLE TRIGGER cases_event_append_only")
            cursor.execute(
                "UPDATE cases_caseevent SET note = 'nothing happened' WHERE case_id = %s AND seq = 1",
                [case.pk],
            )
            cursor.execute("ALTER TABLE cases_caseevent ENABLE TRIGGER cases_event_append_only")
        report = case_chain_verify(case=case)
    assert (report.ok, report.first_bad_seq, report.reason) == (False, 1, "content changed")
    with pytest.raises(CommandError):
        call_command("cases_verify_chains", schema=world.info.schema)
    assert f"{case.number} broken at event 1" in capsys.readouterr().out


def test_a_deleted_event_is_detected(world, people):
    case = _two_events(world, people)
    with schema_context(world.info.schema):
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE cases_caseevent DISABLE TRIGGER cases_event_append_only")
            cursor.execute("DELETE FROM cases_caseevent WHERE case_id = %s AND seq = 1", [case.pk])
            cursor.execute("ALTER TABLE cases_caseevent ENABLE TRIGGER cases_event_append_only")
        report = case_chain_verify(case=case)
    assert (report.ok, report.first_bad_seq) == (False, 1)


def test_a_rewritten_head_is_detected(world, people):
    case = _two_events(world, people)
    with schema_context(world.info.schema):
        Case.objects.filter(pk=case.pk).update(head_hash="f" * 64)
        report = case_chain_verify(case=Case.objects.get(pk=case.pk))
    assert (report.ok, report.first_bad_seq, report.reason) == (False, 3, "head does not match")


def test_a_state_changed_in_the_database_without_its_events_is_detected(world, people):
    case = _two_events(world, people)
    with schema_context(world.info.schema):
        Case.objects.filter(pk=case.pk).update(state="closed")
        report = case_chain_verify(case=Case.objects.get(pk=case.pk))
    assert (report.ok, report.reason) == (False, "state does not match its history")


def test_hashes_cannot_be_recomputed_without_the_chain_key(world, people, settings):
    case = _two_events(world, people)
    with schema_context(world.info.schema):
        first = CaseEvent.objects.filter(case=case).order_by("seq").first()
        genuine = first.computed_hash(case.number)
        settings.CASES_CHAIN_KEY = "a key a forger guessed"
        forged = first.computed_hash(case.number)
    # the stored hash is the deployment key's; whoever rewrites the history without that key cannot match it
    assert genuine == first.hash and forged != first.hash


def test_deleting_a_rating_takes_its_whole_case_with_it(world, people):
    # Test and retention clean-up delete ratings; the trigger lets events go only with their case.
    case = _two_events(world, people)
    with schema_context(world.info.schema):
        Evaluation.objects.filter(pk=case.evaluation_id).delete()
        assert not Case.objects.filter(pk=case.pk).exists()
        assert not CaseEvent.objects.filter(case_id=case.pk).exists()


def test_the_command_reports_every_chain_intact(world, people, capsys):
    _two_events(world, people)
    rate(world, "T-2", 4)
    call_command("cases_verify_chains", schema=world.info.schema)
    out = capsys.readouterr().out
    assert "2 cases, 0 broken" in out
