"""The case's transitions. Each takes the actor and the case, runs in one transaction with the case locked,
checks the actor's role and unit scope, refuses a transition the state does not allow (TransitionError, a
ValidationError naming what is allowed), appends a hash-chained event and writes an audit row."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.accounts.actors import Actor
from tenants.accounts.models import User
from tenants.accounts.roles import Perm, has_permission
from tenants.cases.models import (
    CallbackMethod,
    Case,
    CaseCallback,
    CaseEvent,
    CaseSettings,
    CaseSpotCheck,
    CaseState,
    LedgerMilestone,
    Opinion,
    OpinionSource,
    Outcome,
    SpotCheckResult,
    Verification,
)
from tenants.cases.services.common import (
    RATED_STAFF_REFUSED,
    TransitionError,
    append_event,
    clean_note,
    deadlines,
    in_scope,
    is_rated_staff,
    lock,
    rated_staff_id,
    require,
    require_state,
)
from tenants.organisation.models import Membership, Unit
from tenants.privacy.identity import Identity, identity_from_row
from tenants.privacy.services import identity_reveal

S = CaseState
MAX_MILESTONES = 20
CLOCK_SKEW = timedelta(minutes=5)  # a callback may be recorded with a time a little ahead of ours
CALLBACK_STATES = (S.ASSIGNED, S.CONTACTED)  # the assignee sees the evaluator to call back


# --- assignment --------------------------------------------------------------------------------------------
@transaction.atomic
def case_assign(*, actor: Actor, case: Case, assignee: User | None = None, note: str = "") -> Case:
    """new/assigned → assigned: the officer who calls back, verifies and rectifies. Officers assign within
    their unit (themselves when `assignee` is None); supervisors dispatch anywhere. The assignee must be an
    account that handles cases and whose unit contains the case's unit."""
    case = lock(case)
    require(actor, case, Perm.HANDLE_CASES, Perm.SUPERVISE_CASES)
    require_state(case, "assign")
    note = clean_note(note)
    if assignee is None:
        if actor.kind != "user":
            raise ValidationError({"assignee": [_("Name the officer to assign.")]})
        assignee = User.objects.get(pk=actor.id)
    if not assignee.is_active or not has_permission(assignee.role, Perm.HANDLE_CASES):
        raise ValidationError({"assignee": [_("Assign an active account that handles cases.")]})
    membership = Membership.objects.select_related("unit").filter(user=assignee).first()
    if membership is None or not case.unit.path.startswith(membership.unit.path):
        raise ValidationError({"assignee": [_("The officer's unit must contain the case's unit.")]})
    if membership.staff_id is not None and membership.staff_id == rated_staff_id(case):
        raise ValidationError({"assignee": [RATED_STAFF_REFUSED]})
    previous = case.assignee_id
    case.assignee = assignee
    append_event(
        case,
        actor=actor,
        kind="assigned",
        to_state=S.ASSIGNED,
        note=note,
        data={"assignee": assignee.pk, "assignee_label": str(assignee), "previous": previous},
    )
    return case


@transaction.atomic
def case_reassign(*, actor: Actor, case: Case, unit: Unit, note: str) -> Case:
    """Supervisors move a case to another unit (recorded, with the reason); it starts again as new there."""
    case = lock(case)
    require(actor, case, Perm.SUPERVISE_CASES)
    require_state(case, "reassign")
    note = clean_note(note, required=True)
    if unit.pk == case.unit_id:
        raise ValidationError({"unit": [_("The case is already with this unit.")]})
    previous = case.unit
    case.unit, case.assignee = unit, None
    append_event(
        case,
        actor=actor,
        kind="reassigned",
        to_state=S.NEW,
        note=note,
        data={
            "unit": unit.pk,
            "unit_code": unit.code,
            "previous": previous.pk,
            "previous_code": previous.code,
        },
    )
    return case


