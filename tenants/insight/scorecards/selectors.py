"""Rankings, scorecards, monthly award candidates and repeated-bad-review warnings (DOMAIN.md §7, §9, §10).

Fairness (§10: small samples must not rank above large ones by luck): an entity is ranked by the lower end of
the Wilson 95 % interval of its good-review rate, ties broken by the larger sample; entities with fewer than
`min_sample` ratings are listed apart ("样本不足") and never ranked.

Sources: rankings read only the rating rollup (never raw evaluations). Scorecards, candidates and warnings add
what rollups cannot tell: the bad-review cases of a staff member or window (the cases table is small and the
case rollup has no window or staff), the appeals about them, and, for evidence, the dates, channels and reason
tags of their bad reviews. Nothing here reads or returns an evaluator's identity or comment.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.appeals.models import Appeal, AppealState
from tenants.cases.models import Case, CaseState
from tenants.cases.selectors import bad_review_cases, case_measures, overdue_q
from tenants.evaluations.models import Channel, Evaluation, ReasonTag
from tenants.insight.models import RatingRollup, TransactionRollup
from tenants.insight.scorecards.fairness import MIN_SAMPLE, RankMovement, wilson_interval, wilson_lower_bound
from tenants.insight.selectors import Indicator, Scope, rating_indicators, rollup_filter
from tenants.insight.services import day_bounds
from tenants.organisation.models import Staff, Unit, UnitKind

LEVELS = {
    "department": _("Departments"),
    "hall": _("Halls, centres and stations"),
    "window": _("Windows"),
    "staff": _("Staff"),
}
# Service organisations ranked as "halls" (大厅、中心、站点): everything that is neither a department nor a window.
HALL_KINDS = (UnitKind.HALL, UnitKind.CENTRE, UnitKind.STATION, UnitKind.SERVICE_POINT)
UNIT_KINDS = {"department": (UnitKind.DEPARTMENT,), "hall": HALL_KINDS}

WARNING_THRESHOLD = 3  # counted bad reviews in one month
WARNING_CONSECUTIVE = 2  # …or at least this many in each of two consecutive months
TREND_MONTHS = 6
EVIDENCE_LIMIT = 200  # bad reviews listed on one scorecard


# --- months -----------------------------------------------------------------------------------------------
def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return month_add(month_start(day), 1) - timedelta(days=1)


def month_add(first: date, months: int) -> date:
    """The first day of the month `months` after (or before, when negative) the month of `first`."""
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_scope(month: date) -> Scope:
    return Scope(start=month_start(month), end=month_end(month))


def previous_period(scope: Scope) -> Scope:
    """The period of equal length just before the scope's, with the same filters."""
    length = scope.end - scope.start
    end = scope.start - timedelta(days=1)
    return dataclasses.replace(scope, start=end - length, end=end)


# --- rankings ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RankRow(RankMovement):
    """One entity's good-review rate with its Wilson 95 % interval and rank. `rank` is None when the sample is
    below the minimum (样本不足); `previous_rank` is the rank in the previous period of equal length (None when
    it was not ranked then)."""

    level: str
    id: int
    code: str
    name: str
    n: int
    good: int
    bad: int
    rank: int | None = None
    previous_rank: int | None = None

    @property
    def ranked(self) -> bool:
        return self.rank is not None

    @property
    def good_rate(self) -> float | None:
        return self.good / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.good, self.n)

    @property
    def low(self) -> float | None:
        return None if self.interval is None else self.interval[0]

    @property
    def high(self) -> float | None:
        return None if self.interval is None else self.interval[1]

    @property
    def percent(self) -> float | None:
        return _percent(self.good_rate)

    @property
    def low_percent(self) -> float | None:
        return _percent(self.low)

    @property
    def high_percent(self) -> float | None:
        return _percent(self.high)


def _percent(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 2)


_MEASURES = {
    "n": Coalesce(Sum("count"), 0),
    "good": Coalesce(Sum("count", filter=Q(level__lte=3)), 0),
    "bad": Coalesce(Sum("count", filter=Q(level__gte=4)), 0),
}


def _rating_rows(scope: Scope, *, exclude_defaults: bool) -> QuerySet[RatingRollup]:
    rows = RatingRollup.objects.filter(rollup_filter(scope))
    return rows.filter(is_default=False) if exclude_defaults else rows


