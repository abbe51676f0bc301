"""Deadlines at work (SLA): the tenant's limits, reminders before a case's next deadline and escalation of
overdue cases — to the supervisors at once, to the management level some working days later.

Both sweeps run per tenant from Celery beat (tenants/cases/tasks.py) and are safe to run again at any time:
- finding the cases is set-based (a few queries whatever the number of open cases), on the partial deadline
  indexes; the per-case writes (one hash-chained event each) go in chunks, each chunk one transaction that
  locks its cases (skipping cases another sweep holds) and re-checks them before writing;
- a reminder is recorded on the case (`last_reminded_at`, event "reminder_sent") and is sent once per
  deadline: not again while `last_reminded_at` is at or after that deadline's reminder point;
- an escalation raises `escalation_level` (event "escalated") and only ever from the level below, so a
  retried or overlapping sweep finds nothing left to do; the level is that of one step (`escalated_step`:
  contact, feedback or rectification) and drops to 0 when the case moves on to another step;
- the people told get one e-mail per sweep chunk listing their cases (a supervisor with 300 overdue cases
  gets a few messages, not 300), queued with the events and sent only if they commit.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.accounts.actors import Actor
from tenants.accounts.models import User
from tenants.accounts.roles import MACHINE_ROLES, TENANT_ROLES, Perm, Role, has_permission
from tenants.accounts.services import audit_record
from tenants.cases.models import Case, CaseSettings, CaseState
from tenants.cases.selectors import due_of, overdue_q
from tenants.cases.services.common import STEP_STATES, append_event
from tenants.notify.models import NotifyChannel
from tenants.notify.services import notify_send
from tenants.organisation.models import Unit
from tenants.workcalendar.services import WorkCalendar, hours_before, work_calendar

logger = logging.getLogger(__name__)

ACTOR = Actor.system("case-deadlines")
CHUNK = 100  # cases per transaction (and at most per e-mail)
S = CaseState
# The states whose deadline is contact / feedback / rectification (tenants.cases.selectors.due_of).
_CONTACT = STEP_STATES["contact"]
_FEEDBACK = STEP_STATES["feedback"]

_PEOPLE = sorted(TENANT_ROLES - MACHINE_ROLES)
# Who hears what: the officers who handle a unit's cases; the supervisors (level 1); the management level
# (level 2), which is the tenant's administrators.
HANDLER_ROLES = tuple(r for r in _PEOPLE if has_permission(r, Perm.HANDLE_CASES))
MANAGEMENT_ROLES = (Role.TENANT_ADMIN,)
SUPERVISOR_ROLES = tuple(
    r for r in _PEOPLE if has_permission(r, Perm.SUPERVISE_CASES) and r not in MANAGEMENT_ROLES
)

LIMITS = {
    "contact_days": (0, 30),
    "feedback_days": (1, 60),
    "rectify_days": (1, 120),
    "remind_before_hours": (0, 72),
    "escalate_management_days": (1, 30),
}


def step_label(step: str) -> str:
    return {
        "contact": _("contact the evaluator"),
        "feedback": _("feed back to the evaluator"),
        "rectify": _("rectify"),
    }.get(step, step)


# --- settings --------------------------------------------------------------------------------------------
@transaction.atomic
def case_settings_set(
    *,
    actor: Actor,
    contact_days: int,
    feedback_days: int,
    rectify_days: int,
    remind_before_hours: int,
    escalate_management_days: int,
    fallback_unit: Unit | None = None,
) -> CaseSettings:
    """Set the tenant's closed-loop limits (working days), the reminder lead time (hours of working time
    before a deadline; 0: no reminders), when overdue cases reach the management level, and the unit for
    cases no rule routes. Applies to cases opened from now on: open cases keep their deadlines.
    Raises ValidationError (per field)."""
    values = {
        "contact_days": contact_days,
        "feedback_days": feedback_days,
        "rectify_days": rectify_days,
        "remind_before_hours": remind_before_hours,
        "escalate_management_days": escalate_management_days,
    }
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        low, high = LIMITS[name]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            errors[name] = [_("Enter a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}]
    if not errors and feedback_days < contact_days:
        errors["feedback_days"] = [_("Feedback cannot be due before the evaluator is contacted.")]
    if not errors and rectify_days < feedback_days:
        errors["rectify_days"] = [_("The rectification limit cannot be shorter than the feedback limit.")]
    if fallback_unit is not None and not fallback_unit.active:
        errors["fallback_unit"] = [_("Choose an active unit.")]
    if errors:
        raise ValidationError(errors)
    settings = CaseSettings.objects.select_for_update().filter(pk=CaseSettings.current().pk).get()
    before = {name: getattr(settings, name) for name in values} | {"fallback_unit": settings.fallback_unit_id}
    for name, value in values.items():
        setattr(settings, name, value)
    settings.fallback_unit = fallback_unit
    settings.save()
    after = values | {"fallback_unit": fallback_unit.pk if fallback_unit else None}
    audit_record(
        actor=actor,
        action="cases.settings",
        target=settings,
        data={"before": before, "after": after},
    )
    return settings


# --- the calendar, forwards ------------------------------------------------------------------------------
def working_time_after(start: datetime, amount: timedelta, *, calendar: WorkCalendar) -> datetime:
    """The moment `amount` of working time after `start` (the inverse of hours_before). When the time runs
    out exactly at a closing, the next opening (so every deadline whose reminder point has come lies at or
    before the answer)."""
    start = start.astimezone(calendar.tz)
    remaining, day = amount, start.date()
    for _n in range(3660):
        for begin, end in calendar.intervals(day):
            if end <= start:
                continue
            begin = max(begin, start)
            if remaining < end - begin:
                return begin + remaining
            remaining -= end - begin
        day += timedelta(days=1)
    raise RuntimeError(f"no working time within ten years of {start.isoformat()}")


def due_within_q(start: datetime, end: datetime) -> Q:
    """Open cases whose current step's deadline may fall in (start, end] (a superset for the ledger: its
    own deadline is a date; due_of() gives the exact moment)."""
    first, last = timezone.localdate(start), timezone.localdate(end)
    return (
        Q(state__in=_CONTACT, contact_due__gt=start, contact_due__lte=end)
        | Q(state__in=_FEEDBACK, feedback_due__gt=start, feedback_due__lte=end)
        | Q(state=S.LEDGER)
        & (
            Q(rectify_due__gt=start, rectify_due__lte=end)
            | Q(ledger_deadline__gte=first, ledger_deadline__lte=last)
        )
    )


# --- who is told -----------------------------------------------------------------------------------------
def _path_ids(unit: Unit) -> list[int]:
    """The unit and the units above it, nearest first ("/1/5/9/" → [9, 5, 1])."""
    return [int(part) for part in reversed(unit.path.strip("/").split("/")) if part]


class Directory:
    """The active people who may hear about a set of cases' units, read in one query: those placed (by
    Membership) in those units or above them, and those placed nowhere (tenant-wide)."""

    def __init__(self, units: Iterable[Unit]):
        unit_ids = {pk for unit in units for pk in _path_ids(unit)}
        roles = HANDLER_ROLES + SUPERVISOR_ROLES + MANAGEMENT_ROLES
        people = (
            User.objects.filter(is_active=True, role__in=roles)
            .filter(Q(membership__unit_id__in=unit_ids) | Q(membership__isnull=True))
            .annotate(placed_in=F("membership__unit_id"))
            .order_by("id")
        )
        self.placed: dict[tuple[int, str], list[User]] = defaultdict(list)
        self.unplaced: dict[str, list[User]] = defaultdict(list)
        for person in people:
            if person.placed_in is None:
                self.unplaced[person.role].append(person)
            else:
                self.placed[(person.placed_in, person.role)].append(person)

    def _in_or_above(self, unit: Unit, roles: tuple[str, ...], *, nearest: bool = False) -> list[User]:
        found: list[User] = []
        for pk in _path_ids(unit):
            here = [p for role in roles for p in self.placed.get((pk, role), [])]
            if here and nearest:
                return here
            found += here
        return found

    def handlers(self, case: Case) -> list[User]:
        """The assignee; unassigned, the officers of the nearest unit (the case's own, else the one above…)
        that has any; with none, the supervisors."""
        if case.assignee_id is not None and case.assignee.is_active:
            return [case.assignee]
        return self._in_or_above(case.unit, HANDLER_ROLES, nearest=True) or self.supervisors(case)

    def supervisors(self, case: Case) -> list[User]:
        """Supervisors placed in or above the case's unit and tenant-wide ones; with none, the management."""
        found = self._in_or_above(case.unit, SUPERVISOR_ROLES)
        found += [p for role in SUPERVISOR_ROLES for p in self.unplaced.get(role, [])]
        return _unique(found) or self.management(case)

    def management(self, case: Case) -> list[User]:
        """The tenant's administrators placed in or above the case's unit, and tenant-wide ones."""
        found = self._in_or_above(case.unit, MANAGEMENT_ROLES)
        found += [p for role in MANAGEMENT_ROLES for p in self.unplaced.get(role, [])]
        return _unique(found)


def _unique(people: list[User]) -> list[User]:
    seen: dict[int, User] = {}
    for person in people:
        seen.setdefault(person.pk, person)
    return list(seen.values())


# --- messages --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Line:
    number: str
    unit: str
    step: str
    due: datetime


def _line(line: _Line) -> str:
    return _("%(number)s · %(unit)s · %(step)s · due %(due)s") % {
        "number": line.number,
        "unit": line.unit,
        "step": step_label(line.step),
        "due": timezone.localtime(line.due).strftime("%Y-%m-%d %H:%M"),
    }


def _send(digests: dict[int, tuple[User, list[_Line]]], *, kind: str, level: int = 0) -> int:
    """One e-mail to each person with their cases. Inside the chunk's transaction: queued only if it
    commits. Returns the number queued."""
    queued = 0
    for person, lines in digests.values():
        n = len(lines)
        if kind == "reminder":
            # two messages, not plural forms of one: the single case is named by its number
            subject = (
                _("Case %(number)s: a deadline is near") if n == 1 else _("%(n)d cases: deadlines are near")
            ) % {"n": n, "number": lines[0].number}
            intro = _("These cases reach a deadline soon. Act before it passes:")
            reference = "case-reminder"
        else:
            subject = (
                _("Overdue case %(number)s escalated to you")
                if n == 1
                else _("%(n)d overdue cases escalated to you")
            ) % {"n": n, "number": lines[0].number}
            intro = (
                _("These cases missed a deadline and are escalated to you (supervision):")
                if level == 1
                else _("These cases are still overdue and are escalated to the management level:")
            )
            reference = f"case-escalation-{level}"
        body = "\n".join([intro, "", *(_line(line) for line in lines)])
        try:
            notify_send(
                actor=ACTOR,
                channel=NotifyChannel.EMAIL,
                to=person.email,
                subject=subject,
                body=body,
                reference=reference,
            )
        except ValidationError:  # an unusable address must not hold up everyone else's cases
            logger.warning("case %s: no e-mail to user %s (address refused)", kind, person.pk)
            continue
        queued += 1
    return queued


def _add(digests, people: list[User], line: _Line) -> None:
    for person in people:
        digests.setdefault(person.pk, (person, []))[1].append(line)


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def _locked(ids: list[int], *conditions: Q) -> list[Case]:
    """The cases, locked for this transaction; a case another sweep holds is skipped (it handles it)."""
    return list(
        Case.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("unit", "assignee")
        .filter(*conditions, pk__in=ids)
        .order_by("id")
    )


# --- reminders -------------------------------------------------------------------------------------------
def cases_send_reminders(*, now: datetime | None = None, calendar: WorkCalendar | None = None) -> int:
    """Remind the people handling each open case whose current deadline (contact, feedback or
    rectification, see selectors.due_of) is near: from `remind_before_hours` of working time before it
    until it passes. Once per deadline. Returns the number of cases reminded."""
    now = now or timezone.now()
    cal = calendar if calendar is not None else work_calendar()
    lead = timedelta(hours=CaseSettings.current().remind_before_hours)
    if not lead:
        return 0
    upper = working_time_after(now, lead, calendar=cal)

    def reminder_point(case: Case) -> tuple[str, datetime, datetime] | None:
        current = due_of(case)
        if current is None:
            return None
        step, due = current
        if not now < due <= upper:
            return None
        point = hours_before(due, lead, calendar=cal)
        if now < point or (case.last_reminded_at is not None and case.last_reminded_at >= point):
            return None
        return step, due, point

    fields = (
        "id",
        "state",
        "contact_due",
        "feedback_due",
        "rectify_due",
        "ledger_deadline",
        "last_reminded_at",
    )
    candidates = Case.objects.filter(due_within_q(now, upper)).only(*fields).order_by("id")
    ids = [case.pk for case in candidates if reminder_point(case) is not None]
    reminded = 0
    for chunk in _chunks(ids):
        with transaction.atomic():
            cases = _locked(chunk, ~Q(state=S.CLOSED))
            directory = Directory(case.unit for case in cases)
            digests: dict = {}
            for case in cases:
                found = reminder_point(case)  # again, on the locked row
                if found is None:
                    continue
                step, due, _point = found
                people = directory.handlers(case)
                case.last_reminded_at = now
                append_event(
                    case,
                    actor=ACTOR,
                    kind="reminder_sent",
                    note=_("Reminder: %(step)s by %(due)s.")
                    % {"step": step_label(step), "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M")},
                    data={"step": step, "due": due, "to": [p.pk for p in people]},
                    now=now,
                )
                _add(digests, people, _Line(case.number, case.unit.name, step, due))
                reminded += 1
            _send(digests, kind="reminder")
    return reminded