# --- callback and verification ------------------------------------------------------------------------------
@transaction.atomic
def case_contact(
    *, actor: Actor, case: Case, at: datetime, method: str, reached: bool, summary: str = ""
) -> Case:
    """Record a callback attempt (回访). Every attempt is kept; the first one that reaches the evaluator moves
    an assigned case to contacted. Attempts are allowed from assignment until the feedback."""
    case = lock(case)
    require(actor, case, Perm.HANDLE_CASES)
    require_state(case, "contact")
    summary = clean_note(summary, field="summary")
    errors = {}
    if method not in CallbackMethod.values:
        errors["method"] = [_("Choose one of %(all)s.") % {"all": ", ".join(CallbackMethod.values)}]
    now = timezone.now()
    if not isinstance(at, datetime) or timezone.is_naive(at):
        errors["at"] = [_("Give the time of the call, with its time zone.")]
    elif at > now + CLOCK_SKEW or at < case.opened_at - CLOCK_SKEW:
        errors["at"] = [_("The call happened after the case opened and not in the future.")]
    if errors:
        raise ValidationError(errors)
    callback = CaseCallback.objects.create(
        case=case,
        at=at,
        method=method,
        reached=bool(reached),
        summary=summary,
        officer_id=actor.id if actor.kind == "user" else None,
        officer_label=actor.label[:254],
    )
    first_reach = reached and case.contacted_at is None
    if first_reach:
        case.contacted_at = at
    append_event(
        case,
        actor=actor,
        kind="callback",
        to_state=S.CONTACTED if first_reach and case.state == S.ASSIGNED else None,
        note=summary,
        data={"callback": callback.pk, "at": at, "method": method, "reached": bool(reached)},
        now=now,
    )
    return case


@transaction.atomic
def case_verify(*, actor: Actor, case: Case, verification: str, note: str = "") -> Case:
    """→ verified: reasonable / needs explanation / mistaken / malicious (核实). A real-name case must have
    reached the evaluator first; an anonymous one (nobody to call) may be verified once assigned."""
    case = lock(case)
    require(actor, case, Perm.HANDLE_CASES)
    require_state(case, "verify")
    if verification not in Verification.values:
        raise ValidationError(
            {"verification": [_("Choose one of %(all)s.") % {"all": ", ".join(Verification.values)}]}
        )
    note = clean_note(note)
    if case.state == S.ASSIGNED and case.realname:
        raise TransitionError(
            case, "verify", _("A real-name case is verified after a callback has reached the evaluator.")
        )
    if case.state == S.ASSIGNED and not note:
        raise ValidationError({"note": [_("Say how the case was verified without a callback.")]})
    previous = case.verification
    case.verification, case.verified_at = verification, timezone.now()
    append_event(
        case,
        actor=actor,
        kind="verified",
        to_state=S.VERIFIED,
        note=note,
        data={"verification": verification, "previous": previous},
    )
    return case


# --- outcomes -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MilestoneInput:
    title: str
    due: date


def _milestones(deadline: date | None, milestones, case: Case) -> list[MilestoneInput]:
    today = timezone.localdate()
    limit = timezone.localtime(case.rectify_due).date()
    if not isinstance(deadline, date):
        raise ValidationError({"deadline": [_("A ledger case needs a deadline date.")]})
    if deadline < today or deadline > limit:
        raise ValidationError(
            {
                "deadline": [
                    _("The deadline falls between today and the rectification limit (%(limit)s).")
                    % {"limit": limit.isoformat()}
                ]
            }
        )
    items = []
    for index, m in enumerate(milestones or []):
        if isinstance(m, dict):
            m = MilestoneInput(title=m.get("title", ""), due=m.get("due"))
        title = (m.title or "").strip()
        if not title or len(title) > 200:
            raise ValidationError({f"milestones[{index}].title": [_("Name the step (1–200 characters).")]})
        if not isinstance(m.due, date) or not today <= m.due <= deadline:
            raise ValidationError(
                {f"milestones[{index}].due": [_("A step is due between today and the deadline.")]}
            )
        items.append(MilestoneInput(title=title, due=m.due))
    if not items:
        raise ValidationError({"milestones": [_("A ledger case lists at least one step.")]})
    if len(items) > MAX_MILESTONES:
        raise ValidationError({"milestones": [_("At most %(n)d steps.") % {"n": MAX_MILESTONES}]})
    return items


OUTCOMES_FOR = {
    Verification.REASONABLE: (Outcome.FIXED, Outcome.LEDGER, Outcome.EXPLAINED),
    Verification.NEEDS_EXPLANATION: (Outcome.FIXED, Outcome.LEDGER, Outcome.EXPLAINED),
    Verification.MISTAKEN: (Outcome.EXPLAINED, Outcome.NOT_ADOPTED),
    Verification.MALICIOUS: (Outcome.EXPLAINED, Outcome.NOT_ADOPTED),
}