def _path_ids(path: str | None) -> set[int]:
    return {int(part) for part in (path or "").strip("/").split("/") if part}


def _units_of(scope: Scope, level: str) -> set[int]:
    units = Unit.objects.filter(kind__in=UNIT_KINDS[level])
    if scope.unit is not None:  # only units inside the question's unit
        units = units.filter(path__startswith=scope.unit.path)
    return set(units.values_list("pk", flat=True))


def _counts(
    scope: Scope, level: str, *, exclude_defaults: bool, units: set[int] | None = None
) -> dict[int, list[int]]:
    """{entity id: [n, good, bad]}. Units of a level (`units`, ids) sum their whole subtree: a rating counts
    for a unit when its handling unit or its window lies below it (as Scope(unit=…) does), once per unit."""
    rows = _rating_rows(scope, exclude_defaults=exclude_defaults)
    if level not in UNIT_KINDS:
        column = {"window": "window_id", "staff": "staff_id"}[level]
        rows = rows.filter(**{f"{column}__isnull": False}).values(column).annotate(**_MEASURES).order_by()
        return {row[column]: [row["n"], row["good"], row["bad"]] for row in rows}
    totals: dict[int, list[int]] = {}
    for row in rows.values("unit__path", "window__path").annotate(**_MEASURES).order_by():
        for unit_id in (_path_ids(row["unit__path"]) | _path_ids(row["window__path"])) & (units or set()):
            total = totals.setdefault(unit_id, [0, 0, 0])
            total[0] += row["n"]
            total[1] += row["good"]
            total[2] += row["bad"]
    return totals


def _ranks(counts: dict[int, list[int]], min_sample: int) -> dict[int, int]:
    """Competition ranking (1, 2, 2, 4) by Wilson lower bound, then by sample size; equal on both, equal rank."""
    keyed = sorted(
        ((wilson_lower_bound(good, n), n, pk) for pk, (n, good, _bad) in counts.items() if n >= min_sample),
        key=lambda k: (-k[0], -k[1]),
    )
    ranks: dict[int, int] = {}
    previous, rank = None, 0
    for position, (low, n, pk) in enumerate(keyed, start=1):
        if (low, n) != previous:
            rank, previous = position, (low, n)
        ranks[pk] = rank
    return ranks


def _labels(level: str, ids: set[int]) -> dict[int, tuple[str, str]]:
    if level == "staff":
        return {
            pk: (no, name)
            for pk, no, name in Staff.objects.filter(pk__in=ids).values_list("pk", "staff_no", "name")
        }
    return {
        pk: (code, name)
        for pk, code, name in Unit.objects.filter(pk__in=ids).values_list("pk", "code", "name")
    }


