"""Reads for appeals (申诉复核): who may appeal which rating, who may decide which appeal, the appellant's
and the reviewer's lists, and the rating as each side may see it.

The appellant never sees who rated: appellant-facing rows carry level, tags, comment, time, channel and the
transaction number, and their querysets do not even load the evaluator_* columns. Reviewers see the
identity masked, never in full.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from tenants.accounts.actors import Actor
from tenants.accounts.models import User
from tenants.accounts.roles import Perm, has_permission
from tenants.appeals.models import Appeal, AppealSettings, AppealState, AppellantKind
from tenants.evaluations.models import SCALE_WORDS, Evaluation, ReasonTag
from tenants.evaluations.selectors import intake_config
from tenants.organisation.models import Membership, Unit
from tenants.organisation.selectors import membership_of, unit_contains
from tenants.privacy.identity import identity_from_row

# Columns an appellant-facing query never loads.
EVALUATOR_FIELDS = (
    "evaluator_type",
    "evaluator_name",
    "evaluator_phone",
    "evaluator_id_type",
    "evaluator_id_number",
    "evaluator_hash",
    "transaction__applicant_name",
    "transaction__applicant_phone",
    "transaction__applicant_id_type",
    "transaction__applicant_id_number",
)
_RATING_RELATED = (
    "transaction__item",
    "transaction__unit",
    "transaction__window",
    "transaction__staff",
)


def appeal_settings() -> AppealSettings:
    """The tenant's appeal rules (the defaults until an administrator changes them)."""
    return AppealSettings.objects.order_by("pk").first() or AppealSettings()


def user_of(actor: Actor) -> User | None:
    """The person behind an actor (None for API keys and the system)."""
    if actor.kind != "user" or not actor.id:
        return None
    return User.objects.filter(pk=actor.id).first()


# --- who may appeal ----------------------------------------------------------------------------------
def appellant_kinds(*, membership: Membership | None, evaluation: Evaluation) -> list[str]:
    """On whose behalf this account may appeal this rating: as the rated staff member (its Staff record is the
    transaction's staff) and/or as the rated unit (its unit contains the transaction's unit or window)."""
    if membership is None:
        return []
    txn = evaluation.transaction
    kinds = []
    if membership.staff_id is not None and membership.staff_id == txn.staff_id:
        kinds.append(AppellantKind.STAFF)
    rated = [txn.unit] + ([txn.window] if txn.window_id else [])
    if any(unit_contains(outer=membership.unit, inner=u) for u in rated):
        kinds.append(AppellantKind.UNIT)
    return kinds


def ratings_of_appellant(*, user, bad_only: bool = True) -> QuerySet[Evaluation]:
    """Current ratings of the account's own staff record or of its unit's subtree (handling unit or window),
    newest first, without the evaluator's identity columns."""
    membership = membership_of(user)
    if membership is None:
        return Evaluation.objects.none()
    path = membership.unit.path
    whose = Q(transaction__unit__path__startswith=path) | Q(transaction__window__path__startswith=path)
    if membership.staff_id is not None:
        whose |= Q(transaction__staff_id=membership.staff_id)
    rows = (
        Evaluation.objects.filter(whose, is_current=True)
        .select_related(*_RATING_RELATED)
        .defer(*EVALUATOR_FIELDS)
    )
    if bad_only:
        rows = rows.filter(is_bad=True)
    return rows.order_by("-rated_at", "-id")


def rating_for_appellant(*, user, pk: int) -> Evaluation | None:
    """One rating the account may appeal (by its relation to it; deadlines are the service's business)."""
    return ratings_of_appellant(user=user, bad_only=False).filter(pk=pk).first()


def _tag_labels() -> dict[str, str]:
    return dict(ReasonTag.objects.values_list("code", "label"))


@dataclass(frozen=True)
class RatingView:
    """A rating as an appeal page shows it. `evaluator` is only ever set for reviewers, and masked."""

    id: int
    rated_at: object
    transaction: str
    item: str
    unit: str
    window: str
    staff: str
    channel: str
    level: int
    level_word: str
    is_bad: bool
    reason_tags: list[str]
    comment: str
    is_default: bool
    is_supplementary: bool
    excluded: bool
    excluded_reason: str
    evaluator: dict | None = None


def rating_rows(evaluations, *, for_reviewer: bool = False) -> list[RatingView]:
    """Display rows. For appellants no evaluator field is read at all; for reviewers the identity is masked
    (`tenants.privacy.masking`), and an audited reveal stays the supervisors' evaluation-list business."""
    evaluations = list(evaluations)
    words = SCALE_WORDS[intake_config().scale]
    labels = _tag_labels() if evaluations else {}
    rows = []
    for e in evaluations:
        txn = e.transaction
        evaluator = None
        if for_reviewer:
            evaluator = (
                {"anonymous": True}
                if e.anonymous
                else {"anonymous": False, **identity_from_row(e, "evaluator").masked()}
            )
        rows.append(
            RatingView(
                id=e.pk,
                rated_at=timezone.localtime(e.rated_at),
                transaction=txn.number,
                item=txn.item.name,
                unit=txn.unit.name,
                window=txn.window.name if txn.window_id else "",
                staff=txn.staff.name if txn.staff_id else "",
                channel=e.get_channel_display(),
                level=e.level,
                level_word=words[e.level - 1],
                is_bad=e.is_bad,
                reason_tags=[labels.get(code, code) for code in e.reason_tags],
                comment=e.comment,
                is_default=e.is_default,
                is_supplementary=e.is_supplementary,
                excluded=e.excluded,
                excluded_reason=e.excluded_reason,
                evaluator=evaluator,
            )
        )
    return rows