@transaction.atomic
def case_resolve(
    *,
    actor: Actor,
    case: Case,
    outcome: str,
    note: str,
    deadline: date | None = None,
    milestones: list[MilestoneInput] | None = None,
) -> Case:
    """verified → one outcome:
    fixed (立行立改) or explained (解释说明): resolved, with the note saying what was done;
    ledger (台账): in the ledger until `deadline` (by the rectification limit) with its steps (milestones);
    not_adopted (误评/恶意差评, only when verified mistaken or malicious): reported to the management body,
    pending its confirmation (case_confirm_not_adopted)."""
    case = lock(case)
    require(actor, case, Perm.HANDLE_CASES)
    require_state(case, "resolve")
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": [_("Choose one of %(all)s.") % {"all": ", ".join(Outcome.values)}]})
    allowed = OUTCOMES_FOR.get(case.verification, ())
    if outcome not in allowed:
        raise ValidationError(
            {
                "outcome": [
                    _("A case verified as “%(v)s” can be closed as: %(allowed)s.")
                    % {"v": case.verification, "allowed": ", ".join(allowed)}
                ]
            }
        )
    note = clean_note(note, required=True)
    now = timezone.now()
    case.outcome, case.resolution_note = outcome, note
    data: dict = {"outcome": outcome}
    if outcome == Outcome.LEDGER:
        steps = _milestones(deadline, milestones, case)
        case.ledger_deadline = deadline
        created = LedgerMilestone.objects.bulk_create(
            [LedgerMilestone(case=case, title=m.title, due=m.due) for m in steps]
        )
        data.update(
            deadline=deadline, milestones=[{"id": m.pk, "title": m.title, "due": m.due} for m in created]
        )
        to_state = S.LEDGER
    elif outcome == Outcome.NOT_ADOPTED:
        to_state = S.PENDING_CONFIRMATION
    else:
        case.resolved_at = now
        to_state = S.RESOLVED
    kind = {S.LEDGER: "ledger_opened", S.PENDING_CONFIRMATION: "not_adopted_proposed"}.get(
        to_state, "resolved"
    )
    append_event(case, actor=actor, kind=kind, to_state=to_state, note=note, data=data, now=now)
    return case


@transaction.atomic
def case_milestone_done(
    *, actor: Actor, case: Case, milestone: LedgerMilestone, note: str = ""
) -> LedgerMilestone:
    """Tick one step of a ledger case."""
    case = lock(case)
    require(actor, case, Perm.HANDLE_CASES)
    require_state(case, "milestone")
    if milestone.case_id != case.pk:
        raise ValidationError({"milestone": [_("This step belongs to another case.")]})
    milestone = LedgerMilestone.objects.select_for_update().get(pk=milestone.pk)
    if milestone.done_at is not None:
        raise ValidationError({"milestone": [_("This step is already done.")]})
    milestone.done_at, milestone.note = timezone.now(), clean_note(note)
    milestone.save(update_fields=["done_at", "note"])
    append_event(
        case, actor=actor, kind="milestone_done", note=milestone.note, data={"milestone": milestone.pk}
    )
    return milestone


@transaction.atomic
def case_ledger_complete(*, actor: Actor, case: Case, note: str) -> Case:
    """ledger → resolved, once every step is done."""
    case = lock(case)
    require(actor, case, Perm.HANDLE_CASES)
    require_state(case, "complete-ledger")
    note = clean_note(note, required=True)
    open_steps = list(case.milestones.filter(done_at=None).values_list("title", flat=True))
    if open_steps:
        raise ValidationError(
            {"milestones": [_("Steps not done yet: %(steps)s.") % {"steps": "; ".join(open_steps)}]}
        )
    now = timezone.now()
    case.resolved_at = now
    case.resolution_note = f"{case.resolution_note}\n{note}".strip()
    append_event(case, actor=actor, kind="ledger_completed", to_state=S.RESOLVED, note=note, now=now)
    return case