def rankings(
    scope: Scope, *, level: str, min_sample: int = MIN_SAMPLE, exclude_defaults: bool = False
) -> list[RankRow]:
    """Departments, halls, windows or staff (`level`) with ratings in the scope, ranked by the Wilson lower
    bound of their good-review rate (ties: the larger sample first), with the rank in the previous period of
    equal length. Ranked rows come first (by rank), then the rows below `min_sample` (rank None, 样本不足) by
    sample size. `exclude_defaults` counts only ratings the evaluators gave (主动评价).

    Departments and halls sum their whole subtree. Two aggregate queries over the rating rollup (this period
    and the previous one), one for the names (and one for the units of the level); never raw evaluations."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}")
    min_sample = max(1, min_sample)
    units = _units_of(scope, level) if level in UNIT_KINDS else None
    counts = _counts(scope, level, exclude_defaults=exclude_defaults, units=units)
    before = _counts(previous_period(scope), level, exclude_defaults=exclude_defaults, units=units)
    ranks, previous_ranks = _ranks(counts, min_sample), _ranks(before, min_sample)
    labels = _labels(level, set(counts))
    rows = [
        RankRow(
            level=level,
            id=pk,
            code=labels.get(pk, ("", ""))[0],
            name=labels.get(pk, ("", str(pk)))[1],
            n=n,
            good=good,
            bad=bad,
            rank=ranks.get(pk),
            previous_rank=previous_ranks.get(pk),
        )
        for pk, (n, good, bad) in counts.items()
        if n > 0
    ]
    rows.sort(key=lambda r: (0, r.rank, r.code) if r.ranked else (1, -r.n, r.code))
    return rows


# --- bad reviews as evidence ------------------------------------------------------------------------------
@dataclass(frozen=True)
class BadReview:
    """One counted bad review as evidence: when, where, why and what became of its case; never who gave it."""

    evaluation_id: int
    rated_at: datetime
    channel: str
    channel_label: str
    level: int
    reasons: list[str]
    staff_id: int | None
    window_id: int | None
    case_id: int | None = None
    case_number: str = ""
    case_state: str = ""
    case_state_label: str = ""
    case_overdue: bool = False


def bad_reviews(
    *,
    start: date,
    end: date,
    staff_ids: list[int] | None = None,
    window_ids: list[int] | None = None,
    now: datetime | None = None,
    limit: int | None = None,
) -> list[BadReview]:
    """Counted bad reviews (current, not excluded, levels 4–5) rated between `start` and `end` (local dates,
    inclusive) of the given staff or windows, oldest first, each with its case. Two queries; only the columns
    named here are read (no evaluator identity, no comment)."""
    if staff_ids is None and window_ids is None:
        raise ValueError("give staff_ids or window_ids")
    first, after = day_bounds(start, end)
    who = Q()
    if staff_ids is not None:
        who |= Q(transaction__staff_id__in=staff_ids)
    if window_ids is not None:
        who |= Q(transaction__window_id__in=window_ids)
    rows = list(
        Evaluation.objects.filter(
            who, is_current=True, excluded=False, level__gte=4, rated_at__gte=first, rated_at__lt=after
        )
        .order_by("rated_at", "id")
        .values(
            "id",
            "rated_at",
            "channel",
            "level",
            "reason_tags",
            "transaction__staff_id",
            "transaction__window_id",
        )[:limit]
    )
    cases = {
        c["evaluation_id"]: c
        for c in Case.objects.filter(evaluation_id__in=[r["id"] for r in rows])
        .annotate(late=ExpressionWrapper(overdue_q(now), output_field=BooleanField()))
        .values("evaluation_id", "id", "number", "state", "late")
    }
    tags = dict(ReasonTag.objects.values_list("code", "label"))
    channels, states = dict(Channel.choices), dict(CaseState.choices)
    result = []
    for r in rows:
        case = cases.get(r["id"], {})
        result.append(
            BadReview(
                evaluation_id=r["id"],
                rated_at=r["rated_at"],
                channel=r["channel"],
                channel_label=str(channels.get(r["channel"], r["channel"])),
                level=r["level"],
                reasons=[tags.get(code, code) for code in r["reason_tags"]],
                staff_id=r["transaction__staff_id"],
                window_id=r["transaction__window_id"],
                case_id=case.get("id"),
                case_number=case.get("number", ""),
                case_state=case.get("state", ""),
                case_state_label=str(states.get(case.get("state"), "")),
                case_overdue=bool(case.get("late")),
            )
        )
    return result


# --- scorecards -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TrendPoint:
    month: date
    n: int
    good: int

    @property
    def rate(self) -> Indicator:
        return Indicator(self.good, self.n)

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.good, self.n)


@dataclass(frozen=True)
class CaseFigures:
    """The bad-review cases of the scorecard's subject (by the day of the bad review), as the closed-loop
    figures count them, plus those overdue now."""

    total: int
    replied: int
    rectified: int
    satisfied: int
    closed: int
    on_time: int
    overdue: int

    @property
    def open(self) -> int:
        return self.total - self.closed

    @property
    def on_time_rate(self) -> Indicator:
        return Indicator(self.on_time, self.closed)

    @property
    def reply_rate(self) -> Indicator:
        return Indicator(self.replied, self.total)

    @property
    def rectification_rate(self) -> Indicator:
        return Indicator(self.rectified, self.total)


@dataclass(frozen=True)
class AppealFigures:
    filed: int
    upheld: int
    rejected: int
    pending: int
    withdrawn: int


@dataclass(frozen=True)
class Scorecard:
    kind: str  # staff / window
    subject: Staff | Unit
    scope: Scope
    levels: dict[int, int]  # counted ratings per level 1–5
    defaults: int
    indicators: dict[str, Indicator]  # good_rate, active_good_rate, bad_rate (numerator, denominator)
    bad_reviews: list[BadReview]
    cases: CaseFigures
    appeals: AppealFigures
    items_handled: int
    items_rated: int
    transactions: int
    transactions_rated: int
    trend: list[TrendPoint]
    others: list[RankRow] = field(default_factory=list)  # a window's staff, a staff member's windows

    @property
    def ratings(self) -> int:
        return sum(self.levels.values())

    @property
    def good(self) -> int:
        return self.indicators["good_rate"].numerator

    @property
    def bad(self) -> int:
        return self.indicators["bad_rate"].numerator

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.good, self.ratings)

    @property
    def coverage(self) -> Indicator:
        """Items with at least one rated transaction ÷ items handled (transactions received in the period)."""
        return Indicator(self.items_rated, self.items_handled)

    @property
    def participation(self) -> Indicator:
        return Indicator(self.transactions_rated, self.transactions)


def _case_filters(scope: Scope) -> Q:
    q = Q()
    if scope.item is not None:
        q &= Q(transaction__item=scope.item)
    if scope.item_type:
        q &= Q(transaction__item__item_type=scope.item_type)
    if scope.channel:
        q &= Q(evaluation__channel=scope.channel)
    if scope.unit is not None:
        q &= Q(unit__path__startswith=scope.unit.path) | Q(
            transaction__window__path__startswith=scope.unit.path
        )
    return q


def _scorecard(kind: str, subject: Staff | Unit, scope: Scope, now: datetime | None) -> Scorecard:
    column = "staff" if kind == "staff" else "window"
    mine = {column: subject}
    ratings = RatingRollup.objects.filter(rollup_filter(scope), **mine)
    levels = dict.fromkeys(range(1, 6), 0)
    defaults = 0
    for level, is_default, count in (
        ratings.values("level", "is_default").annotate(c=Sum("count")).values_list("level", "is_default", "c")
    ):
        levels[level] += count
        defaults += count if is_default else 0
    measures = ratings.aggregate(
        ratings=Coalesce(Sum("count"), 0),
        good=Coalesce(Sum("count", filter=Q(level__lte=3)), 0),
        bad=Coalesce(Sum("count", filter=Q(level__gte=4)), 0),
        given=Coalesce(Sum("count", filter=Q(is_default=False)), 0),
        given_good=Coalesce(Sum("count", filter=Q(is_default=False, level__lte=3)), 0),
    )

    # Cases: by the day of the bad review, like the case rollup (which cannot tell windows or staff apart).
    first, after = day_bounds(scope.start, scope.end)
    cases = bad_review_cases().filter(
        _case_filters(scope),
        evaluation__rated_at__gte=first,
        evaluation__rated_at__lt=after,
        **{f"transaction__{column}": subject},
    )
    c = cases.aggregate(**case_measures(), overdue=Count("id", filter=overdue_q(now)))
    case_figures = CaseFigures(
        total=c["total"], replied=c["replied"], rectified=c["rectified"], satisfied=c["satisfied"],
        closed=c["closed"], on_time=c["on_time"], overdue=c["overdue"],
    )  # fmt: skip

    a = Appeal.objects.filter(
        created_at__gte=first, created_at__lt=after, **{f"evaluation__transaction__{column}": subject}
    ).aggregate(
        filed=Count("id"),
        **{
            state: Count("id", filter=Q(state=value))
            for state, value in (
                ("upheld", AppealState.UPHELD),
                ("rejected", AppealState.REJECTED),
                ("pending", AppealState.SUBMITTED),
                ("withdrawn", AppealState.WITHDRAWN),
            )
        },
    )

    per_item = (
        TransactionRollup.objects.filter(rollup_filter(scope), **mine)
        .values("item_id")
        .annotate(t=Sum("transactions"), r=Sum("rated"))
        .order_by()
    )
    per_item = list(per_item)

    # The last six months up to the scope's end, with the scope's other filters.
    trend_scope = dataclasses.replace(
        scope, start=month_add(month_start(scope.end), 1 - TREND_MONTHS), end=month_end(scope.end)
    )
    by_month = {
        row["month"]: row
        for row in RatingRollup.objects.filter(rollup_filter(trend_scope), **mine)
        .annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(n=Sum("count"), good=Coalesce(Sum("count", filter=Q(level__lte=3)), 0))
        .order_by()
    }
    trend = []
    for i in range(TREND_MONTHS):
        month = month_add(trend_scope.start, i)
        row = by_month.get(month, {"n": 0, "good": 0})
        trend.append(TrendPoint(month=month, n=row["n"], good=row["good"]))

    other = "window" if kind == "staff" else "staff"
    others = rankings_within(scope, level=other, **mine)
    return Scorecard(
        kind=kind,
        subject=subject,
        scope=scope,
        levels=levels,
        defaults=defaults,
        indicators=rating_indicators(measures),
        bad_reviews=bad_reviews(
            start=scope.start,
            end=scope.end,
            now=now,
            limit=EVIDENCE_LIMIT,
            **({"staff_ids": [subject.pk]} if kind == "staff" else {"window_ids": [subject.pk]}),
        ),
        cases=case_figures,
        appeals=AppealFigures(**a),
        items_handled=sum(1 for r in per_item if r["t"]),
        items_rated=sum(1 for r in per_item if r["t"] and r["r"]),
        transactions=sum(r["t"] or 0 for r in per_item),
        transactions_rated=sum(r["r"] or 0 for r in per_item),
        trend=trend,
        others=others,
    )


def rankings_within(scope: Scope, *, level: str, **subject) -> list[RankRow]:
    """The windows a staff member was rated at (level="window", staff=…) or the staff rated at a window
    (level="staff", window=…), with their figures in the scope (unranked: a breakdown, not a competition)."""
    column = f"{level}_id"
    rows = (
        RatingRollup.objects.filter(rollup_filter(scope), **subject)
        .filter(**{f"{column}__isnull": False})
        .values(column)
        .annotate(**_MEASURES)
        .order_by()
    )
    counts = {row[column]: (row["n"], row["good"], row["bad"]) for row in rows}
    labels = _labels(level, set(counts))
    result = [
        RankRow(
            level=level,
            id=pk,
            code=labels.get(pk, ("", ""))[0],
            name=labels.get(pk, ("", str(pk)))[1],
            n=n,
            good=good,
            bad=bad,
        )
        for pk, (n, good, bad) in counts.items()
    ]
    return sorted(result, key=lambda r: (-r.n, r.code))


def staff_scorecard(staff: Staff, scope: Scope, *, now: datetime | None = None) -> Scorecard:
    """A staff member's ratings by level, good/bad/active good rates with numerator and denominator and the
    Wilson interval, bad reviews (evidence, no evaluator identity), the cases of their transactions and
    their timeliness, appeals about their ratings, item coverage, the windows they were rated at and the
    last six months' trend."""
    return _scorecard("staff", staff, scope, now)


