"""Reading reports, and the figures a report shows, all from the rollups (tenants.insight.selectors): the §10
indicators for the period, the breakdown by department and by hall, the trend, the most frequent bad-review
reasons, and for a comparison the same indicators for the period before."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from tenants.cases.selectors import bad_review_cases
from tenants.evaluations.models import ReasonTag
from tenants.insight.models import RatingRollup
from tenants.insight.reports.models import Report, ReportSchedule, ReportStatus
from tenants.insight.selectors import (
    CASE_MEASURES,
    INDICATORS,
    RATING_MEASURES,
    TRANSACTION_MEASURES,
    Indicator,
    Scope,
    case_rollups,
    indicators,
    rating_indicators,
    rating_rollups,
    rollup_filter,
    transaction_rollups,
)
from tenants.organisation.models import Unit, UnitKind

VENUE_KINDS = (UnitKind.HALL, UnitKind.CENTRE, UnitKind.STATION, UnitKind.SERVICE_POINT)
DAILY_UP_TO = 62  # days; longer periods trend by week
TOP_TAGS = 10


# --- reports -----------------------------------------------------------------------------------------------
def reports_recent(*, limit: int = 200) -> QuerySet[Report]:
    """The newest reports for the list page, without their files."""
    return Report.objects.defer("pdf", "xlsx", "public_pdf").select_related("unit")[:limit]


def reports_published() -> QuerySet[Report]:
    """Reports shown on the public portal: published and done, with their public PDF, newest period first
    (files deferred; read `report.public_pdf` to serve one, never `report.pdf`)."""
    return (
        Report.objects.filter(published=True, status=ReportStatus.DONE, public_pdf__isnull=False)
        .defer("pdf", "xlsx", "public_pdf")
        .select_related("unit")
        .order_by("-period_end", "-id")
    )


def report_schedules() -> QuerySet[ReportSchedule]:
    return ReportSchedule.objects.select_related("unit")


# --- figures -----------------------------------------------------------------------------------------------
@dataclass
class BreakdownRow:
    """One department or hall: rating measures (RATING_MEASURES) and, for departments, case measures."""

    code: str
    name: str
    ratings: dict = field(default_factory=lambda: dict.fromkeys(RATING_MEASURES, 0))
    cases: dict = field(default_factory=lambda: dict.fromkeys(CASE_MEASURES, 0))

    @property
    def good_rate(self) -> Indicator:
        return rating_indicators(self.ratings)["good_rate"]

    @property
    def active_good_rate(self) -> Indicator:
        return rating_indicators(self.ratings)["active_good_rate"]

    @property
    def bad_rate(self) -> Indicator:
        return rating_indicators(self.ratings)["bad_rate"]

    @property
    def callback_rectification_rate(self) -> Indicator:
        return Indicator(self.cases["rectified"], self.cases["total"])

    @property
    def on_time_rate(self) -> Indicator:
        return Indicator(self.cases["on_time"], self.cases["closed"])


@dataclass(frozen=True)
class TrendPoint:
    start: date  # the day, or the Monday of the week
    ratings: int
    good: int
    bad: int

    @property
    def good_rate(self) -> Indicator:
        return Indicator(self.good, self.ratings)


@dataclass(frozen=True)
class PeriodFigures:
    scope: Scope
    indicators: dict[str, Indicator]
    volumes: dict[str, int]  # ratings, good, bad, given, defaults, transactions, cases


@dataclass
class ReportFigures:
    period: PeriodFigures
    departments: list[BreakdownRow]
    halls: list[BreakdownRow]
    trend: list[TrendPoint]
    trend_by_week: bool
    tags: list[tuple[str, str, int]]  # code, label, cases
    before: PeriodFigures | None = None  # comparison reports


def period_figures(scope: Scope) -> PeriodFigures:
    """The §10 indicators and the volumes behind them (ratings, bad reviews, transactions, cases)."""
    r = rating_rollups(scope).aggregate(**RATING_MEASURES)
    t = transaction_rollups(scope).aggregate(**TRANSACTION_MEASURES)
    cases = case_rollups(scope).aggregate(**CASE_MEASURES)
    volumes = {
        "ratings": r["ratings"],
        "good": r["good"],
        "bad": r["bad"],
        "given": r["given"],
        "defaults": r["defaults"],
        "transactions": t["transactions"],
        "cases": cases["total"],
    }
    return PeriodFigures(scope=scope, indicators=indicators(scope), volumes=volumes)


def _ancestry(unit_ids: set[int]) -> dict[int, Unit]:
    """The units with these ids and every unit above them (two queries), by id."""
    paths = Unit.objects.filter(pk__in=unit_ids).values_list("path", flat=True)
    ids = {int(part) for path in paths for part in path.strip("/").split("/") if part}
    return {u.pk: u for u in Unit.objects.filter(pk__in=ids | unit_ids).only("code", "name", "kind", "path")}


def _nearest(unit_id: int | None, units: dict[int, Unit], kinds) -> Unit | None:
    """The unit itself or its nearest ancestor of one of `kinds`."""
    unit = units.get(unit_id) if unit_id is not None else None
    if unit is None:
        return None
    for part in reversed(unit.path.strip("/").split("/")):
        candidate = units.get(int(part)) if part else None
        if candidate is not None and candidate.kind in kinds:
            return candidate
    return None


def _row(rows: dict, unit: Unit | None, other: str) -> BreakdownRow:
    key = unit.pk if unit else None
    if key not in rows:
        rows[key] = BreakdownRow(code=unit.code if unit else "", name=unit.name if unit else other)
    return rows[key]


def breakdowns(scope: Scope, *, other: str = "—") -> tuple[list[BreakdownRow], list[BreakdownRow]]:
    """Ratings and cases by department (the nearest department at or above the handling unit) and ratings
    by hall (the nearest hall, centre, station or service point at or above the window, else the handling
    unit). Each rating lands in one row of each table, so the rows add up to the whole; ratings with no such
    unit above them are in a row named `other`. Rows are ordered by volume."""
    rating_rows = list(
        RatingRollup.objects.filter(rollup_filter(scope))
        .values("unit_id", "window_id")
        .annotate(**RATING_MEASURES)
        .order_by()
    )
    case_rows = list(case_rollups(scope).values("unit_id", "window_id").annotate(**CASE_MEASURES).order_by())
    ids = {r["unit_id"] for r in rating_rows + case_rows} | {
        r["window_id"] for r in rating_rows + case_rows if r["window_id"]
    }
    units = _ancestry(ids)
    departments: dict = {}
    halls: dict = {}
    for r in rating_rows:
        dept = _row(departments, _nearest(r["unit_id"], units, (UnitKind.DEPARTMENT,)), other)
        venue = _nearest(r["window_id"], units, VENUE_KINDS) or _nearest(r["unit_id"], units, VENUE_KINDS)
        hall = _row(halls, venue, other)
        for name in RATING_MEASURES:
            dept.ratings[name] += r[name]
            hall.ratings[name] += r[name]
    for r in case_rows:  # a case sits where its bad review does: the department and the hall of the rating
        dept = _row(departments, _nearest(r["unit_id"], units, (UnitKind.DEPARTMENT,)), other)
        venue = _nearest(r["window_id"], units, VENUE_KINDS) or _nearest(r["unit_id"], units, VENUE_KINDS)
        hall = _row(halls, venue, other)
        for name in CASE_MEASURES:
            dept.cases[name] += r[name]
            hall.cases[name] += r[name]

    def order(row: BreakdownRow):
        return (-row.ratings["ratings"], -row.cases["total"], row.code == "", row.code)

    return sorted(departments.values(), key=order), sorted(halls.values(), key=order)


def trend(scope: Scope) -> tuple[list[TrendPoint], bool]:
    """Ratings, good and bad per day, or per week (from Monday) when the period is longer than two months.
    Every day or week of the period has a point, with zeros where nothing was rated."""
    by_week = (scope.end - scope.start).days + 1 > DAILY_UP_TO
    sums: dict[date, Counter] = defaultdict(Counter)
    rows = (
        rating_rollups(scope)
        .values("day")
        .annotate(
            ratings=RATING_MEASURES["ratings"], good=RATING_MEASURES["good"], bad=RATING_MEASURES["bad"]
        )
        .order_by()
    )
    for r in rows:
        key = r["day"] - timedelta(days=r["day"].weekday()) if by_week else r["day"]
        sums[key].update({"ratings": r["ratings"], "good": r["good"], "bad": r["bad"]})
    first = scope.start - timedelta(days=scope.start.weekday()) if by_week else scope.start
    step = timedelta(days=7 if by_week else 1)
    points, day = [], first
    while day <= scope.end:
        s = sums.get(day, Counter())
        points.append(TrendPoint(start=day, ratings=s["ratings"], good=s["good"], bad=s["bad"]))
        day += step
    return points, by_week


def _moment(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def bad_review_tags(scope: Scope, *, limit: int = TOP_TAGS) -> list[tuple[str, str, int]]:
    """The most frequent reasons of bad reviews (the cases of counted ratings given in the period, as the case
    rollup counts them): code, label and number of cases. Cases are few (one per bad review), so they are
    counted here rather than rolled up."""
    cases = bad_review_cases().filter(
        evaluation__rated_at__gte=_moment(scope.start),
        evaluation__rated_at__lt=_moment(scope.end + timedelta(days=1)),
    )
    if scope.unit is not None:
        cases = cases.filter(unit__path__startswith=scope.unit.path)
    counts = Counter(tag for tags in cases.values_list("reason_tags", flat=True) for tag in tags)
    labels = dict(ReasonTag.objects.filter(code__in=list(counts)).values_list("code", "label"))
    return [(code, labels.get(code, code), n) for code, n in counts.most_common(limit)]


def report_scopes(report: Report) -> tuple[Scope, Scope | None]:
    after = Scope(start=report.period_start, end=report.period_end, unit=report.unit)
    before = None
    if report.is_comparison and report.before_start and report.before_end:
        before = Scope(start=report.before_start, end=report.before_end, unit=report.unit)
    return after, before


def indicator_ids() -> list[str]:
    return list(INDICATORS)
