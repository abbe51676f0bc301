"""Reads on bad-review cases: lists scoped to who asks, the detail with its history, overdue cases, random
samples for spot checks, and the closed-loop indicators (DOMAIN §10)."""

import math
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.core.exceptions import PermissionDenied
from django.db.models import CharField, Count, F, Q, QuerySet, Value
from django.db.models.functions import MD5, Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.accounts.actors import Actor
from tenants.accounts.roles import Perm, has_permission
from tenants.cases.models import (
    Case,
    CaseCallback,
    CaseEvent,
    CaseSource,
    CaseSpotCheck,
    CaseState,
    LedgerMilestone,
    Opinion,
)
from tenants.cases.services.common import STEP_STATES, actions_allowed, is_tenant_wide, membership_unit
from tenants.evaluations.models import Evaluation
from tenants.organisation.models import Unit
from tenants.privacy.identity import identity_from_row

S = CaseState
# The deadline that applies in each open state (feedback_sent and closed have none left).
_CONTACT_STATES = STEP_STATES["contact"]
_FEEDBACK_STATES = STEP_STATES["feedback"]


def _end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max))


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# --- scope ----------------------------------------------------------------------------------------------
def cases_visible(*, actor: Actor) -> QuerySet[Case]:
    """Every case the actor may see: all of them for supervisors, auditors and machines; an officer's those
    of units inside its own; nothing for an officer placed in no unit."""
    if actor.kind != "system" and not has_permission(actor.role, Perm.VIEW_CASES):
        raise PermissionDenied(Perm.VIEW_CASES)
    cases = Case.objects.all()
    if is_tenant_wide(actor):
        return cases
    unit = membership_unit(actor)
    return cases.filter(unit__path__startswith=unit.path) if unit is not None else cases.none()


def case_get(*, actor: Actor, case_id: int) -> Case:
    """One case by id. Case.DoesNotExist when there is none (in this tenant), PermissionDenied when it is
    outside the actor's unit."""
    case = Case.objects.select_related("unit", "assignee").get(pk=case_id)
    if not cases_visible(actor=actor).filter(pk=case.pk).exists():
        raise PermissionDenied(_("This case belongs to a unit outside yours."))
    return case