def window_scorecard(window: Unit, scope: Scope, *, now: datetime | None = None) -> Scorecard:
    """The same scorecard for a window (cases and appeals through the transactions handled at it)."""
    return _scorecard("window", window, scope, now)


# --- warnings ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BadReviewWarning:
    """A staff member or window with repeated bad reviews (DOMAIN §7: repeated bad reviews lead to
    accountability), with the bad reviews behind it."""

    kind: str  # staff / window
    id: int
    code: str
    name: str
    month: date
    bad: int  # counted bad reviews in the month
    bad_previous: int  # …and in the month before
    rule: str  # "threshold" (≥ threshold in the month) or "consecutive" (≥ consecutive in both months)
    evidence: list[BadReview]


def _bad_counts(scope: Scope, column: str) -> dict[int, int]:
    rows = (
        RatingRollup.objects.filter(rollup_filter(scope), level__gte=4, **{f"{column}__isnull": False})
        .values(column)
        .annotate(bad=Sum("count"))
        .order_by()
    )
    return {row[column]: row["bad"] for row in rows if row["bad"] > 0}


def bad_review_warnings(
    *,
    month: date,
    kind: str,
    threshold: int = WARNING_THRESHOLD,
    consecutive: int = WARNING_CONSECUTIVE,
    now: datetime | None = None,
) -> list[BadReviewWarning]:
    """Staff (`kind="staff"`) or windows (`kind="window"`) with at least `threshold` counted bad reviews in
    the month, or at least `consecutive` in both the month and the month before; the most bad reviews first,
    each with its bad reviews (dates, channels, reason tags, case numbers and states). Counts from the rating
    rollup; the evidence reads only the flagged entities' bad reviews."""
    if kind not in ("staff", "window"):
        raise ValueError("kind must be staff or window")
    column = f"{kind}_id"
    this = month_scope(month)
    before = month_scope(month_add(this.start, -1))
    counts, counts_before = _bad_counts(this, column), _bad_counts(before, column)
    flagged: dict[int, str] = {}
    for pk, bad in counts.items():
        if bad >= threshold:
            flagged[pk] = "threshold"
        elif bad >= consecutive and counts_before.get(pk, 0) >= consecutive:
            flagged[pk] = "consecutive"
    if not flagged:
        return []
    ids = sorted(flagged)
    key = "staff_ids" if kind == "staff" else "window_ids"
    start = before.start if "consecutive" in flagged.values() else this.start
    evidence: dict[int, list[BadReview]] = defaultdict(list)
    for review in bad_reviews(start=start, end=this.end, now=now, **{key: ids}):
        pk = review.staff_id if kind == "staff" else review.window_id
        if pk in flagged and (
            flagged[pk] == "consecutive" or review.rated_at >= day_bounds(this.start, this.end)[0]
        ):
            evidence[pk].append(review)
    labels = _labels(kind, set(ids))
    warnings = [
        BadReviewWarning(
            kind=kind,
            id=pk,
            code=labels.get(pk, ("", ""))[0],
            name=labels.get(pk, ("", str(pk)))[1],
            month=this.start,
            bad=counts[pk],
            bad_previous=counts_before.get(pk, 0),
            rule=flagged[pk],
            evidence=evidence[pk],
        )
        for pk in ids
    ]
    return sorted(warnings, key=lambda w: (-w.bad, -w.bad_previous, w.code))


