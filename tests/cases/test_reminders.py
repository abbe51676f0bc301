"""Reminders before a case's deadline and escalation of overdue cases (the sweeps in
tenants/cases/services/sla.py), then the whole thing on a real Celery worker and beat with the clock moved.

The case in most tests is a bad review of the world's hall at 10:00 on Tue 2025-09-30, the eve of National Day
2025 (off Wed 10-01 … Wed 10-08; Sat 10-11 a make-up working day): contact is due at the end of Thu 10-09;
with the default four hours' lead the reminder point is 20:00 that day; management hears two working days
after the deadline, i.e. once Fri 10-10 and the make-up Saturday 10-11 have passed.
"""

import glob
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from datetime import time as clock

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import User
from tenants.cases.models import Case, CaseEvent, CaseState
from tenants.cases.services import (
    case_assign,
    case_chain_verify,
    case_close,
    case_contact,
    case_feedback_send,
    case_resolve,
    case_verify,
)
from tenants.cases.services.sla import case_settings_set, cases_escalate_overdue, cases_send_reminders
from tenants.evaluations.services import EvaluationInput, evaluations_submit
from tenants.models import Tenant
from tenants.notify.models import Notification, NotificationStatus
from tenants.privacy.crypto import decrypt
from tenants.services import tenant_provision
from tenants.workcalendar.services import working_hours_set
from tests.cases.conftest import SYSTEM, bad_case, person
from tests.conftest import TenantInfo, build_capture_world, committed

TZ = timezone.get_default_timezone()
OPENED = datetime(2025, 9, 30, 10, 0, tzinfo=TZ)