def appeals_by_rating(*, evaluation_ids) -> dict[int, Appeal]:
    """evaluation id → its open or decided appeal (withdrawn ones are forgotten), for the given ratings."""
    rows = (
        Appeal.objects.filter(evaluation_id__in=list(evaluation_ids))
        .exclude(state=AppealState.WITHDRAWN)
        .only("id", "evaluation_id", "state", "appellant_id")
        .order_by("id")
    )
    return {a.evaluation_id: a for a in rows}


def appealable(evaluation: Evaluation, *, appeal: Appeal | None, rules: AppealSettings, now=None) -> bool:
    """Whether the page offers an appeal of this rating (the service decides again on filing)."""
    now = now or timezone.now()
    return (
        appeal is None
        and evaluation.is_current
        and evaluation.is_bad
        and not evaluation.excluded
        and now <= evaluation.rated_at + timedelta(days=rules.filing_days)
    )


def appeals_of_appellant(*, user) -> QuerySet[Appeal]:
    return (
        Appeal.objects.filter(appellant_id=user.pk)
        .select_related("evaluation__transaction", "rated_unit")
        .defer(*(f"evaluation__{f}" for f in EVALUATOR_FIELDS))
        .order_by("-created_at", "-id")
    )


# --- who may decide ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeciderScope:
    """Where a decider's authority reaches: the whole tenant, or strictly below `unit`."""

    tenant_wide: bool
    unit: Unit | None = None
    user_id: int | None = None
    staff_id: int | None = None  # the decider's own Staff record: never decides about a rating of it


def decider_scope(actor: Actor) -> DeciderScope | None:
    """None when the actor may decide no appeal at all. People placed in a unit decide for units strictly below
    it; tenant-wide accounts (administrators, supervisors without a Membership), their API keys and the system
    decide for the whole tenant."""
    if actor.kind == "system":
        return DeciderScope(tenant_wide=True)
    if not has_permission(actor.role, Perm.DECIDE_APPEALS):
        return None
    if actor.kind != "user":
        return DeciderScope(tenant_wide=True)
    user = user_of(actor)
    if user is None:
        return None
    membership = membership_of(user)
    if membership is None:
        return DeciderScope(tenant_wide=True, user_id=user.pk)
    return DeciderScope(
        tenant_wide=False, unit=membership.unit, user_id=user.pk, staff_id=membership.staff_id
    )


def _strictly_above(outer: Unit, inner: Unit) -> bool:
    return outer.pk != inner.pk and unit_contains(outer=outer, inner=inner)


def is_rated_staff(scope: DeciderScope | None, appeal: Appeal) -> bool:
    """Whether the decider is the staff member the appealed rating is about."""
    return (
        scope is not None
        and scope.staff_id is not None
        and scope.staff_id == appeal.evaluation.transaction.staff_id
    )


def scope_covers(scope: DeciderScope | None, appeal: Appeal) -> bool:
    """Whether this scope may decide this appeal: never the appellant's own nor one about a rating of the
    decider; a unit-placed reviewer sits strictly above the rated unit, the window and the appellant's
    unit."""
    if scope is None or (scope.user_id is not None and scope.user_id == appeal.appellant_id):
        return False
    if is_rated_staff(scope, appeal):
        return False
    if scope.tenant_wide:
        return True
    window = appeal.evaluation.transaction.window
    units = [appeal.rated_unit, appeal.appellant_unit] + ([window] if window is not None else [])
    return all(_strictly_above(scope.unit, u) for u in units)


def appeal_may_decide(*, actor: Actor, appeal: Appeal) -> bool:
    return scope_covers(decider_scope(actor), appeal)


def _decidable(scope: DeciderScope) -> Q:
    """The same rule as scope_covers, as a filter."""
    q = Q()
    if scope.user_id is not None:
        q &= ~Q(appellant_id=scope.user_id)
    if scope.staff_id is not None:
        q &= ~Q(evaluation__transaction__staff_id=scope.staff_id)
    if scope.tenant_wide:
        return q
    unit = scope.unit
    below = unit.path
    q &= Q(rated_unit__path__startswith=below) & ~Q(rated_unit=unit)
    q &= Q(appellant_unit__path__startswith=below) & ~Q(appellant_unit=unit)
    q &= Q(evaluation__transaction__window__isnull=True) | (
        Q(evaluation__transaction__window__path__startswith=below) & ~Q(evaluation__transaction__window=unit)
    )
    return q


def review_queue(*, actor: Actor, state: str = AppealState.SUBMITTED) -> QuerySet[Appeal]:
    """Appeals this actor may decide (or, for another state, could have decided), the most urgent first."""
    scope = decider_scope(actor)
    if scope is None:
        return Appeal.objects.none()
    rows = Appeal.objects.filter(_decidable(scope)).select_related(
        "evaluation__transaction", "rated_unit", "appellant_unit"
    )
    if state:
        rows = rows.filter(state=state)
    if state == AppealState.SUBMITTED:
        return rows.order_by("due_at", "created_at", "id")
    return rows.order_by("-decided_at", "-id")


def appeals_visible(*, actor: Actor) -> QuerySet[Appeal]:
    """What an actor may read: its own appeals, and those within its decision scope."""
    scope = decider_scope(actor)
    person = actor.kind == "user" and actor.id
    own = (Q(appellant_id=actor.id) | Q(reviewer_id=actor.id)) if person else Q(pk__in=[])
    if scope is not None:
        if scope.tenant_wide:
            return Appeal.objects.all()
        return Appeal.objects.filter(own | _decidable(scope))
    if has_permission(actor.role, Perm.FILE_APPEALS):
        return Appeal.objects.filter(own)
    return Appeal.objects.none()


def appeal_overdue(appeal: Appeal, *, today=None) -> bool:
    today = today or timezone.localdate()
    return appeal.state == AppealState.SUBMITTED and appeal.due_at < today