@transaction.atomic
def case_confirm_not_adopted(*, actor: Actor, case: Case, confirm: bool, note: str) -> Case:
    """The management body (a SUPERVISE_CASES actor other than the one who proposed it) confirms a
    not-adopted outcome (→ resolved) or refuses it (→ verified again, outcome cleared)."""
    case = lock(case)
    require(actor, case, Perm.SUPERVISE_CASES)
    require_state(case, "confirm-not-adopted")
    note = clean_note(note, required=True)
    proposal = CaseEvent.objects.filter(case=case, kind="not_adopted_proposed").order_by("-seq").first()
    if actor.kind != "system" and proposal is not None and proposal.actor_label == actor.label:
        raise PermissionDenied(_("Someone other than the proposer confirms a not-adopted outcome."))
    now = timezone.now()
    if confirm:
        case.resolved_at = now
        append_event(case, actor=actor, kind="not_adopted_confirmed", to_state=S.RESOLVED, note=note, now=now)
    else:
        case.outcome = ""
        append_event(case, actor=actor, kind="not_adopted_refused", to_state=S.VERIFIED, note=note, now=now)
    return case


# --- feedback, opinion, close, reopen ---------------------------------------------------------------------------
@transaction.atomic
def case_feedback_send(*, actor: Actor, case: Case, text: str) -> Case:
    """resolved → feedback_sent: records the feedback to the evaluator (件件有反馈).

    Delivery is the caller's: this returns the case, and the caller (page, API view, notifier) hands it to
    the notification channels, after commit (transaction.on_commit), so a rolled-back feedback is never sent.
    """
    case = lock(case)
    require(actor, case, Perm.HANDLE_CASES)
    require_state(case, "feedback")
    text = clean_note(text, field="text", required=True, limit=2000)
    now = timezone.now()
    case.feedback_text, case.feedback_at = text, now
    append_event(case, actor=actor, kind="feedback_sent", to_state=S.FEEDBACK_SENT, note=text, now=now)
    return case


@transaction.atomic
def case_record_opinion(*, actor: Actor, case: Case, opinion: str, source: str, note: str = "") -> Case:
    """The evaluator's opinion of the rectification: satisfied / unsatisfied, from the status page, an SMS
    reply (both only as the system actor: the evaluator's own answers) or a phone call (an officer or a
    work-order key saying what the evaluator said). A later answer replaces an earlier one (both stay in the
    history). "Unsatisfied" makes a reopen available to the case's officers."""
    case = lock(case)
    require(actor, case, Perm.HANDLE_CASES)
    require_state(case, "opinion")
    errors = {}
    if opinion not in Opinion.values:
        errors["opinion"] = [_("Choose one of %(all)s.") % {"all": ", ".join(Opinion.values)}]
    if source not in OpinionSource.values:
        errors["source"] = [_("Choose one of %(all)s.") % {"all": ", ".join(OpinionSource.values)}]
    elif source != OpinionSource.PHONE and actor.kind != "system":
        # the status page and SMS replies are the evaluator's own answers; staff and keys record a call
        errors["source"] = [
            _(
                "Only the evaluator answers on the status page or by SMS; "
                "staff record what the evaluator said on the phone."
            )
        ]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    previous = case.evaluator_opinion
    case.evaluator_opinion, case.opinion_source, case.opinion_at = opinion, source, now
    append_event(
        case,
        actor=actor,
        kind="opinion",
        note=clean_note(note),
        data={
            "opinion": opinion,
            "source": source,
            "previous": previous,
            "reopen_offered": opinion == "unsatisfied",
        },
        now=now,
    )
    return case


@transaction.atomic
def case_close(*, actor: Actor, case: Case, note: str = "") -> Case:
    """feedback_sent → closed. A real-name case closes only after a callback reached the evaluator."""
    case = lock(case)
    require(actor, case, Perm.HANDLE_CASES, Perm.SUPERVISE_CASES)
    require_state(case, "close")
    if case.realname and case.contacted_at is None:
        raise ValidationError(
            {
                "callbacks": [
                    _("A real-name bad review is closed only after a callback has reached the evaluator.")
                ]
            }
        )
    now = timezone.now()
    case.closed_at = now
    append_event(case, actor=actor, kind="closed", to_state=S.CLOSED, note=clean_note(note), now=now)
    return case