def at(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


def opened(world, number: str = "T-BAD-1", moment: datetime = OPENED, **kwargs) -> Case:
    with time_machine.travel(moment, tick=False):
        return bad_case(world, number, **kwargs)


def remind(world, moment: datetime) -> int:
    with time_machine.travel(moment, tick=False), schema_context(world.info.schema):
        return cases_send_reminders(now=timezone.now())


def escalate(world, moment: datetime) -> int:
    with time_machine.travel(moment, tick=False), schema_context(world.info.schema):
        return cases_escalate_overdue(now=timezone.now())


def mail(schema: str, reference: str) -> list[tuple[str, str, str]]:
    """(recipient, subject, body) of the e-mails queued with `reference`, oldest first."""
    with schema_context(schema):
        rows = Notification.objects.filter(reference=reference).order_by("id")
        return [(decrypt(n.recipient), n.subject, n.body) for n in rows]


def to(schema: str, reference: str) -> list[str]:
    return sorted(recipient for recipient, _s, _b in mail(schema, reference))


def events(schema: str, case: Case) -> list[tuple[str, dict]]:
    with schema_context(schema):
        return [(e.kind, e.data) for e in CaseEvent.objects.filter(case=case).order_by("seq")]


# --- reminders -------------------------------------------------------------------------------------------
def test_the_units_officers_are_reminded_once_before_the_contact_deadline(world, people):
    schema = world.info.schema
    case = opened(world)
    # before the reminder point (20:00 on Thu 10-09), and during the holiday, nothing
    assert remind(world, at(2025, 10, 5, 12, 0)) == 0
    assert remind(world, at(2025, 10, 9, 19, 59)) == 0
    # after it: the officer of the hall (the case's unit) hears, not the department's or another unit's
    assert remind(world, at(2025, 10, 9, 20, 30)) == 1
    [(recipient, subject, body)] = mail(schema, "case-reminder")
    assert recipient == people.hall_officer.email
    assert case.number in subject and case.number in body
    assert "contact the evaluator" in body and "2025-10-09 23:59" in body
    # recorded on the case and in its hash chain
    with schema_context(schema):
        case.refresh_from_db()
        assert case.last_reminded_at == at(2025, 10, 9, 20, 30)
        assert case_chain_verify(case=case).ok
    kind, data = events(schema, case)[-1]
    assert kind == "reminder_sent"
    assert data["step"] == "contact" and data["to"] == [people.hall_officer.pk]
    assert datetime.fromisoformat(data["due"]) == case.contact_due
    # never twice for the same deadline, however often the sweep runs
    assert remind(world, at(2025, 10, 9, 21, 0)) == 0
    assert remind(world, at(2025, 10, 9, 23, 59)) == 0
    assert len(mail(schema, "case-reminder")) == 1
    # and not once the deadline has passed (that is escalation's business)
    assert remind(world, at(2025, 10, 10, 9, 0)) == 0


def test_the_assignee_is_reminded_and_each_new_deadline_gets_its_own_reminder(world, people):
    schema = world.info.schema
    case = opened(world)
    with time_machine.travel(at(2025, 9, 30, 11, 0), tick=False), schema_context(schema):
        case = case_assign(actor=people.officer.actor, case=case)  # the department's officer takes it
    assert remind(world, at(2025, 10, 9, 21, 0)) == 1
    assert to(schema, "case-reminder") == [people.officer.email]
    # the evaluator is reached: the next deadline is feedback, due at the end of Tue 10-14 (5 working days)
    with time_machine.travel(at(2025, 10, 9, 22, 0), tick=False), schema_context(schema):
        case = case_contact(
            actor=people.officer.actor, case=case, at=timezone.now(), method="phone", reached=True
        )
        assert case.state == CaseState.CONTACTED
    assert remind(world, at(2025, 10, 14, 19, 0)) == 0
    assert remind(world, at(2025, 10, 14, 20, 0)) == 1
    assert remind(world, at(2025, 10, 14, 22, 0)) == 0
    assert to(schema, "case-reminder") == [people.officer.email, people.officer.email]
    assert [d["step"] for k, d in events(schema, case) if k == "reminder_sent"] == ["contact", "feedback"]


def test_without_officers_in_its_unit_the_nearest_unit_above_is_reminded(world, people):
    with schema_context(world.info.schema):
        User.objects.filter(pk=people.hall_officer.pk).update(is_active=False)
    opened(world)
    assert remind(world, at(2025, 10, 9, 20, 30)) == 1
    assert to(world.info.schema, "case-reminder") == [people.officer.email]  # the department above the hall


def test_the_lead_time_counts_working_hours(world, people):
    # government hours 9:00–12:00 and 13:30–17:30; a review at 16:00 on the eve of National Day is due for
    # contact at 16:00 on Thu 10-09, so four working hours before it is 10:30 that morning (lunch excluded)
    with schema_context(world.info.schema):
        working_hours_set(
            actor=SYSTEM,
            enabled=True,
            morning_start=clock(9, 0),
            morning_end=clock(12, 0),
            afternoon_start=clock(13, 30),
            afternoon_end=clock(17, 30),
        )
    case = opened(world, moment=at(2025, 9, 30, 16, 0))
    assert case.contact_due == at(2025, 10, 9, 16, 0)
    assert remind(world, at(2025, 9, 30, 17, 0)) == 0
    assert remind(world, at(2025, 10, 8, 20, 0)) == 0  # the last evening of the holiday: 7 working hours left
    assert remind(world, at(2025, 10, 9, 10, 29)) == 0
    assert remind(world, at(2025, 10, 9, 10, 30)) == 1


def test_no_reminders_when_the_lead_time_is_zero(world, people):
    with schema_context(world.info.schema):
        case_settings_set(
            actor=SYSTEM,
            contact_days=1,
            feedback_days=5,
            rectify_days=15,
            remind_before_hours=0,
            escalate_management_days=2,
        )
    opened(world)
    assert remind(world, at(2025, 10, 9, 23, 0)) == 0


# --- escalation ------------------------------------------------------------------------------------------
def test_overdue_cases_go_to_the_supervisors_then_to_the_management_level(world, people):
    schema = world.info.schema
    info = world.info
    above = person(info, "supervisor", "dept-supervisor", world.department)  # above the hall: told
    person(info, "supervisor", "elsewhere-supervisor", people.other_department)  # another branch: not
    case = opened(world)
    assert escalate(world, at(2025, 10, 9, 23, 0)) == 0  # not overdue yet
    # the morning after the contact deadline: level 1, the supervisors of the hall's branch and tenant-wide
    assert escalate(world, at(2025, 10, 10, 9, 0)) == 1
    assert to(schema, "case-escalation-1") == sorted([above.email, people.supervisor.email])
    [(_r, subject, body)] = mail(schema, "case-escalation-1")[:1]
    assert case.number in subject and case.number in body
    with schema_context(schema):
        case.refresh_from_db()
    assert case.escalation_level == 1
    assert escalate(world, at(2025, 10, 10, 15, 0)) == 0  # once
    # the make-up Saturday 10-11 is a working day: on it the deadline is not yet two working days behind
    assert escalate(world, at(2025, 10, 11, 18, 0)) == 0
    # on Sunday 10-12 it is: level 2, the tenant's administrators
    assert escalate(world, at(2025, 10, 12, 10, 0)) == 1
    admins = [info.admin_email, people.admin.email]
    assert to(schema, "case-escalation-2") == sorted(admins)
    assert escalate(world, at(2025, 10, 20, 10, 0)) == 0  # nothing above level 2
    assert len(mail(schema, "case-escalation-1")) == 2 and len(mail(schema, "case-escalation-2")) == 2
    with schema_context(schema):
        case.refresh_from_db()
        assert case.escalation_level == 2
        assert case_chain_verify(case=case).ok
    escalations = [d for k, d in events(schema, case) if k == "escalated"]
    assert [(d["level"], d["step"]) for d in escalations] == [(1, "contact"), (2, "contact")]
    with schema_context(schema):
        admin_ids = sorted(User.objects.filter(email__in=admins).values_list("pk", flat=True))
    assert sorted(escalations[1]["to"]) == admin_ids


def test_a_case_that_moves_on_to_the_next_step_escalates_again_from_the_supervisors(world, people):
    schema = world.info.schema
    officer = people.officer.actor
    case = opened(world)
    assert escalate(world, at(2025, 10, 10, 9, 0)) == 1  # late on contact: the supervisors
    assert escalate(world, at(2025, 10, 12, 10, 0)) == 1  # still late: the management level
    with time_machine.travel(at(2025, 10, 12, 11, 0), tick=False), schema_context(schema):
        case = case_assign(actor=officer, case=case)
        assert (case.escalation_level, case.escalated_step) == (2, "contact")  # still the contact step
        case = case_contact(
            actor=officer, case=case, at=timezone.now() - timedelta(minutes=5), method="phone", reached=True
        )
        assert (case.state, case.escalation_level, case.escalated_step) == (CaseState.CONTACTED, 0, "")
        case = case_verify(actor=officer, case=case, verification="reasonable", note="属实")
    # the feedback deadline is missed in its turn: the supervisors hear of it first, the management later
    late = case.feedback_due + timedelta(minutes=1)
    assert escalate(world, late) == 1
    with schema_context(schema):
        case.refresh_from_db()
    assert (case.escalation_level, case.escalated_step) == (1, "feedback")
    assert escalate(world, late + timedelta(hours=1)) == 0
    assert escalate(world, late + timedelta(days=7)) == 1
    escalations = [d for k, d in events(schema, case) if k == "escalated"]
    assert [(d["level"], d["step"]) for d in escalations] == [
        (1, "contact"),
        (2, "contact"),
        (1, "feedback"),
        (2, "feedback"),
    ]
    assert len(mail(schema, "case-escalation-1")) == 2  # the tenant-wide supervisor, once per step


def test_one_message_per_person_lists_all_their_cases(world, people):
    for n in range(3):
        opened(world, f"T-BAD-{n}")
    assert escalate(world, at(2025, 10, 10, 9, 0)) == 3
    [(recipient, subject, body)] = mail(world.info.schema, "case-escalation-1")
    assert recipient == people.supervisor.email
    assert "3 overdue cases" in subject
    with schema_context(world.info.schema):
        assert all(c.number in body for c in Case.objects.all())


def test_closed_and_answered_cases_are_left_alone(world, people):
    schema = world.info.schema
    officer = people.officer.actor
    done = opened(world, "T-DONE")
    answered = opened(world, "T-ANSWERED")
    with time_machine.travel(at(2025, 9, 30, 15, 0), tick=False), schema_context(schema):
        for case in (done, answered):
            case = case_assign(actor=officer, case=case)
            case = case_verify(actor=officer, case=case, verification="reasonable", note="属实")
            case = case_resolve(actor=officer, case=case, outcome="fixed", note="已当场整改")
            case = case_feedback_send(actor=officer, case=case, text="已整改，感谢监督")
        case_close(actor=officer, case=done)
        states = dict(Case.objects.values_list("number", "state"))
    assert sorted(states.values()) == [CaseState.CLOSED, CaseState.FEEDBACK_SENT]
    for moment in (at(2025, 10, 9, 21, 0), at(2025, 10, 14, 21, 0), at(2025, 10, 28, 21, 0)):
        assert remind(world, moment) == 0
    for moment in (at(2025, 10, 10, 9, 0), at(2025, 11, 30, 9, 0)):
        assert escalate(world, moment) == 0
    with schema_context(schema):
        assert not Notification.objects.exists()
        assert not CaseEvent.objects.filter(kind__in=["reminder_sent", "escalated"]).exists()


def _open_many(world, prefix: str, count: int) -> None:
    with time_machine.travel(OPENED, tick=False), schema_context(world.info.schema):
        outcomes = evaluations_submit(
            actor=SYSTEM,
            items=[
                EvaluationInput(
                    transaction=f"{prefix}-{n}",
                    level=5,
                    channel="device",
                    stage="finished",
                    reason_tags=["attitude"],
                    evaluator={"anonymous": True},
                    item_code=world.item.code,
                    unit_code=world.hall.code,
                    window_code=world.window.code,
                )
                for n in range(count)
            ],
        )
    assert all(o.case_id for o in outcomes)


def _sweep_queries(world, moment: datetime) -> int:
    with (
        time_machine.travel(moment, tick=False),
        schema_context(world.info.schema),
        CaptureQueriesContext(connection) as queries,
    ):
        assert cases_send_reminders(now=timezone.now()) == 0
        assert cases_escalate_overdue(now=timezone.now()) == 0
    return len(queries)


def test_finding_the_due_cases_is_set_based(world, people):
    # with nothing due, the sweeps cost the same few queries for 3 open cases as for 40
    _open_many(world, "T-FEW", 3)
    _sweep_queries(world, at(2025, 10, 8, 9, 0))  # warm: the calendar is cached after its first read
    few = _sweep_queries(world, at(2025, 10, 8, 9, 0))
    _open_many(world, "T-MANY", 37)
    assert _sweep_queries(world, at(2025, 10, 8, 9, 0)) == few
    assert few <= 8
    # with all 40 due, finding them stays constant and each case costs only its own writes (event, case,
    # audit row); the officer gets one e-mail listing the 40
    with (
        time_machine.travel(at(2025, 10, 9, 21, 0), tick=False),
        schema_context(world.info.schema),
        CaptureQueriesContext(connection) as queries,
    ):
        assert cases_send_reminders(now=timezone.now()) == 40
    assert len(queries) <= 3 * 40 + 15
    assert len(mail(world.info.schema, "case-reminder")) == 1


# --- on a real worker and beat, the clock moved ------------------------------------------------------------
CLOCK_LAUNCHER = os.path.join(os.path.dirname(__file__), "moved_clock.py")


@contextmanager
def celery_on_a_moved_clock(env: dict, clock_file: str, schedule_file: str):
    """A real worker and a real beat (as infra/Procfile runs them: two processes), each running on the
    moment written in `clock_file` (time-machine, ticking; the test rewrites the file to move it)."""
    from config.celery import app

    def start(*args: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, CLOCK_LAUNCHER, clock_file, "-A", "config", *args], env=env)

    worker = start(
        "worker",
        "--pool=solo",
        "--concurrency=1",
        "--loglevel=WARNING",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--hostname=clock-worker@%h",
    )
    beat = None
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=0.5):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the Celery worker did not start")
        # beat checks its schedule every second (the interval of its entries is still the production one)
        beat = start("beat", "--loglevel=WARNING", f"--schedule={schedule_file}", "--max-interval=1")
        # beat counts its entries' intervals from the moment it opens its schedule file: wait for that
        # before the test moves the clock
        while not glob.glob(f"{schedule_file}*"):
            if beat.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Celery beat did not start")
            time.sleep(0.1)
        yield
    finally:
        for process in (beat, worker):
            if process is not None:
                process.terminate()
        for process in (beat, worker):
            if process is not None:
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()