# --- escalation ------------------------------------------------------------------------------------------
def management_cutoff(now: datetime, days: int, *, calendar: WorkCalendar) -> datetime:
    """Cases whose missed deadline lies before this moment are `days` working days overdue (working time:
    with working hours, `days` working days of them)."""
    return hours_before(now, calendar.day_length * days, calendar=calendar)


def cases_escalate_overdue(*, now: datetime | None = None, calendar: WorkCalendar | None = None) -> int:
    """Escalate open cases past the deadline of their current step (selectors.overdue_q): to level 1 (the
    supervisors of the unit and tenant-wide ones) at once; to level 2 (the management level: the tenant's
    administrators) once the deadline is `escalate_management_days` working days behind. Each escalation is
    an "escalated" event. The level belongs to the step it was raised for (`escalated_step`): a case that moves
    on to another step, or is reopened, starts again from level 0. Returns the number of escalations."""
    now = now or timezone.now()
    cal = calendar if calendar is not None else work_calendar()
    settings = CaseSettings.current()
    done = _escalate(level=1, condition=overdue_q(now), now=now)
    cutoff = management_cutoff(now, settings.escalate_management_days, calendar=cal)
    done += _escalate(level=2, condition=overdue_q(cutoff), now=now)
    return done


def _escalate(*, level: int, condition: Q, now: datetime) -> int:
    below = Q(escalation_level=level - 1)
    ids = list(Case.objects.filter(below).filter(condition).order_by("id").values_list("id", flat=True))
    escalated = 0
    for chunk in _chunks(ids):
        with transaction.atomic():
            cases = _locked(chunk, below, condition)  # again, on the locked rows
            directory = Directory(case.unit for case in cases)
            digests: dict = {}
            for case in cases:
                step, due = due_of(case)
                people = directory.supervisors(case) if level == 1 else directory.management(case)
                case.escalation_level, case.escalated_step = level, step
                append_event(
                    case,
                    actor=ACTOR,
                    kind="escalated",
                    note=(
                        _("Overdue (%(step)s): escalated to the supervisors.")
                        if level == 1
                        else _("Still overdue (%(step)s): escalated to the management level.")
                    )
                    % {"step": step_label(step)},
                    data={"level": level, "step": step, "due": due, "to": [p.pk for p in people]},
                    now=now,
                )
                _add(digests, people, _Line(case.number, case.unit.name, step, due))
                escalated += 1
            _send(digests, kind="escalation", level=level)
    return escalated
