"""The problem ledger (集中问题台账): a spike becomes an entry with its evidence and a deadline in working days;
one open entry per unit and term; only supervisors keep it; every change is audited."""

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent
from tenants.insight.services import rollups_drain
from tenants.insight.textmining.models import LedgerStatus, ProblemLedgerEntry
from tenants.insight.textmining.selectors import term_spike
from tenants.insight.textmining.services import problem_ledger_create, problem_ledger_resolve
from tenants.workcalendar.services import calendar_override_set
from tests.insight.test_textmining_terms import rate

SUPERVISOR = Actor(kind="user", id=None, label="supervisor@alpha.example", role="supervisor")
OFFICER = Actor(kind="user", id=None, label="officer@alpha.example", role="officer")
# Wednesday before the National Day holiday: 1–7 October 2026 off, Saturday the 10th a make-up working day
BEFORE_HOLIDAY = timezone.make_aware(datetime(2026, 9, 30, 10, 0))


@pytest.fixture(autouse=True)
def _english():
    """These tests read English messages; zh-Hans is the translators' (tests/test_i18n.py)."""
    from django.utils import translation

    with translation.override("en"):
        yield


def planted_spike(world, *, today: date | None = None):
    """Six bad reviews about queues at the world's hall in the last week."""
    today = today or timezone.localdate()
    morning = timezone.make_aware(datetime.combine(today, datetime.min.time())) + timedelta(hours=9)
    rate(
        world, [(morning - timedelta(days=d % 4, minutes=d), 5, "窗口排队太久") for d in range(6)], prefix="P"
    )
    with schema_context(world.info.schema):
        rollups_drain()
        return term_spike(unit=world.hall, term="排队", today=today)


def test_a_spike_goes_on_the_ledger_with_a_working_day_deadline_and_an_audit_row(world):
    spike = planted_spike(world)
    assert spike.flagged
    with schema_context(world.info.schema):
        entry = problem_ledger_create(actor=SUPERVISOR, spike=spike, deadline_days=3, now=BEFORE_HOLIDAY)
        audit = AuditEvent.objects.get(action="problem_ledger.create")
    # Oct 8 (Thu) is working day 1, Oct 9 (Fri) day 2, Oct 10 (the make-up Saturday) day 3
    assert entry.deadline == date(2026, 10, 10)
    assert entry.status == LedgerStatus.OPEN and entry.unit == world.hall and entry.term == "排队"
    assert entry.title == "市民中心政务服务大厅: complaints about “排队” rising"
    assert entry.created_by == "supervisor@alpha.example"
    assert entry.evidence["recent"] == 6 and entry.evidence["unit"] == "H01"
    assert [w["count"] for w in entry.evidence["weeks"]][-1] == 6
    assert len(entry.evidence["sample_evaluation_ids"]) == 6
    assert (audit.target_type, audit.target_id, audit.actor_label) == (
        "ProblemLedgerEntry",
        str(entry.pk),
        "supervisor@alpha.example",
    )
    assert audit.data["term"] == "排队" and audit.data["deadline"] == "2026-10-10"


def test_the_tenant_calendar_moves_the_deadline(world):
    spike = planted_spike(world)
    with schema_context(world.info.schema):
        calendar_override_set(
            actor=Actor.system("tests"), day=date(2026, 10, 10), is_workday=False, note="台风"
        )
        entry = problem_ledger_create(
            actor=SUPERVISOR, spike=spike, title="排队问题", deadline_days=3, now=BEFORE_HOLIDAY
        )
    assert entry.deadline == date(2026, 10, 12) and entry.title == "排队问题"  # Sunday the 11th is off too


def test_one_open_entry_per_unit_and_term(world):
    spike = planted_spike(world)
    with schema_context(world.info.schema):
        first = problem_ledger_create(actor=SUPERVISOR, spike=spike)
        with pytest.raises(ValidationError, match="already exists"):
            problem_ledger_create(actor=SUPERVISOR, spike=spike, title="again")
        assert ProblemLedgerEntry.objects.count() == 1
        # once resolved, the same problem may be recorded again
        problem_ledger_resolve(actor=SUPERVISOR, entry=first, note="增开两个综合窗口")
        second = problem_ledger_create(actor=SUPERVISOR, spike=spike)
        first.refresh_from_db()
        resolved = AuditEvent.objects.get(action="problem_ledger.resolve")
    assert first.status == LedgerStatus.RESOLVED and first.resolution_note == "增开两个综合窗口"
    assert first.resolved_by == "supervisor@alpha.example" and first.resolved_at is not None
    assert second.status == LedgerStatus.OPEN and second.pk != first.pk
    assert resolved.target_id == str(first.pk)


def test_resolving_needs_a_note_and_an_open_entry(world):
    spike = planted_spike(world)
    with schema_context(world.info.schema):
        entry = problem_ledger_create(actor=SUPERVISOR, spike=spike)
        with pytest.raises(ValidationError):
            problem_ledger_resolve(actor=SUPERVISOR, entry=entry, note="  ")
        problem_ledger_resolve(actor=SUPERVISOR, entry=entry, note="已整改")
        with pytest.raises(ValidationError, match="already resolved"):
            problem_ledger_resolve(actor=SUPERVISOR, entry=entry, note="again")
        assert AuditEvent.objects.filter(action="problem_ledger.resolve").count() == 1


def test_officers_and_machines_may_not_keep_the_ledger(world):
    spike = planted_spike(world)
    machine = Actor(kind="api_key", id=1, label="window system", role="integration")
    with schema_context(world.info.schema):
        for actor in (OFFICER, machine):
            with pytest.raises(PermissionDenied):
                problem_ledger_create(actor=actor, spike=spike)
        entry = problem_ledger_create(actor=SUPERVISOR, spike=spike)
        with pytest.raises(PermissionDenied):
            problem_ledger_resolve(actor=OFFICER, entry=entry, note="done")
        entry.refresh_from_db()
        assert entry.status == LedgerStatus.OPEN
        assert not AuditEvent.objects.filter(action="problem_ledger.resolve").exists()
        assert AuditEvent.objects.filter(action="problem_ledger.create").count() == 1


def test_bad_deadlines_are_refused(world):
    spike = planted_spike(world)
    with schema_context(world.info.schema):
        for days in (0, 500):
            with pytest.raises(ValidationError):
                problem_ledger_create(actor=SUPERVISOR, spike=spike, deadline_days=days)
        assert not ProblemLedgerEntry.objects.exists()