def move_clock(clock_file: str, moment: datetime) -> None:
    partial = f"{clock_file}.new"
    with open(partial, "w") as handle:
        handle.write(moment.isoformat())
    os.replace(partial, clock_file)


def wait_for(check, what: str, seconds: float = 60):
    """Poll (committed reads) until `check()` is truthy: waiting for the processes, not for time to pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = committed(check)
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
@pytest.mark.django_db(transaction=False)
def test_beat_reminds_and_escalates_as_the_clock_moves(tenant_pair, subprocess_env, tmp_path):
    """Beat fires the production schedule entry on its own; nothing is called from the test but the clock."""
    schema = "slaclock"
    info = TenantInfo(tenant=None, host="slaclock.localhost", admin_email="a@slaclock.example")

    def setup() -> dict:
        result = tenant_provision(
            actor=Actor.system("t"),
            slug=schema,
            name="时限测试",
            kind="agency",
            region_code="110000",
            admin_email=info.admin_email,
        )
        here = TenantInfo(tenant=result.tenant, host=info.host, admin_email=info.admin_email)
        world = build_capture_world(here)
        officer = person(here, "officer", "clock-officer", world.hall)
        supervisor = person(here, "supervisor", "clock-supervisor")
        with time_machine.travel(OPENED, tick=False):
            case = bad_case(world, "T-CLOCK")
        return {"case": case.pk, "officer": officer.email, "supervisor": supervisor.email}

    def teardown() -> None:
        Tenant.objects.filter(slug=schema).delete()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")

    def state() -> dict:
        with schema_context(schema):
            case = Case.objects.get()
            return {
                "events": [e.kind for e in case.events.order_by("seq")],
                "level": case.escalation_level,
                "mail": sorted(
                    (n.reference, decrypt(n.recipient), n.status)
                    for n in Notification.objects.exclude(reference="")
                ),
                "chain_ok": case_chain_verify(case=case).ok,
            }

    def delivered(reference: str):
        """The state once the e-mail with `reference` is sent (None before)."""

        def check():
            seen = state()
            return seen if any(r == reference and s == "sent" for r, _to, s in seen["mail"]) else None

        return check

    clock_file, schedule = str(tmp_path / "clock"), str(tmp_path / "beat-schedule")
    env = {**subprocess_env, "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    made = committed(setup)
    try:
        move_clock(clock_file, OPENED + timedelta(minutes=1))
        with celery_on_a_moved_clock(env, clock_file, schedule):
            # after the reminder point (20:00 on Thu 10-09): beat fires, the worker reminds the hall's officer
            move_clock(clock_file, at(2025, 10, 9, 20, 30))
            seen = wait_for(delivered("case-reminder"), "the reminder")
            assert seen["events"] == ["opened", "reminder_sent"] and seen["level"] == 0
            # past the deadline (the morning of Fri 10-10): escalated to the supervisor
            move_clock(clock_file, at(2025, 10, 10, 9, 0))
            seen = wait_for(delivered("case-escalation-1"), "escalation to the supervisors")
            assert seen["level"] == 1
            # two working days later (the make-up Saturday 10-11 counted), on Sunday: the management level
            move_clock(clock_file, at(2025, 10, 12, 10, 0))
            wait_for(delivered("case-escalation-2"), "escalation to the management level")
        final = committed(state)
        # each step once, in the case's verifiable history, and every e-mail delivered by the worker
        assert final["events"] == ["opened", "reminder_sent", "escalated", "escalated"]
        assert final["level"] == 2 and final["chain_ok"]
        assert final["mail"] == [
            ("case-escalation-1", made["supervisor"], NotificationStatus.SENT),
            ("case-escalation-2", info.admin_email, NotificationStatus.SENT),
            ("case-reminder", made["officer"], NotificationStatus.SENT),
        ]
    finally:
        committed(teardown)
