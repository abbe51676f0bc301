"""What every case service shares: the state table, role and unit-scope checks, the lock, the event append."""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenants.accounts.actors import Actor
from tenants.accounts.roles import Perm, has_permission
from tenants.accounts.services import audit_record
from tenants.cases.models import GENESIS_HASH, Case, CaseEvent, CaseSettings, CaseState, event_hash
from tenants.evaluations.models import Transaction
from tenants.organisation.models import Membership, Unit
from tenants.workcalendar.services import WorkCalendar, deadline_at, work_calendar

S = CaseState
RATED_STAFF_REFUSED = gettext_lazy("The rated staff member cannot handle the case about their own rating.")
# action → the states it may start from. One table: the services check it, the refusal names it, and the UI
# and the API can ask `actions_allowed(case)` what to offer.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "assign": (S.NEW, S.ASSIGNED),
    "reassign": (S.NEW, S.ASSIGNED, S.CONTACTED, S.VERIFIED),
    "contact": (
        S.ASSIGNED,
        S.CONTACTED,
        S.VERIFIED,
        S.LEDGER,
        S.PENDING_CONFIRMATION,
        S.RESOLVED,
        S.FEEDBACK_SENT,
    ),
    "verify": (S.ASSIGNED, S.CONTACTED, S.VERIFIED),  # from assigned only when no callback is possible
    "resolve": (S.VERIFIED,),
    "milestone": (S.LEDGER,),
    "complete-ledger": (S.LEDGER,),
    "confirm-not-adopted": (S.PENDING_CONFIRMATION,),
    "feedback": (S.RESOLVED,),
    "opinion": (S.FEEDBACK_SENT, S.CLOSED),
    "close": (S.FEEDBACK_SENT,),
    "reopen": (S.FEEDBACK_SENT, S.CLOSED),
    "spot-check": (S.CLOSED,),
}


# step → the open states at it: each has its own deadline (selectors.due_of) and its own escalation.
STEP_STATES: dict[str, tuple[str, ...]] = {
    "contact": (S.NEW, S.ASSIGNED),
    "feedback": (S.CONTACTED, S.VERIFIED, S.PENDING_CONFIRMATION, S.RESOLVED),
    "rectify": (S.LEDGER,),
}


def step_of(state: str) -> str:
    """The step of an open state with a deadline (contact, feedback, rectify); "" once feedback is sent."""
    return next((step for step, states in STEP_STATES.items() if state in states), "")


class TransitionError(ValidationError):
    """The action is not allowed from the case's current state (the API answers 409 Conflict).
    `allowed` lists the actions that are."""

    def __init__(self, case: Case, action: str, message: str = ""):
        self.allowed = actions_allowed(case)
        labels = {s.value: s.label for s in CaseState}
        text = message or _("“%(action)s” is not possible while the case is “%(state)s”.") % {
            "action": action,
            "state": labels.get(case.state, case.state),
        }
        allowed = ", ".join(self.allowed) or _("nothing")
        super().__init__({"state": [f"{text} " + _("Allowed now: %(allowed)s.") % {"allowed": allowed}]})


def actions_allowed(case: Case) -> list[str]:
    """The actions the case's state allows (whoever asks; roles are checked separately)."""
    return [action for action, states in TRANSITIONS.items() if case.state in states]


def require_state(case: Case, action: str) -> None:
    if case.state not in TRANSITIONS[action]:
        raise TransitionError(case, action)


# --- who may act on which case ---------------------------------------------------------------------------
def membership_unit(actor: Actor) -> Unit | None:
    if actor.kind != "user" or actor.id is None:
        return None
    membership = Membership.objects.select_related("unit").filter(user_id=actor.id).first()
    return membership.unit if membership else None


def is_tenant_wide(actor: Actor) -> bool:
    """Machines, the system, supervisors/administrators and read-only auditors see every case; people who
    handle cases (officers) only those of units inside their own (Membership)."""
    if actor.kind != "user":
        return True
    return has_permission(actor.role, Perm.SUPERVISE_CASES) or not has_permission(
        actor.role, Perm.HANDLE_CASES
    )


def rated_staff_id(case: Case) -> int | None:
    """The Staff record of the rated transaction's staff member (None for a complaint or no staff)."""
    if case.transaction_id is None:
        return None
    return Transaction.objects.filter(pk=case.transaction_id).values_list("staff_id", flat=True).first()


