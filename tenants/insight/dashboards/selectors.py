"""What the staff dashboards show: the overview, breakdowns along one dimension and the coverage of what is
evaluated (评价对象全覆盖). Pure reads of the rollups (tenants.insight.selectors), never of raw evaluations.

Query budget (the overview is measured on a 10M-rating tenant): a tenant-wide overview reads only
RatingDayRollup, RatingHourRollup, TransactionDayRollup and CaseRollup in four aggregate queries: ratings per day × channel
(trend, channel mix and the rating totals of the indicators from one scan), ratings per day × hour (the weekday
× hour heatmap), and the transaction and case sums of the indicators. Both rating queries group by raw columns,
so no date function runs per rollup row; days are put in their week or month, and weekdays found, in Python over
the grouped rows (at most days × channels, a few thousand), never over rollup rows. Empty buckets are zeros.
Breakdowns and coverage group the fine RatingRollup by the dimension asked for.

Unit subtrees: a rating belongs to a unit's subtree when its handling unit or its window lies in it (the same rule
as `Scope.unit`). A window of a hall handling a department's items therefore counts under both branches, so the
rows of a unit breakdown may add up to more than the whole.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Q
from django.db.models.functions import ExtractIsoWeekDay
from django.utils.translation import gettext_lazy as _

from tenants.catalog.models import ItemStatus, ServiceItem
from tenants.evaluations.models import Channel
from tenants.insight.models import RatingRollup, RollupRun
from tenants.insight.selectors import (
    CASE_MEASURES,
    RATING_MEASURES,
    TRANSACTION_MEASURES,
    Indicator,
    Scope,
    case_rollups,
    case_totals,
    indicators_from,
    rating_hours,
    rating_rollups,
    rollup_filter,
    transaction_totals,
)
from tenants.organisation.models import Staff, Unit, UnitKind

GRANULARITIES = {"day": _("Day"), "week": _("Week"), "month": _("Month")}  # weeks are ISO weeks (Monday)

DIMENSIONS = {
    "unit": _("Unit (drill down the tree)"),
    "hall": _("Service hall"),
    "window": _("Window"),
    "staff": _("Staff member"),
    "item": _("Service item"),
    "platform": _("Platform"),
}
# the rollup column naming each dimension's object (unit and hall are subtrees, handled apart)
_FLAT = {
    "window": ("window", "code"),
    "staff": ("staff", "staff_no"),
    "item": ("item", "code"),
    "platform": ("platform", "code"),
}
SERVICE_POINT_KINDS = [k for k in UnitKind.values if k != UnitKind.DEPARTMENT]


# --- the overview ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TrendPoint:
    bucket: date  # the first day of the day, ISO week (Monday) or month
    ratings: int
    good: int
    bad: int
    given: int
    given_good: int

    @property
    def good_rate(self) -> Indicator:
        return Indicator(self.good, self.ratings)

    @property
    def bad_rate(self) -> Indicator:
        return Indicator(self.bad, self.ratings)

    @property
    def active_good_rate(self) -> Indicator:
        return Indicator(self.given_good, self.given)


@dataclass(frozen=True)
class ChannelCount:
    channel: str
    label: str
    ratings: int
    share: Indicator  # of all counted ratings in scope


@dataclass(frozen=True)
class Overview:
    scope: Scope
    granularity: str
    volume: int  # counted ratings
    defaults: int  # of those, default ratings (默认评价), kept apart from the ones people gave
    indicators: dict[str, Indicator]  # every §10 indicator, in INDICATORS order
    trend: list[TrendPoint]
    channels: list[ChannelCount]  # every channel with ratings, the most used first
    # counts by ISO weekday (1 = Monday … 7 = Sunday) × hour 0–23; None when the scope has a unit, item or item
    # type (the hour of a rating is kept only tenant-wide, per channel)
    heatmap: list[list[int]] | None

    @property
    def default_share(self) -> Indicator:
        return Indicator(self.defaults, self.volume)

    @property
    def given(self) -> int:
        return self.volume - self.defaults


def buckets(start: date, end: date, granularity: str) -> list[date]:
    """Every bucket's first day from the one holding `start` to the one holding `end`."""
    if granularity == "day":
        return [start + timedelta(days=i) for i in range((end - start).days + 1)]
    if granularity == "week":
        first = start - timedelta(days=start.weekday())
        return [first + timedelta(weeks=i) for i in range((end - first).days // 7 + 1)]
    if granularity == "month":
        result, d = [], start.replace(day=1)
        while d <= end:
            result.append(d)
            d = (d + timedelta(days=32)).replace(day=1)
        return result
    raise ValueError(f"unknown granularity {granularity!r}")


def _bucket_function(granularity: str):
    """day → the first day of its bucket."""
    if granularity == "week":
        return lambda d: d - timedelta(days=d.weekday())
    if granularity == "month":
        return lambda d: d.replace(day=1)
    return lambda d: d


def overview(scope: Scope, *, granularity: str = "day") -> Overview:
    """Volume, every indicator, the trend per day/week/month, the channel mix and the hour-of-day heatmap.

    Four queries: ratings per bucket × channel (trend, channel mix and the rating totals all come from its few
    hundred or thousand grouped rows), the heatmap (tenant-wide only), transaction and case totals."""
    if granularity not in GRANULARITIES:
        raise ValueError(f"unknown granularity {granularity!r}")
    rows = rating_rollups(scope)
    zero = dict.fromkeys(_RATING_COUNTS, 0)
    bucket_of = _bucket_function(granularity)
    per_bucket: dict[date, dict] = {}
    per_channel: dict[str, int] = {}
    totals = dict(zero)
    # grouped by the raw columns (no date function per rollup row); days go to their buckets here
    for g in rows.values("day", "channel").annotate(**_RATING_COUNTS).order_by():
        sums = per_bucket.setdefault(bucket_of(g["day"]), dict(zero))
        for k in _RATING_COUNTS:
            sums[k] += g[k]
            totals[k] += g[k]
        per_channel[g["channel"]] = per_channel.get(g["channel"], 0) + g["ratings"]
    trend = [
        TrendPoint(bucket=b, **per_bucket.get(b, zero)) for b in buckets(scope.start, scope.end, granularity)
    ]
    figures = indicators_from(
        totals | {"defaults": totals["ratings"] - totals["given"]},
        transaction_totals(scope).aggregate(**TRANSACTION_MEASURES),
        case_totals(scope).aggregate(**CASE_MEASURES),
    )
    volume = totals["ratings"]
    labels = dict(Channel.choices)
    channels = sorted(
        (
            ChannelCount(channel, str(labels.get(channel, channel)), n, Indicator(n, volume))
            for channel, n in per_channel.items()
            if n
        ),
        key=lambda c: (-c.ratings, c.channel),
    )
    heatmap = None
    hours = rating_hours(scope)
    if hours is not None:
        heatmap = [[0] * 24 for _day in range(7)]
        by_weekday = hours.annotate(weekday=ExtractIsoWeekDay("day")).values("weekday", "hour")
        for c in by_weekday.annotate(n=RATING_MEASURES["ratings"]).order_by():  # at most 7 × 24 rows
            heatmap[c["weekday"] - 1][c["hour"]] += c["n"]
    return Overview(
        scope=scope,
        granularity=granularity,
        volume=volume,
        defaults=volume - totals["given"],
        indicators=figures,
        trend=trend,
        channels=channels,
        heatmap=heatmap,
    )


_RATING_COUNTS = {k: RATING_MEASURES[k] for k in ("ratings", "good", "bad", "given", "given_good")}


def figures_as_of() -> datetime | None:
    """When the rollups last took in changes (the newer of the last drain and the last rebuild)."""
    return (
        RollupRun.objects.filter(kind__in=("drain", "rebuild"))
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )


# --- breakdowns ------------------------------------------------------------------------------------------------
CASE_RATES = {
    "reply_rate": ("replied", "total"),
    "callback_rectification_rate": ("rectified", "total"),
    "rectification_satisfaction_rate": ("satisfied", "total"),
    "rectification_rate": ("verified_closed", "verified"),
    "on_time_rate": ("on_time", "closed"),
}


@dataclass(frozen=True)
class Row:
    code: str
    name: str
    ratings: int = 0
    good: int = 0
    bad: int = 0
    given: int = 0
    given_good: int = 0
    cases: dict[str, int] | None = None  # CASE_MEASURES sums, when the case rollup has the dimension
    unit: Unit | None = None  # for unit and hall rows
    has_children: bool = False  # a unit row that can be drilled into

    @property
    def good_rate(self) -> Indicator:
        return Indicator(self.good, self.ratings)

    @property
    def bad_rate(self) -> Indicator:
        return Indicator(self.bad, self.ratings)

    @property
    def active_good_rate(self) -> Indicator:
        return Indicator(self.given_good, self.given)

    @property
    def case_rates(self) -> dict[str, Indicator]:
        c = self.cases or {}
        return {key: Indicator(c.get(n, 0), c.get(d, 0)) for key, (n, d) in CASE_RATES.items()}


def _sorted(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: (-r.ratings, r.code))


def _ids(*paths: str | None) -> set[int]:
    return {int(p) for path in paths if path for p in path.strip("/").split("/") if p}


def _subtree_rows(scope: Scope, targets: list[Unit]) -> list[Row]:
    """Each target unit with everything its subtree got: two GROUP BY queries (ratings and cases by handling
    unit × window), then each group is added to the targets on its units' paths."""
    by_id = {u.pk: u for u in targets}
    ratings: dict[int, dict] = {}
    grouped = (
        RatingRollup.objects.filter(rollup_filter(scope))
        .values("unit__path", "window__path")
        .annotate(**_RATING_COUNTS)
        .order_by()
    )
    for g in grouped:
        for pk in _ids(g["unit__path"], g["window__path"]) & by_id.keys():
            sums = ratings.setdefault(pk, dict.fromkeys(_RATING_COUNTS, 0))
            for k in _RATING_COUNTS:
                sums[k] += g[k]
    cases: dict[int, dict] = {}
    for g in case_rollups(scope).values("unit__path", "window__path").annotate(**CASE_MEASURES).order_by():
        for pk in _ids(g["unit__path"], g["window__path"]) & by_id.keys():
            sums = cases.setdefault(pk, dict.fromkeys(CASE_MEASURES, 0))
            for k in CASE_MEASURES:
                sums[k] += g[k]
    parents = set(Unit.objects.filter(parent__in=targets).values_list("parent_id", flat=True).distinct())
    return [
        Row(
            code=u.code,
            name=u.name,
            unit=u,
            has_children=u.pk in parents,
            cases=cases.get(u.pk, dict.fromkeys(CASE_MEASURES, 0)),
            **ratings.get(u.pk, {}),
        )
        for u in targets
    ]


def breakdown(scope: Scope, *, by: str, parent: Unit | None = None) -> list[Row]:
    """Ratings (and, by unit, hall and item, bad-review case figures) per object of one dimension, the most rated
    first. `by="unit"`: the children of `parent` (the top-level units when None), each with its whole subtree;
    `by="hall"`: every service hall with its windows. Other dimensions list the objects with ratings in scope."""
    if by == "unit":
        children = (
            Unit.objects.filter(parent=parent) if parent is not None else Unit.objects.filter(parent=None)
        )
        return _sorted(_subtree_rows(scope, list(children.order_by("code"))))
    if by == "hall":
        halls = Unit.objects.filter(kind=UnitKind.HALL)
        if scope.unit is not None:
            halls = halls.filter(path__startswith=scope.unit.path)
        return _sorted(_subtree_rows(scope, list(halls.order_by("code"))))
    if by not in _FLAT:
        raise ValueError(f"unknown dimension {by!r}")
    column, code = _FLAT[by]
    grouped = (
        RatingRollup.objects.filter(rollup_filter(scope), **{f"{column}__isnull": False})
        .values(f"{column}_id", f"{column}__{code}", f"{column}__name")
        .annotate(**_RATING_COUNTS)
        .order_by()
    )
    cases = {}
    if by == "item":
        cases = {
            g["item_id"]: {k: g[k] for k in CASE_MEASURES}
            for g in case_rollups(scope)
            .filter(item__isnull=False)
            .values("item_id")
            .annotate(**CASE_MEASURES)
            .order_by()
        }
    return _sorted(
        [
            Row(
                code=g[f"{column}__{code}"] or f"#{g[f'{column}_id']}",  # a reference to a deleted row
                name=g[f"{column}__name"] or "",
                cases=cases.get(g["item_id"], dict.fromkeys(CASE_MEASURES, 0)) if by == "item" else None,
                **{k: g[k] for k in _RATING_COUNTS},
            )
            for g in grouped
        ]
    )


def unit_ancestors(unit: Unit) -> list[Unit]:
    """The unit's ancestors and itself, from the top (a breadcrumb)."""
    ids = _ids(unit.path) | {unit.pk}
    return sorted(Unit.objects.filter(pk__in=ids), key=lambda u: len(u.path))


# --- coverage (评价对象全覆盖) ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Uncovered:
    code: str
    name: str


@dataclass(frozen=True)
class CoverageSet:
    key: str
    label: str
    covered: int
    total: int
    uncovered: list[Uncovered] = field(default_factory=list)  # in code order

    @property
    def share(self) -> Indicator:
        return Indicator(self.covered, self.total)


@dataclass(frozen=True)
class Coverage:
    scope: Scope
    items: CoverageSet  # published service items
    units: CoverageSet  # halls, centres, stations, windows, service points (active)
    staff: CoverageSet  # active staff
    channels: CoverageSet  # every rating channel

    @property
    def sets(self) -> list[CoverageSet]:
        return [self.items, self.units, self.staff, self.channels]


def _coverage_set(key: str, label, catalogue: list[tuple[int | str, str, str]], covered: set) -> CoverageSet:
    """`catalogue`: (id, code, name) of everything that should have ratings, in code order."""
    return CoverageSet(
        key=key,
        label=str(label),
        covered=sum(1 for pk, _c, _n in catalogue if pk in covered),
        total=len(catalogue),
        uncovered=[Uncovered(c, n) for pk, c, n in catalogue if pk not in covered],
    )


def coverage(scope: Scope) -> Coverage:
    """What got no counted rating in the period: published items, service points (halls and windows and the
    like; a unit counts as covered when anything in its subtree was rated), active staff and channels. Filters
    narrow both sides: the unit filter to its subtree (items: those it is responsible for, plus any rated in
    it), the item and item-type filters to those items, the channel filter to that channel."""
    fine = RatingRollup.objects.filter(rollup_filter(scope))
    rated_items = set(fine.values_list("item_id", flat=True).distinct().order_by())
    rated_staff = set(
        fine.filter(staff__isnull=False).values_list("staff_id", flat=True).distinct().order_by()
    )
    rated_units = set()
    for unit_path, window_path in fine.values_list("unit__path", "window__path").distinct().order_by():
        rated_units |= _ids(unit_path, window_path)
    rated_channels = set(rating_rollups(scope).values_list("channel", flat=True).distinct().order_by())

    items = ServiceItem.objects.filter(status=ItemStatus.PUBLISHED)
    units = Unit.objects.filter(active=True, kind__in=SERVICE_POINT_KINDS)
    staff = Staff.objects.filter(active=True)
    channels = [(c, c, str(label)) for c, label in Channel.choices]
    if scope.unit is not None:
        items = items.filter(Q(responsible_unit__path__startswith=scope.unit.path) | Q(pk__in=rated_items))
        units = units.filter(path__startswith=scope.unit.path)
        staff = staff.filter(unit__path__startswith=scope.unit.path)
    if scope.item is not None:
        items = items.filter(pk=scope.item.pk)
    if scope.item_type:
        items = items.filter(item_type=scope.item_type)
    if scope.channel:
        channels = [c for c in channels if c[0] == scope.channel]

    def rows(qs, code="code"):
        return list(qs.order_by(code).values_list("pk", code, "name"))

    return Coverage(
        scope=scope,
        items=_coverage_set("items", _("Service items"), rows(items), rated_items),
        units=_coverage_set("units", _("Halls, windows and service points"), rows(units), rated_units),
        staff=_coverage_set("staff", _("Staff"), rows(staff, "staff_no"), rated_staff),
        channels=_coverage_set("channels", _("Channels"), channels, rated_channels),
    )
