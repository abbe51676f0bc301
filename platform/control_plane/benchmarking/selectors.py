"""League tables of tenants by peer group (provinces with provinces, cities with cities, …) for every
DOMAIN.md §10 indicator, read only from the national rollups in the public schema: never from a tenant's
schema at request time.

Where the figures come from: control_plane.TenantDayStats (a tenant's day as its feed `day` record carried
it) and TenantMonthStats (the same summed per calendar month). A period is read as its whole months from the
month table plus its partial months' days from the day table, so any period gives exactly the sum of its days.

Fairness (DOMAIN.md §10, small samples must not rank above large ones by luck):
- a tenant whose denominator is below `min_sample` is listed, never ranked;
- "higher is better" indicators rank by the lower end of the 95 % Wilson interval, descending; "lower is
  better" ones (bad_rate, unrated_rate) by its upper end, ascending; ties by the larger sample, then share the
  rank (1, 2, 2, 4);
- `exclude_defaults` computes the good-review rate from the ratings evaluators gave (given_good ÷ given, the
  active good-review rate) instead of all counted ratings (good ÷ ratings).
Rank changes compare with the period of equal length just before: as many whole months before when the
period is whole months, as many days before otherwise.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

from django.db import connection
from django.http import Http404
from django.utils.functional import Promise

from control_plane.benchmarking.models import MEASURES, PeerGroup, PublishedRanking
from control_plane.benchmarking.regions import PROVINCES, province_of
from tenants.evaluations.models import Channel
from tenants.insight.scorecards.fairness import MIN_SAMPLE, RankMovement, wilson_interval
from tenants.insight.selectors import INDICATORS
from tenants.models import Tenant, TenantStatus

TREND_MONTHS = 12
MOVERS = 5  # biggest climbs and biggest falls shown
CHANNEL_MIX_SHOWN = 3  # channels named in a case-mix note
CHANNEL_LABELS = dict(Channel.choices)  # lazy labels: translated when shown

# §10 indicator → (numerator, denominator) columns of the national rollups, exactly as
# tenants.insight.selectors.indicators_from defines them (the case measure `total` is the column `cases`).
INDICATOR_COLUMNS: dict[str, tuple[str, str]] = {
    "good_rate": ("good", "ratings"),
    "active_good_rate": ("given_good", "given"),
    "bad_rate": ("bad", "ratings"),
    "unrated_rate": ("finished_unrated", "finished_closed"),
    "participation_rate": ("rated", "transactions"),
    "reply_rate": ("replied", "cases"),
    "callback_rectification_rate": ("rectified", "cases"),
    "rectification_satisfaction_rate": ("satisfied", "cases"),
    "on_time_rate": ("on_time", "closed"),
    "realname_callback_rectification_rate": ("realname_done", "realname_total"),
    "rectification_rate": ("verified_closed", "verified"),
}
LOWER_IS_BETTER = frozenset({"bad_rate", "unrated_rate"})


# --- periods ----------------------------------------------------------------------------------------------
def month_start(day: date) -> date:
    return day.replace(day=1)


def month_add(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    return month_add(month_start(day), 1) - timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """Local dates, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("end must not be before start")

    @property
    def whole_months(self) -> bool:
        return self.start.day == 1 and self.end == month_end(self.end)

    @property
    def month_count(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of equal length just before: whole months for whole months, else days."""
        if self.whole_months:
            first = month_add(self.start, -self.month_count)
            return Period(first, self.start - timedelta(days=1))
        end = self.start - timedelta(days=1)
        return Period(end - (self.end - self.start), end)

    def split(self) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
        """(first and last whole month inside, or None; the day ranges left over at either edge)."""
        first_full = self.start if self.start.day == 1 else month_add(self.start, 1)
        last_full_end = (
            self.end if self.end == month_end(self.end) else month_start(self.end) - timedelta(days=1)
        )
        if first_full > last_full_end:
            return None, [(self.start, self.end)]
        edges = []
        if self.start < first_full:
            edges.append((self.start, first_full - timedelta(days=1)))
        if last_full_end < self.end:
            edges.append((last_full_end + timedelta(days=1), self.end))
        return (first_full, month_start(last_full_end)), edges


# --- reading the rollups ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PeerTenant:
    id: int
    slug: str
    name: str
    region_code: str
    status: str

    @property
    def province(self) -> str | None:
        return province_of(self.region_code)

    @property
    def region_name(self) -> str:
        prefix = self.province
        return PROVINCES[prefix][0] if prefix else ""


def peer_tenants(group: str, *, include_trial: bool = False) -> list[PeerTenant]:
    """The tenants compared in a peer group: every tenant of that kind but archived ones, and but trial ones
    (self-registered, unverified: never ranked beside real provinces) unless national staff ask for them.
    Published rankings never include them (services.ranking_publish)."""
    excluded = [TenantStatus.ARCHIVED] + ([] if include_trial else [TenantStatus.TRIAL])
    rows = (
        Tenant.objects.filter(kind=group)
        .exclude(schema_name="public")
        .exclude(status__in=excluded)
        .order_by("name", "slug")
        .values_list("id", "slug", "name", "region_code", "status")
    )
    return [PeerTenant(*row) for row in rows]


def _checked(columns: tuple[str, ...]) -> str:
    unknown = set(columns) - set(MEASURES)
    if unknown:  # identifiers go into SQL text: only the known columns
        raise ValueError(f"unknown columns: {sorted(unknown)}")
    return ", ".join(columns)


def _source(columns: tuple[str, ...], ids: list[int], period: Period, *, months: bool) -> tuple[str, list]:
    """SQL selecting rows whose sum per tenant is exactly the period: whole months from the month table, the
    rest from the day table (`months=False`: everything from the day table)."""
    listed = _checked(columns)
    parts: list[str] = []
    params: list = []
    whole, edges = period.split() if months else (None, [(period.start, period.end)])
    if whole is not None:
        parts.append(
            f"SELECT tenant_id, {listed} FROM benchmarking_tenantmonthstats "  # noqa: S608 (checked columns)
            "WHERE tenant_id = ANY(%s) AND month BETWEEN %s AND %s"
        )
        params += [ids, whole[0], whole[1]]
    for low, high in edges:
        parts.append(
            f"SELECT tenant_id, {listed} FROM control_plane_tenantdaystats "  # noqa: S608 (checked columns)
            "WHERE tenant_id = ANY(%s) AND day BETWEEN %s AND %s"
        )
        params += [ids, low, high]
    return " UNION ALL ".join(parts), params


def period_sums(
    ids: list[int], period: Period, columns: tuple[str, ...] = MEASURES, *, months: bool = True
) -> dict[int, dict[str, int]]:
    """{tenant id: {column: sum over the period}} for the tenants that have rows in it."""
    if not ids:
        return {}
    source, params = _source(columns, ids, period, months=months)
    sums = ", ".join(f"sum({c})::bigint" for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tenant_id, {sums} FROM ({source}) s GROUP BY tenant_id", params)  # noqa: S608
        return {row[0]: dict(zip(columns, row[1:], strict=True)) for row in cursor.fetchall()}


def period_channels(ids: list[int], period: Period, *, months: bool = True) -> dict[int, dict[str, int]]:
    """{tenant id: {channel: counted ratings}} over the period (the channel mix), for the channels the product
    knows (tenants.evaluations.models.Channel: what the rollups' channel column holds). Each key is read with
    ->> rather than by unnesting the JSON, which costs a third of the time."""
    if not ids:
        return {}
    whole, edges = period.split() if months else (None, [(period.start, period.end)])
    parts: list[str] = []
    params: list = []
    if whole is not None:
        parts.append(
            "SELECT tenant_id, channels FROM benchmarking_tenantmonthstats "
            "WHERE tenant_id = ANY(%s) AND month BETWEEN %s AND %s"
        )
        params += [ids, whole[0], whole[1]]
    for low, high in edges:
        parts.append(
            "SELECT tenant_id, channels FROM control_plane_tenantdaystats "
            "WHERE tenant_id = ANY(%s) AND day BETWEEN %s AND %s"
        )
        params += [ids, low, high]
    codes = list(CHANNEL_LABELS)
    sums = ", ".join(f"coalesce(sum((channels->>'{code}')::bigint), 0)::bigint" for code in codes)
    found: dict[int, dict[str, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT tenant_id, {sums} FROM ({' UNION ALL '.join(parts)}) s GROUP BY 1",  # noqa: S608 (constants)
            params,
        )
        for tenant_id, *counts in cursor.fetchall():
            found[tenant_id] = {code: n for code, n in zip(codes, counts, strict=True) if n}
    return found


# --- ranking ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class IndicatorSpec:
    id: str
    numerator: str
    denominator: str
    lower_is_better: bool

    @property
    def label(self) -> Promise:
        return INDICATORS[self.id]


def indicator_spec(indicator: str, *, exclude_defaults: bool = False) -> IndicatorSpec:
    if indicator not in INDICATOR_COLUMNS:
        raise ValueError(f"unknown indicator {indicator!r}")
    numerator, denominator = INDICATOR_COLUMNS[indicator]
    if indicator == "good_rate" and exclude_defaults:
        numerator, denominator = INDICATOR_COLUMNS["active_good_rate"]
    return IndicatorSpec(indicator, numerator, denominator, indicator in LOWER_IS_BETTER)


def _bounds(numerator: int, denominator: int) -> tuple[float, float] | None:
    if denominator <= 0 or not 0 <= numerator <= denominator:
        return None
    return wilson_interval(numerator, denominator)


def rank(counts: dict[int, tuple[int, int]], *, min_sample: int, lower_is_better: bool) -> dict[int, int]:
    """Competition ranks (1, 2, 2, 4) of {id: (numerator, denominator)}: Wilson lower bound descending (or
    upper bound ascending when lower is better), then the larger sample; below `min_sample`, or figures that
    cannot be a rate (numerator above denominator), no rank."""
    keyed = []
    for pk, (numerator, denominator) in counts.items():
        bounds = _bounds(numerator, denominator)
        if denominator < min_sample or bounds is None:
            continue
        score = bounds[1] if lower_is_better else -bounds[0]
        keyed.append((score, -denominator, pk))
    keyed.sort()
    ranks: dict[int, int] = {}
    previous, current = None, 0
    for position, (score, size, pk) in enumerate(keyed, start=1):
        if (score, size) != previous:
            current, previous = position, (score, size)
        ranks[pk] = current
    return ranks


def _percent(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 2)


class _RateFigures:
    """value, percent and the 95 % interval of a numerator ÷ denominator (TenantIndicator, HistoryRow)."""

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def percent(self) -> float | None:
        return _percent(self.value)

    @property
    def interval(self) -> tuple[float, float] | None:
        return _bounds(self.numerator, self.denominator)

    @property
    def low_percent(self) -> float | None:
        return None if self.interval is None else _percent(self.interval[0])

    @property
    def high_percent(self) -> float | None:
        return None if self.interval is None else _percent(self.interval[1])


@dataclass
class LeagueRow(RankMovement):
    tenant: PeerTenant
    numerator: int
    denominator: int
    rank: int | None = None
    previous_rank: int | None = None
    sums: dict[str, int] = field(default_factory=dict)
    channels: dict[str, int] = field(default_factory=dict)

    @property
    def ranked(self) -> bool:
        return self.rank is not None

    @property
    def n(self) -> int:
        return self.denominator

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @cached_property
    def interval(self) -> tuple[float, float] | None:
        return _bounds(self.numerator, self.denominator)

    @property
    def inconsistent(self) -> bool:
        """Figures that cannot be a rate (a numerator above its denominator): shown, never ranked."""
        return self.denominator > 0 and not 0 <= self.numerator <= self.denominator

    @property
    def low(self) -> float | None:
        return None if self.interval is None else self.interval[0]

    @property
    def high(self) -> float | None:
        return None if self.interval is None else self.interval[1]

    @property
    def percent(self) -> float | None:
        return _percent(self.value)

    @property
    def low_percent(self) -> float | None:
        return _percent(self.low)

    @property
    def high_percent(self) -> float | None:
        return _percent(self.high)

    # case mix
    @property
    def immediate_share(self) -> float | None:
        transactions = self.sums.get("transactions", 0)
        return self.sums.get("immediate", 0) / transactions if transactions else None

    @property
    def immediate_percent(self) -> float | None:
        return _percent(self.immediate_share)

    @cached_property
    def channel_shares(self) -> list[tuple[str, float]]:
        """(channel, percent of counted ratings), largest first, the first few."""
        total = sum(self.channels.values())
        if not total:
            return []
        top = sorted(self.channels.items(), key=lambda kv: (-kv[1], kv[0]))[:CHANNEL_MIX_SHOWN]
        return [(code, round(100 * n / total, 1)) for code, n in top]

    @property
    def channel_mix(self) -> list[tuple[str, float]]:
        """(channel label, percent of counted ratings), largest first, the first few."""
        return [(CHANNEL_LABELS.get(code, code), share) for code, share in self.channel_shares]

    def channel_mix_text(self, labels: dict[str, str] | None = None) -> str:
        """The channel mix as text; `labels` (channel → label, already translated) saves translating per row."""
        labels = labels if labels is not None else CHANNEL_LABELS
        return " · ".join(f"{labels.get(code, code)} {share:g}%" for code, share in self.channel_shares)


@dataclass
class League:
    group: str
    spec: IndicatorSpec
    period: Period
    previous: Period
    min_sample: int
    exclude_defaults: bool
    ranked: list[LeagueRow]
    unranked: list[LeagueRow]
    include_trial: bool = False

    @property
    def rows(self) -> list[LeagueRow]:
        return self.ranked + self.unranked

    @property
    def group_label(self) -> Promise:
        return PeerGroup(self.group).label

    @property
    def tenant_ids(self) -> list[int]:
        return [r.tenant.id for r in self.rows]


def league(
    *,
    group: str,
    indicator: str,
    period: Period,
    min_sample: int = MIN_SAMPLE,
    exclude_defaults: bool = False,
    months: bool = True,
    include_trial: bool = False,
) -> League:
    """The peer group's league table for one indicator and period, with each tenant's rank change against
    the previous period of equal length and its case mix."""
    spec = indicator_spec(indicator, exclude_defaults=exclude_defaults)
    tenants = peer_tenants(group, include_trial=include_trial)
    ids = [t.id for t in tenants]
    current = period_sums(ids, period, months=months)
    before = period_sums(ids, period.previous(), (spec.numerator, spec.denominator), months=months)
    channels = period_channels(ids, period, months=months)
    empty = dict.fromkeys(MEASURES, 0)

    def counts(sums: dict[int, dict[str, int]]) -> dict[int, tuple[int, int]]:
        return {pk: (s[spec.numerator], s[spec.denominator]) for pk, s in sums.items()}

    ranks = rank(counts(current), min_sample=min_sample, lower_is_better=spec.lower_is_better)
    previous_ranks = rank(counts(before), min_sample=min_sample, lower_is_better=spec.lower_is_better)
    rows = []
    for tenant in tenants:
        sums = current.get(tenant.id, empty)
        rows.append(
            LeagueRow(
                tenant=tenant,
                numerator=sums[spec.numerator],
                denominator=sums[spec.denominator],
                rank=ranks.get(tenant.id),
                previous_rank=previous_ranks.get(tenant.id),
                sums=sums,
                channels=channels.get(tenant.id, {}),
            )
        )
    ranked = sorted((r for r in rows if r.ranked), key=lambda r: (r.rank, -r.denominator, r.tenant.name))
    # unranked: the largest samples first (the nearest to being ranked), then by name
    unranked = sorted((r for r in rows if not r.ranked), key=lambda r: (-r.denominator, r.tenant.name))
    return League(
        group, spec, period, period.previous(), min_sample, exclude_defaults, ranked, unranked, include_trial
    )


# --- around a league: trend, distribution, movers, regions ------------------------------------------------
def _quartiles(values: list[float]) -> tuple[float, float, float] | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, median, q3


@dataclass(frozen=True)
class TrendPoint:
    month: date
    numerator: int  # the peer group's, pooled
    denominator: int
    tenants: int  # with a sample of at least min_sample that month
    q1: float | None
    median: float | None
    q3: float | None

    @property
    def pooled(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def pooled_percent(self) -> float | None:
        return _percent(self.pooled)

    @property
    def median_percent(self) -> float | None:
        return _percent(self.median)

    @property
    def q1_percent(self) -> float | None:
        return _percent(self.q1)

    @property
    def q3_percent(self) -> float | None:
        return _percent(self.q3)


def trend_months(end: date, count: int = TREND_MONTHS) -> list[date]:
    last = month_start(end)
    return [month_add(last, i - count + 1) for i in range(count)]


def monthly_counts(
    ids: list[int], spec: IndicatorSpec, months_shown: list[date], *, months: bool = True
) -> dict[date, dict[int, tuple[int, int]]]:
    """{month: {tenant id: (numerator, denominator)}} over the given calendar months."""
    by_month: dict[date, dict[int, tuple[int, int]]] = {m: {} for m in months_shown}
    if not ids:
        return by_month
    columns = _checked((spec.numerator, spec.denominator))
    if months:
        sql = (
            f"SELECT tenant_id, month, {columns} FROM benchmarking_tenantmonthstats "  # noqa: S608 (checked)
            "WHERE tenant_id = ANY(%s) AND month BETWEEN %s AND %s"
        )
        params = [ids, months_shown[0], months_shown[-1]]
    else:
        sql = (
            f"SELECT tenant_id, date_trunc('month', day)::date, sum({spec.numerator})::bigint, "  # noqa: S608
            f"sum({spec.denominator})::bigint FROM control_plane_tenantdaystats "
            "WHERE tenant_id = ANY(%s) AND day BETWEEN %s AND %s GROUP BY 1, 2"
        )
        params = [ids, months_shown[0], month_end(months_shown[-1])]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for tenant_id, month, numerator, denominator in cursor.fetchall():
            by_month.setdefault(month, {})[tenant_id] = (numerator, denominator)
    return by_month


def league_trend(table: League, *, months: bool = True) -> list[TrendPoint]:
    """The peer group per calendar month over the last twelve (ending with the period's last month): the
    pooled rate and the quartiles of the rates of tenants with at least min_sample that month (figures that
    cannot be a rate left out). Aggregated in PostgreSQL: twelve rows come back, not a row per tenant and month
    (percentile_cont interpolates as statistics.quantiles(method="inclusive") does)."""
    shown = trend_months(table.period.end)
    found: dict[date, tuple] = {}
    if table.tenant_ids:
        numerator, denominator = _checked((table.spec.numerator,)), _checked((table.spec.denominator,))
        if months:
            source = (
                f"SELECT month, {numerator} AS n, {denominator} AS d FROM benchmarking_tenantmonthstats "  # noqa: S608
                "WHERE tenant_id = ANY(%(ids)s) AND month BETWEEN %(first)s AND %(last)s"
            )
        else:
            source = (
                f"SELECT date_trunc('month', day)::date AS month, sum({numerator}) AS n, sum({denominator}) AS d "  # noqa: S608
                "FROM control_plane_tenantdaystats WHERE tenant_id = ANY(%(ids)s) "
                "AND day BETWEEN %(first)s AND %(last_day)s GROUP BY tenant_id, 1"
            )
        valid = "n >= 0 AND n <= d"
        sized = f"{valid} AND d > 0 AND d >= %(min)s"
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT month, coalesce(sum(n) FILTER (WHERE {valid}), 0)::bigint, "  # noqa: S608 (constants)
                f"coalesce(sum(d) FILTER (WHERE {valid}), 0)::bigint, count(*) FILTER (WHERE {sized}), "
                "percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY n::float8 / nullif(d, 0)) "
                f"FILTER (WHERE {sized}) FROM ({source}) s GROUP BY month",
                {
                    "ids": table.tenant_ids,
                    "first": shown[0],
                    "last": shown[-1],
                    "last_day": month_end(shown[-1]),
                    "min": table.min_sample,
                },
            )
            found = {row[0]: row[1:] for row in cursor.fetchall()}
    points = []
    for month in shown:
        numerator_sum, denominator_sum, tenants, quartiles = found.get(month, (0, 0, 0, None))
        q1, median, q3 = quartiles if quartiles else (None, None, None)
        points.append(TrendPoint(month, numerator_sum, denominator_sum, tenants, q1, median, q3))
    return points


@dataclass(frozen=True)
class Distribution:
    bins: list[tuple[float, float, int]]  # (from %, to %, tenants) of the ranked tenants' rates
    minimum: float | None = None  # percents
    q1: float | None = None
    median: float | None = None
    q3: float | None = None
    maximum: float | None = None


_BIN_WIDTHS = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)


def league_distribution(table: League, *, max_bins: int = 20) -> Distribution:
    """How the ranked tenants' rates spread: a histogram with a readable bin width and the five-number summary."""
    values = sorted(100 * r.value for r in table.ranked if r.value is not None)
    if not values:
        return Distribution(bins=[])
    width = next((w for w in _BIN_WIDTHS if (values[-1] - values[0]) / w < max_bins), 10.0)
    low = width * int(values[0] // width)
    count = max(1, int((values[-1] - low) // width) + 1)
    counts = [0] * count
    for v in values:
        counts[min(count - 1, int((v - low) // width))] += 1
    bins = [(round(low + i * width, 2), round(low + (i + 1) * width, 2), n) for i, n in enumerate(counts)]
    q1, median, q3 = _quartiles(values)  # type: ignore[misc]
    return Distribution(
        bins, round(values[0], 2), round(q1, 2), round(median, 2), round(q3, 2), round(values[-1], 2)
    )


def league_movers(table: League, count: int = MOVERS) -> tuple[list[LeagueRow], list[LeagueRow]]:
    """The biggest climbs and the biggest falls against the previous period (ranked in both)."""
    moved = [r for r in table.ranked if r.rank_change]
    up = sorted((r for r in moved if r.rank_change > 0), key=lambda r: (-r.rank_change, r.rank))[:count]
    down = sorted((r for r in moved if r.rank_change < 0), key=lambda r: (r.rank_change, r.rank))[:count]
    return up, down


@dataclass(frozen=True)
class RegionFigure:
    prefix: str
    name: str
    map_name: str
    tenants: int  # with a denominator above 0
    numerator: int
    denominator: int
    min_sample: int = MIN_SAMPLE

    @property
    def enough(self) -> bool:
        """Whether the pooled sample is large enough to be coloured on the map (like a tenant's to be ranked)."""
        return self.denominator >= self.min_sample

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def percent(self) -> float | None:
        return _percent(self.value)


def league_regions(table: League) -> list[RegionFigure]:
    """The peer group's figures pooled by province (the first two digits of the region code); a province
    whose pooled denominator is below the minimum sample is listed but not `enough` for the map."""
    pooled: dict[str, list[int]] = {}
    for r in table.rows:
        prefix = r.tenant.province
        if prefix is None or r.denominator <= 0 or r.inconsistent:
            continue
        figure = pooled.setdefault(prefix, [0, 0, 0])
        figure[0] += 1
        figure[1] += r.numerator
        figure[2] += r.denominator
    return [
        RegionFigure(prefix, PROVINCES[prefix][0], PROVINCES[prefix][1], *figure, min_sample=table.min_sample)
        for prefix, figure in sorted(pooled.items())
    ]


# --- one tenant -------------------------------------------------------------------------------------------
def tenant_for_drilldown(slug: str) -> Tenant:
    tenant = (
        Tenant.objects.exclude(schema_name="public")
        .filter(slug=slug, kind__in=PeerGroup.values)
        .select_related("parent")
        .first()
    )
    if tenant is None:
        raise Http404("no such tenant")
    return tenant


@dataclass(frozen=True)
class TenantIndicator(_RateFigures):
    spec: IndicatorSpec
    numerator: int
    denominator: int
    rank: int | None
    ranked_count: int
    previous_rank: int | None


def tenant_indicators(
    tenant: Tenant,
    *,
    period: Period,
    min_sample: int = MIN_SAMPLE,
    exclude_defaults: bool = False,
    include_trial: bool = False,
) -> list[TenantIndicator]:
    """Every §10 indicator of one tenant over the period, with its rank in its peer group (and before); a
    trial tenant is ranked among the others without the other trial tenants unless `include_trial`."""
    ids = [t.id for t in peer_tenants(tenant.kind, include_trial=include_trial)]
    if tenant.pk not in ids:
        ids.append(tenant.pk)
    current = period_sums(ids, period)
    before = period_sums(ids, period.previous())
    empty = dict.fromkeys(MEASURES, 0)
    found = []
    for indicator in INDICATOR_COLUMNS:
        spec = indicator_spec(indicator, exclude_defaults=exclude_defaults)

        def counts(sums, spec=spec):
            return {pk: (s[spec.numerator], s[spec.denominator]) for pk, s in sums.items()}

        ranks = rank(counts(current), min_sample=min_sample, lower_is_better=spec.lower_is_better)
        previous = rank(counts(before), min_sample=min_sample, lower_is_better=spec.lower_is_better)
        own = current.get(tenant.pk, empty)
        found.append(
            TenantIndicator(
                spec,
                own[spec.numerator],
                own[spec.denominator],
                ranks.get(tenant.pk),
                len(ranks),
                previous.get(tenant.pk),
            )
        )
    return found


@dataclass(frozen=True)
class HistoryRow(_RateFigures):
    """A tenant's row of the monthly league table of its peer group."""

    month: date
    numerator: int
    denominator: int
    rank: int | None
    ranked_count: int
    group_numerator: int
    group_denominator: int

    @property
    def group_percent(self) -> float | None:
        return _percent(self.group_numerator / self.group_denominator if self.group_denominator else None)


def tenant_history(
    tenant: Tenant,
    *,
    indicator: str,
    end: date,
    min_sample: int = MIN_SAMPLE,
    exclude_defaults: bool = False,
    include_trial: bool = False,
) -> list[HistoryRow]:
    """The tenant's league row month by month over the last twelve calendar months (ending with `end`'s)."""
    spec = indicator_spec(indicator, exclude_defaults=exclude_defaults)
    ids = [t.id for t in peer_tenants(tenant.kind, include_trial=include_trial)]
    if tenant.pk not in ids:
        ids.append(tenant.pk)
    shown = trend_months(end)
    counts = monthly_counts(ids, spec, shown)
    rows = []
    for month in shown:
        pairs = counts.get(month, {})
        ranks = rank(pairs, min_sample=min_sample, lower_is_better=spec.lower_is_better)
        numerator, denominator = pairs.get(tenant.pk, (0, 0))
        valid = [(n, d) for n, d in pairs.values() if 0 <= n <= d]
        rows.append(
            HistoryRow(
                month,
                numerator,
                denominator,
                ranks.get(tenant.pk),
                len(ranks),
                sum(n for n, _d in valid),
                sum(d for _n, d in valid),
            )
        )
    return rows


# --- published rankings -----------------------------------------------------------------------------------
def published_rankings() -> list[PublishedRanking]:
    """What the public index lists: live publications, the newest first."""
    return list(PublishedRanking.objects.filter(withdrawn_at__isnull=True).defer("rows"))


def published_ranking(pk: int) -> PublishedRanking:
    found = PublishedRanking.objects.filter(pk=pk, withdrawn_at__isnull=True).first()
    if found is None:
        raise Http404("no such published ranking")
    return found


def publications_all() -> list[PublishedRanking]:
    """For national staff: every publication, withdrawn ones included."""
    return list(PublishedRanking.objects.defer("rows"))