# --- lists ----------------------------------------------------------------------------------------------
def overdue_q(now: datetime | None = None) -> Q:
    """Open cases past the deadline of their current step: contact while new/assigned, feedback until it is
    sent, rectification (and the ledger's own deadline) while in the ledger."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    return (
        Q(state__in=_CONTACT_STATES, contact_due__lt=now)
        | Q(state__in=_FEEDBACK_STATES, feedback_due__lt=now)
        | Q(state=S.LEDGER) & (Q(rectify_due__lt=now) | Q(ledger_deadline__lt=today))
    )


def due_of(case: Case) -> tuple[str, datetime] | None:
    """("contact" | "feedback" | "rectify", deadline) for the step the case is at; None once feedback is sent
    (for reminders and the overdue board)."""
    if case.state in _CONTACT_STATES:
        return "contact", case.contact_due
    if case.state in _FEEDBACK_STATES:
        return "feedback", case.feedback_due
    if case.state == S.LEDGER:
        ledger_end = _end_of(case.ledger_deadline) if case.ledger_deadline else case.rectify_due
        return "rectify", min(case.rectify_due, ledger_end)
    return None


def cases_for(
    *,
    actor: Actor,
    state: str | list[str] | None = None,
    unit: Unit | None = None,
    overdue: bool | None = None,
    realname: bool | None = None,
    assignee_id: int | None = None,
    now: datetime | None = None,
) -> QuerySet[Case]:
    """The cases the actor may see, filtered: state (one or several), unit (with the units below it),
    overdue (True/False), real-name, assignee. Newest first."""
    cases = cases_visible(actor=actor).select_related("unit", "assignee")
    if state:
        cases = cases.filter(state__in=[state] if isinstance(state, str) else state)
    if unit is not None:
        cases = cases.filter(unit__path__startswith=unit.path)
    if overdue is not None:
        cases = cases.filter(overdue_q(now)) if overdue else cases.exclude(overdue_q(now))
    if realname is not None:
        cases = cases.filter(realname=realname)
    if assignee_id is not None:
        cases = cases.filter(assignee_id=assignee_id)
    return cases.order_by("-opened_at", "-id")


def cases_overdue(*, actor: Actor, now: datetime | None = None) -> QuerySet[Case]:
    """Overdue open cases the actor may see, the longest overdue first (by contact, then feedback due)."""
    return (
        cases_visible(actor=actor)
        .filter(overdue_q(now))
        .select_related("unit", "assignee")
        .order_by("contact_due", "feedback_due", "id")
    )


# --- detail ---------------------------------------------------------------------------------------------
@dataclass
class CaseDetail:
    case: Case
    events: list[CaseEvent]
    callbacks: list[CaseCallback]
    milestones: list[LedgerMilestone]
    spot_checks: list[CaseSpotCheck]
    evaluation: Evaluation | None
    evaluator_masked: dict = field(default_factory=dict)  # never the clear identity
    allowed: list[str] = field(default_factory=list)
    overdue: bool = False


def case_detail(*, actor: Actor, case_id: int, now: datetime | None = None) -> CaseDetail:
    """A case with its history (events with hashes), callbacks, ledger steps and spot checks; the evaluator
    masked (name 李*, phone 138****0000). Errors as case_get."""
    case = case_get(actor=actor, case_id=case_id)
    evaluation = (
        Evaluation.objects.select_related("transaction__item").filter(pk=case.evaluation_id).first()
        if case.evaluation_id
        else None
    )
    masked = {}
    if evaluation is not None and not evaluation.anonymous:
        masked = identity_from_row(evaluation, "evaluator").masked()
    return CaseDetail(
        case=case,
        events=list(case.events.order_by("seq")),
        callbacks=list(case.callbacks.order_by("at", "id")),
        milestones=list(case.milestones.order_by("due", "id")),
        spot_checks=list(case.spot_checks.order_by("-checked_at", "-id")),
        evaluation=evaluation,
        evaluator_masked=masked,
        allowed=actions_allowed(case),
        overdue=Case.objects.filter(pk=case.pk).filter(overdue_q(now)).exists(),
    )


def case_ids_for_evaluations(evaluations: list[Evaluation]) -> dict[int, int]:
    """{evaluation id: case id} for ratings already stored (a retried submission): the newest case of each
    rating's (transaction, stage), for bad ratings and revisions. One query."""
    wanted = [e for e in evaluations if e.is_bad or e.revision > 1]
    if not wanted:
        return {}
    pairs: dict[tuple[int, str], int] = {}
    for case_id, tid, stage in (
        Case.objects.filter(transaction_id__in={e.transaction_id for e in wanted})
        .order_by("id")
        .values_list("id", "transaction_id", "stage")
    ):
        pairs[(tid, stage)] = case_id
    return {e.pk: pairs[(e.transaction_id, e.stage)] for e in wanted if (e.transaction_id, e.stage) in pairs}


# --- supervision ----------------------------------------------------------------------------------------
def cases_sample_closed(
    *,
    start: date,
    end: date,
    count: int | None = None,
    percent: float | None = None,
    unit: Unit | None = None,
    seed: str | None = None,
) -> list[Case]:
    """A random sample of the cases closed between `start` and `end` (local dates, inclusive) for spot
    checks: `count` cases or `percent` % of them (rounded up). Reproducible with the same `seed`."""
    if (count is None) == (percent is None):
        raise ValueError("give count or percent")
    closed = Case.objects.filter(state=S.CLOSED, closed_at__gte=_start_of(start), closed_at__lte=_end_of(end))
    if unit is not None:
        closed = closed.filter(unit__path__startswith=unit.path)
    if percent is not None:
        total = closed.count()
        count = math.ceil(total * percent / 100)
    seed = seed or secrets.token_hex(8)
    key = MD5(Concat(Value(f"{seed}:"), Cast("id", CharField())))
    return list(closed.select_related("unit").annotate(draw=key).order_by("draw")[: max(count, 0)])