# --- award candidates -------------------------------------------------------------------------------------
AWARDS = {
    "staff": _("Model staff for serving the people (为民服务标兵)"),
    "window": _("Windows the public are most satisfied with (群众满意窗口)"),
}


@dataclass(frozen=True)
class Candidate:
    row: RankRow  # the month's figures (active ratings) and rank
    cases: int  # bad-review cases of the month about them
    late_cases: list[str]  # case numbers that missed their rectification deadline in the month
    warned: bool  # on the month's repeated-bad-review warning list
    position: int | None  # place on the candidate list; None when not eligible

    @property
    def eligible(self) -> bool:
        return self.position is not None


def award_candidates(
    *,
    month: date,
    kind: str,
    min_sample: int = MIN_SAMPLE,
    threshold: int = WARNING_THRESHOLD,
    now: datetime | None = None,
) -> list[Candidate]:
    """The month's candidates for 为民服务标兵 (`kind="staff"`) or 群众满意窗口 (`kind="window"`).

    Rules (shown on the page): (1) only ratings the evaluators gave count (defaults do not); (2) at least
    `min_sample` of them in the month; ordered by the Wilson lower bound of the good-review rate (ties: the
    larger sample); (3) not eligible with a bad-review case about them whose rectification deadline fell in
    the month (and has passed) without the case being closed by it; (4) not eligible when on the month's
    repeated-bad-review warning list. Every ranked entity is returned, the eligible first (position 1, 2, …),
    then the others with the reasons."""
    if kind not in ("staff", "window"):
        raise ValueError("kind must be staff or window")
    now = now or timezone.now()
    scope = month_scope(month)
    rows = [r for r in rankings(scope, level=kind, min_sample=min_sample, exclude_defaults=True) if r.ranked]
    ids = [r.id for r in rows]
    first, after = day_bounds(scope.start, scope.end)
    column = f"transaction__{kind}_id"
    month_cases = dict(
        bad_review_cases()
        .filter(evaluation__rated_at__gte=first, evaluation__rated_at__lt=after, **{f"{column}__in": ids})
        .values(column)
        .annotate(n=Count("id"))
        .values_list(column, "n")
    )
    late: dict[int, list[str]] = defaultdict(list)
    for pk, number in (
        bad_review_cases()
        .filter(**{f"{column}__in": ids}, rectify_due__gte=first, rectify_due__lt=min(after, now))
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gt=F("rectify_due")))
        .order_by("rectify_due", "id")
        .values_list(column, "number")
    ):
        late[pk].append(number)
    warned = {w.id for w in bad_review_warnings(month=scope.start, kind=kind, threshold=threshold, now=now)}
    eligible, others = [], []
    for row in rows:
        ok = not late.get(row.id) and row.id not in warned
        candidate = Candidate(
            row=row,
            cases=month_cases.get(row.id, 0),
            late_cases=late.get(row.id, []),
            warned=row.id in warned,
            position=len(eligible) + 1 if ok else None,
        )
        (eligible if ok else others).append(candidate)
    return eligible + others