@transaction.atomic
def case_reopen(*, actor: Actor, case: Case, note: str) -> Case:
    """feedback_sent/closed → assigned, for another round (reopened_count + 1, deadlines restart now, the
    evaluator to be called back again). Supervisors may always; the case's officers when the evaluator said
    "unsatisfied"."""
    case = lock(case)
    supervisor = actor.kind == "system" or has_permission(actor.role, Perm.SUPERVISE_CASES)
    if supervisor:
        require(actor, case, Perm.SUPERVISE_CASES)
    else:
        require(actor, case, Perm.HANDLE_CASES)
        if case.evaluator_opinion != Opinion.UNSATISFIED:
            raise PermissionDenied(_("Only a supervisor reopens a case the evaluator did not reject."))
    require_state(case, "reopen")
    note = clean_note(note, required=True)
    if (
        case.transaction_id
        and Case.objects.filter(transaction_id=case.transaction_id, stage=case.stage)
        .exclude(state=S.CLOSED)
        .exclude(pk=case.pk)
        .exists()
    ):
        raise TransitionError(case, "reopen", _("A newer case for this rating is open; work on that one."))
    now = timezone.now()
    old = {
        "verification": case.verification,
        "outcome": case.outcome,
        "opinion": case.evaluator_opinion,
        "closed_at": case.closed_at,
        "contacted_at": case.contacted_at,
    }
    case.contact_due, case.feedback_due, case.rectify_due = deadlines(now, CaseSettings.current())
    case.verification = case.outcome = case.evaluator_opinion = case.opinion_source = ""
    case.resolved_at = case.feedback_at = case.closed_at = case.opinion_at = case.verified_at = None
    # the new round starts with a new callback (the earlier ones stay recorded): the first one to reach the
    # evaluator contacts the case again, and a real-name case is verified and closed only after it
    case.contacted_at = None
    case.ledger_deadline = None
    case.escalation_level, case.escalated_step, case.last_reminded_at = 0, "", None
    case.reopened_count += 1
    append_event(
        case,
        actor=actor,
        kind="reopened",
        to_state=S.ASSIGNED,
        note=note,
        data={**old, "reopened_count": case.reopened_count},
        now=now,
    )
    return case


# --- supervision -----------------------------------------------------------------------------------------------
@transaction.atomic
def case_spot_check(*, actor: Actor, case: Case, result: str, note: str = "") -> CaseSpotCheck:
    """A supervisor records a spot check (抽查) of a closed case: handled properly, or a problem found."""
    case = lock(case)
    require(actor, case, Perm.SUPERVISE_CASES)
    require_state(case, "spot-check")
    if result not in SpotCheckResult.values:
        raise ValidationError(
            {"result": [_("Choose one of %(all)s.") % {"all": ", ".join(SpotCheckResult.values)}]}
        )
    note = clean_note(note, required=result == SpotCheckResult.PROBLEM)
    now = timezone.now()
    check = CaseSpotCheck.objects.create(
        case=case, result=result, note=note, checked_by=actor.label[:254], checked_at=now
    )
    append_event(
        case, actor=actor, kind="spot_check", note=note, data={"result": result, "check": check.pk}, now=now
    )
    return check


def case_identity_reveal(*, actor: Actor, case: Case, reason: str) -> Identity:
    """The evaluator's identity in clear, for the callback: only the case's assigned officer (while the case
    waits for its callback: assigned or contacted) or a supervisor with the reveal permission, with a reason;
    never the rated staff member; audited (who, when, why) by tenants.privacy.services.identity_reveal."""
    if case.evaluation_id is None:
        raise ValidationError({"case": [_("This case has no rating, so no evaluator identity.")]})
    if actor.kind == "user" and is_rated_staff(actor.id, case):
        raise PermissionDenied(RATED_STAFF_REFUSED)
    is_assignee = actor.kind == "user" and actor.id is not None and actor.id == case.assignee_id
    if is_assignee and case.state in CALLBACK_STATES and in_scope(actor, case.unit):
        perm = Perm.HANDLE_CASES
    elif has_permission(actor.role, Perm.SUPERVISE_CASES):
        perm = Perm.REVEAL_IDENTITY
    else:
        raise PermissionDenied(_("Only the case's assigned officer or a supervisor may see the evaluator."))
    evaluation = case.evaluation
    return identity_reveal(
        actor=actor,
        target=case,
        reason=reason,
        context=f"case {case.number} (evaluation {evaluation.pk})",
        identity=lambda: identity_from_row(evaluation, "evaluator"),
        perm=perm,
    )