def is_rated_staff(user_id: int | None, case: Case) -> bool:
    """Whether the account is the staff member the case's rating is about (its Membership's staff record):
    they never handle that case nor see who rated them."""
    if user_id is None or case.transaction_id is None:
        return False
    staff_id = Membership.objects.filter(user_id=user_id).values_list("staff_id", flat=True).first()
    return staff_id is not None and staff_id == rated_staff_id(case)


def in_scope(actor: Actor, unit: Unit, *, scope_unit: Unit | None = None) -> bool:
    if is_tenant_wide(actor):
        return True
    outer = scope_unit or membership_unit(actor)
    return outer is not None and unit.path.startswith(outer.path)


def require(actor: Actor, case: Case | None, *perms: str, unit: Unit | None = None) -> None:
    """The actor's role has one of `perms`, and the case (or `unit`) is within its reach; the person the
    case's rating is about never handles it. The system actor (jobs, the status page, the SMS relay) is
    trusted."""
    if actor.kind == "system":
        return
    if not any(has_permission(actor.role, p) for p in perms):
        raise PermissionDenied(_("Your role may not do this (%(perms)s).") % {"perms": " / ".join(perms)})
    target = unit if unit is not None else case.unit
    if not in_scope(actor, target):
        raise PermissionDenied(_("This case belongs to a unit outside yours."))
    if case is not None and actor.kind == "user" and is_rated_staff(actor.id, case):
        raise PermissionDenied(RATED_STAFF_REFUSED)


def lock(case: Case) -> Case:
    """The case, re-read and locked (FOR UPDATE) for the rest of the transaction."""
    return Case.objects.select_for_update(of=("self",)).select_related("unit").get(pk=case.pk)


# --- deadlines -------------------------------------------------------------------------------------------
def deadlines(
    start: datetime, settings: CaseSettings, calendar: WorkCalendar | None = None
) -> tuple[datetime, datetime, datetime]:
    """(contact_due, feedback_due, rectify_due): the tenant's working-day limits counted from `start`."""
    cal = calendar if calendar is not None else work_calendar()
    return (
        deadline_at(start, settings.contact_days, calendar=cal),
        deadline_at(start, settings.feedback_days, calendar=cal),
        deadline_at(start, settings.rectify_days, calendar=cal),
    )


def case_number(serial: int, at: datetime) -> str:
    return f"C{timezone.localtime(at):%Y%m%d}-{serial:06d}"


def next_case_number(at: datetime) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('cases_case_number_seq')")
        return case_number(cursor.fetchone()[0], at)


# --- the event log ---------------------------------------------------------------------------------------
def json_safe(value):
    """Event data is hashed as JSON: dates as ISO strings, model instances as their ids."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


def append_event(
    case: Case,
    *,
    actor: Actor,
    kind: str,
    to_state: str | None = None,
    note: str = "",
    data: dict | None = None,
    now: datetime | None = None,
    audit: bool = True,
) -> CaseEvent:
    """Append one event to the case's chain and move the case to `to_state` (default: unchanged). Saves the
    case and writes an audit row. The caller holds the case's lock."""
    now = now or timezone.now()
    from_state = case.state
    to_state = to_state or from_state
    data = json_safe(data or {})
    event = CaseEvent(
        case=case,
        seq=case.last_seq + 1,
        kind=kind,
        from_state=from_state,
        to_state=to_state,
        actor_label=actor.label[:254],
        actor_role=actor.role or "",
        note=note,
        data=data,
        created_at=now,
        prev_hash=case.head_hash or GENESIS_HASH,
    )
    event.hash = event_hash(
        case_number=case.number,
        seq=event.seq,
        kind=kind,
        from_state=from_state,
        to_state=to_state,
        actor_label=event.actor_label,
        actor_role=event.actor_role,
        note=note,
        data=data,
        created_at=now,
        prev_hash=event.prev_hash,
    )
    event.save()
    case.state = to_state
    if case.escalation_level and case.escalated_step != step_of(to_state):
        # the escalated deadline is met or moot: the next step's deadline escalates from the start again
        case.escalation_level, case.escalated_step = 0, ""
    case.last_seq, case.head_hash = event.seq, event.hash
    case.save()
    if audit:
        audit_record(
            actor=actor,
            action=f"case.{kind}",
            target=case,
            reason=note[:500],
            data={"number": case.number, "from": from_state, "to": to_state, "seq": event.seq},
        )
    return event


def clean_note(note: str, *, field: str = "note", required: bool = False, limit: int = 4000) -> str:
    note = (note or "").strip()
    if required and not note:
        raise ValidationError({field: [_("This is required.")]})
    if len(note) > limit:
        raise ValidationError({field: [_("At most %(n)d characters.") % {"n": limit}]})
    return note