# --- indicators (DOMAIN §10) ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        """numerator ÷ denominator, None when there is nothing to count."""
        return self.numerator / self.denominator if self.denominator else None

    @property
    def percent(self) -> float | None:
        return None if self.value is None else round(100 * self.value, 2)


@dataclass(frozen=True)
class ClosedLoopIndicators:
    bad_reviews: int
    reply: Rate  # 差评回复率: feedback sent ÷ bad reviews
    callback_rectification: Rate  # 回访整改率: called back (reached) and rectified ÷ bad reviews
    satisfaction: Rate  # 回访整改满意率: evaluator satisfied ÷ bad reviews
    rectification: Rate  # 差评整改率: closed (fixed, ledger done, explained, not adopted) ÷ verified
    timeliness: Rate  # 按时整改率: closed by the rectification deadline ÷ closed
    realname_callback: Rate  # 实名差评回访整改率: real-name, called back and closed ÷ real-name


def case_measures() -> dict[str, Count]:
    """The counts behind every closed-loop rate: the live figures on /cases/ and the insight rollups
    (tenants.insight) aggregate cases with these same expressions."""
    closed = Q(state=S.CLOSED)
    reached = Q(contacted_at__isnull=False)
    return {
        "total": Count("id"),
        "replied": Count("id", filter=Q(feedback_at__isnull=False)),
        "rectified": Count("id", filter=reached & Q(resolved_at__isnull=False)),
        "satisfied": Count("id", filter=Q(evaluator_opinion=Opinion.SATISFIED)),
        "verified": Count("id", filter=~Q(verification="")),
        "closed": Count("id", filter=closed),
        "verified_closed": Count("id", filter=closed & ~Q(verification="")),
        "on_time": Count("id", filter=closed & Q(closed_at__lte=F("rectify_due"))),
        "realname_total": Count("id", filter=Q(realname=True)),
        "realname_done": Count("id", filter=Q(realname=True) & reached & closed),
    }


def bad_review_cases() -> QuerySet[Case]:
    """Cases of bad ratings that count: the rating is the current revision (a bad review revised to a good one
    is no longer a bad review) and not excluded by an upheld appeal."""
    return Case.objects.filter(
        source=CaseSource.RATING, evaluation__is_current=True, evaluation__excluded=False
    )


def _bad_review_cases(start: date | None, end: date | None, unit: Unit | None) -> QuerySet[Case]:
    cases = bad_review_cases()
    if start is not None:
        cases = cases.filter(opened_at__gte=_start_of(start))
    if end is not None:
        cases = cases.filter(opened_at__lte=_end_of(end))
    if unit is not None:
        cases = cases.filter(unit__path__startswith=unit.path)
    return cases


def closed_loop_indicators(
    *, start: date | None = None, end: date | None = None, unit: Unit | None = None
) -> ClosedLoopIndicators:
    """Every closed-loop rate with its numerator and denominator, for cases opened in the period (local
    dates, inclusive) at `unit` and below. One query."""
    row = _bad_review_cases(start, end, unit).aggregate(**case_measures())
    total = row["total"]
    return ClosedLoopIndicators(
        bad_reviews=total,
        reply=Rate(row["replied"], total),
        callback_rectification=Rate(row["rectified"], total),
        satisfaction=Rate(row["satisfied"], total),
        rectification=Rate(row["verified_closed"], row["verified"]),
        timeliness=Rate(row["on_time"], row["closed"]),
        realname_callback=Rate(row["realname_done"], row["realname_total"]),
    )


def realname_callback_rate(
    *, start: date | None = None, end: date | None = None, unit: Unit | None = None
) -> Rate:
    """实名差评回访整改率: real-name bad-review cases both called back (a callback reached the evaluator) and
    closed ÷ real-name bad-review cases (DOMAIN §10; the target is 100%)."""
    row = (
        _bad_review_cases(start, end, unit)
        .filter(realname=True)
        .aggregate(
            total=Count("id"),
            done=Count("id", filter=Q(contacted_at__isnull=False, state=S.CLOSED)),
        )
    )
    return Rate(row["done"], row["total"])
