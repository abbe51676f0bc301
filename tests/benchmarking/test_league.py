"""League tables from the national rollups, against hand-computed figures: Wilson bounds, higher- and
lower-is-better ordering, minimum samples, default ratings left out, peer groups, rank changes, periods."""

import math
import random
from datetime import date, timedelta

import pytest
from control_plane.benchmarking import selectors
from control_plane.benchmarking.models import MEASURES, TenantMonthStats
from control_plane.benchmarking.selectors import INDICATOR_COLUMNS, Period, league, period_sums
from control_plane.benchmarking.services import month_stats_rebuild
from control_plane.models import TenantDayStats
from django.db.models import Sum

from tenants.insight.selectors import INDICATORS, indicators_from
from tests.benchmarking.conftest import FEBRUARY, MARCH, make_tenant, put_day

Z = 1.959963984540054


def wilson(successes: int, n: int) -> tuple[float, float]:
    """The textbook closed form, written out independently: (2np + z² ∓ z√(z² + 4np(1−p))) / 2(n + z²)."""
    p = successes / n
    root = Z * math.sqrt(Z * Z + 4 * n * p * (1 - p))
    return (2 * n * p + Z * Z - root) / (2 * (n + Z * Z)), (2 * n * p + Z * Z + root) / (2 * (n + Z * Z))


def march(**kwargs):
    return league(group="county", period=Period(*MARCH), **{"indicator": "good_rate", **kwargs})


def by_slug(table):
    return {r.tenant.slug: r for r in table.rows}


def test_good_rate_ranks_by_the_wilson_lower_bound_with_exact_intervals(counties):
    table = march()
    assert [(r.tenant.slug, r.rank) for r in table.ranked] == [("cntb", 1), ("cnta", 2), ("cnte", 3)]
    rows = by_slug(table)
    # B 190/200 = 95 % beats A 95/100 = 95 %: same rate, the larger sample is surer
    assert (rows["cntb"].numerator, rows["cntb"].denominator) == (190, 200)
    assert rows["cntb"].low == pytest.approx(0.910421851861224, abs=1e-12)
    assert rows["cntb"].high == pytest.approx(0.972617354399236, abs=1e-12)
    assert rows["cnta"].low == pytest.approx(0.8882495307680808, abs=1e-12)
    assert rows["cnta"].high == pytest.approx(0.978456320845632, abs=1e-12)
    for row in table.ranked:
        assert (row.low, row.high) == pytest.approx(wilson(row.numerator, row.denominator), abs=1e-12)
    assert (
        rows["cntb"].percent == 95.0
        and rows["cntb"].low_percent == 91.04
        and rows["cntb"].high_percent == 97.26
    )


def test_small_samples_and_empty_tenants_are_listed_not_ranked(counties):
    table = march()
    unranked = by_slug(table)
    # C has a perfect 29/29, but below 30 it may not top the table by luck
    assert [r.tenant.slug for r in table.unranked] == ["cntc", "cntd"]
    assert (
        unranked["cntc"].rank is None
        and unranked["cntc"].denominator == 29
        and unranked["cntc"].percent == 100.0
    )
    assert (
        unranked["cntd"].denominator == 0
        and unranked["cntd"].value is None
        and unranked["cntd"].interval is None
    )
    # with a minimum of 29, C ranks: its lower bound 0.883 is below B's and A's, above E's
    lowered = march(min_sample=29)
    assert [r.tenant.slug for r in lowered.ranked] == ["cntb", "cnta", "cntc", "cnte"]


def test_lower_is_better_ranks_by_the_upper_bound_ascending(counties):
    table = march(indicator="bad_rate")
    assert table.spec.lower_is_better
    # B 10/200 (upper 0.0896) before A 5/100 (upper 0.1118) before E 5/50 (upper 0.2136)
    assert [(r.tenant.slug, r.rank) for r in table.ranked] == [("cntb", 1), ("cnta", 2), ("cnte", 3)]
    rows = by_slug(table)
    assert rows["cntb"].high == pytest.approx(0.08957814813877599, abs=1e-12)
    assert rows["cnte"].high == pytest.approx(wilson(5, 50)[1], abs=1e-12)
    # C: 0 bad of 29, the best rate of all, but too small a sample
    assert by_slug(table)["cntc"].rank is None and by_slug(table)["cntc"].numerator == 0


def test_excluding_default_ratings_ranks_by_the_ratings_evaluators_gave(counties):
    table = march(exclude_defaults=True)
    assert (table.spec.numerator, table.spec.denominator) == ("given_good", "given")
    rows = by_slug(table)
    assert (rows["cnta"].numerator, rows["cnta"].denominator) == (55, 60)
    assert (rows["cntb"].numerator, rows["cntb"].denominator) == (40, 50)
    # A 55/60 (low 0.819) > E 45/50 (0.786) > B 40/50 (0.670): B's 95 % was mostly default ratings
    assert [r.tenant.slug for r in table.ranked] == ["cnta", "cnte", "cntb"]
    # only the good-review rate changes
    assert march(indicator="bad_rate", exclude_defaults=True).spec.denominator == "ratings"


def test_peer_groups_are_separate_and_archived_tenants_left_out(counties):
    slugs = {r.tenant.slug for r in march().rows}
    assert slugs == {"cnta", "cntb", "cntc", "cntd", "cnte"}  # no city, no archived county
    cities = league(group="city", indicator="good_rate", period=Period(*MARCH))
    assert [r.tenant.slug for r in cities.ranked] == ["cityx"]
    assert "alpha" not in {r.tenant.slug for r in cities.rows}  # a province


def test_rank_changes_against_the_previous_month(counties):
    table = march()
    assert table.previous == Period(*FEBRUARY)
    rows = by_slug(table)
    # February: A 99/100 first, E 49/50 second, B 150/200 third
    assert (rows["cnta"].previous_rank, rows["cnte"].previous_rank, rows["cntb"].previous_rank) == (1, 2, 3)
    assert (rows["cntb"].rank_change, rows["cnta"].rank_change, rows["cnte"].rank_change) == (2, -1, -1)
    up, down = selectors.league_movers(table)
    assert [r.tenant.slug for r in up] == ["cntb"] and [r.tenant.slug for r in down] == ["cnta", "cnte"]


def test_ties_share_a_rank_and_the_next_rank_skips(tenant_pair, db):
    tenants = [make_tenant(f"agt{i}", "agency", "110000") for i in range(3)]
    for tenant in tenants[:2]:
        put_day(tenant, date(2026, 3, 5), ratings=40, good=36)
    put_day(tenants[2], date(2026, 3, 5), ratings=40, good=30)
    table = league(group="agency", indicator="good_rate", period=Period(*MARCH))
    assert [r.rank for r in table.ranked] == [1, 1, 3]


def test_inconsistent_figures_are_never_ranked(tenant_pair, db):
    tenant = make_tenant("agbad", "agency", "110000")
    put_day(tenant, date(2026, 3, 5), cases=40, replied=41)  # more replies than bad reviews
    table = league(group="agency", indicator="reply_rate", period=Period(*MARCH), min_sample=1)
    (row,) = table.unranked
    assert row.inconsistent and row.rank is None and row.interval is None


def test_indicator_columns_match_the_tenants_definitions():
    """Numerator and denominator of each indicator are the ones tenants.insight.selectors uses."""
    rng = random.Random(6)
    r = {k: rng.randint(1, 10_000) for k in ("ratings", "good", "bad", "given", "given_good", "defaults")}
    t = {k: rng.randint(1, 10_000) for k in ("transactions", "rated", "finished_closed", "finished_unrated")}
    c = {k: rng.randint(1, 10_000) for k in (
        "total", "replied", "rectified", "satisfied", "verified", "closed", "verified_closed", "on_time",
        "realname_total", "realname_done")}  # fmt: skip
    columns = {**r, **t, **{("cases" if k == "total" else k): v for k, v in c.items()}}
    expected = indicators_from(r, t, c)
    assert list(INDICATOR_COLUMNS) == list(INDICATORS)
    for indicator, (numerator, denominator) in INDICATOR_COLUMNS.items():
        assert (columns[numerator], columns[denominator]) == (
            expected[indicator].numerator,
            expected[indicator].denominator,
        ), indicator


def test_any_period_sums_exactly_its_days_from_months_and_edge_days(tenant_pair, db):
    tenant = make_tenant("agsum", "agency", "320000")
    rng = random.Random(7)
    day = date(2025, 11, 20)
    while day <= date(2026, 4, 12):
        put_day(tenant, day, ratings=rng.randint(0, 50), good=rng.randint(0, 20), immediate=rng.randint(0, 9),
                channels={"device": rng.randint(0, 5), "web": rng.randint(0, 5)})  # fmt: skip
        day += timedelta(days=1)
    periods = [
        Period(date(2025, 12, 1), date(2026, 2, 28)),  # whole months only
        Period(date(2025, 11, 25), date(2026, 4, 3)),  # edges at both ends
        Period(date(2026, 1, 10), date(2026, 1, 20)),  # inside one month
        Period(date(2026, 2, 15), date(2026, 3, 31)),  # an edge, then a whole month
    ]
    for period in periods:
        expected = TenantDayStats.objects.filter(
            tenant=tenant, day__range=(period.start, period.end)
        ).aggregate(**{c: Sum(c) for c in MEASURES})
        assert period_sums([tenant.pk], period)[tenant.pk] == expected, period
        assert period_sums([tenant.pk], period, months=False)[tenant.pk] == expected, period
        channels = selectors.period_channels([tenant.pk], period)[tenant.pk]
        days = TenantDayStats.objects.filter(tenant=tenant, day__range=(period.start, period.end))
        assert channels == {
            "device": sum(d.channels["device"] for d in days),
            "web": sum(d.channels["web"] for d in days),
        }


def test_month_rows_follow_their_days_and_rebuild_to_the_same(tenant_pair, db):
    tenant = make_tenant("agmon", "agency", "320000")
    put_day(tenant, date(2026, 3, 1), ratings=10, good=9, channels={"qr": 4, "device": 6})
    put_day(tenant, date(2026, 3, 31), ratings=5, good=5, channels={"qr": 5})
    put_day(
        tenant, date(2026, 3, 1), revision=2, ratings=12, good=10, channels={"qr": 2, "device": 10}
    )  # revised
    month = TenantMonthStats.objects.get(tenant=tenant, month=date(2026, 3, 1))
    assert (month.days, month.ratings, month.good, month.channels) == (2, 17, 15, {"qr": 7, "device": 10})
    before = {
        m.month: (m.ratings, m.good, m.channels) for m in TenantMonthStats.objects.filter(tenant=tenant)
    }
    month_stats_rebuild()
    after = {m.month: (m.ratings, m.good, m.channels) for m in TenantMonthStats.objects.filter(tenant=tenant)}
    assert after == before


def test_previous_period_of_equal_length():
    assert Period(date(2026, 1, 1), date(2026, 12, 31)).previous() == Period(
        date(2025, 1, 1), date(2025, 12, 31)
    )
    assert Period(date(2026, 3, 1), date(2026, 5, 31)).previous() == Period(
        date(2025, 12, 1), date(2026, 2, 28)
    )
    assert Period(date(2026, 3, 10), date(2026, 3, 19)).previous() == Period(
        date(2026, 2, 28), date(2026, 3, 9)
    )


def test_case_mix_immediate_share_and_channel_mix(tenant_pair, db):
    tenant = make_tenant("agmix", "agency", "320000")
    put_day(tenant, date(2026, 3, 2), ratings=40, good=40, transactions=50, immediate=20,
            channels={"device": 30, "web": 8, "qr": 2})  # fmt: skip
    (row,) = league(group="agency", indicator="good_rate", period=Period(*MARCH)).rows
    assert row.immediate_percent == 40.0
    assert [(str(label), share) for label, share in row.channel_mix] == [
        ("Window rating device", 75.0),
        ("Web", 20.0),
        ("QR code", 5.0),
    ]


def test_trend_distribution_and_regions(counties):
    table = march()
    trend = selectors.league_trend(table)
    assert [p.month for p in trend][-2:] == [date(2026, 2, 1), date(2026, 3, 1)] and len(trend) == 12
    last = trend[-1]
    # pooled over every county with figures: (95 + 190 + 45 + 29) / (100 + 200 + 50 + 29)
    assert (last.numerator, last.denominator) == (359, 379)
    assert last.tenants == 3 and last.median == pytest.approx(0.95)  # C below 30 is left out of the quartiles
    assert trend[-2].numerator == 99 + 150 + 49
    distribution = selectors.league_distribution(table)
    assert sum(n for _low, _high, n in distribution.bins) == 3
    assert (distribution.minimum, distribution.median, distribution.maximum) == (90.0, 95.0, 95.0)
    regions = {f.prefix: f for f in selectors.league_regions(table)}
    assert (regions["13"].tenants, regions["13"].numerator, regions["13"].denominator) == (2, 285, 300)
    assert (regions["14"].tenants, regions["14"].denominator) == (1, 29)  # D has nothing
    assert regions["13"].enough and not regions["14"].enough  # 29 < 30: grey on the map
    assert regions["44"].name == "广东省" and regions["44"].map_name == "广东"


def test_a_tenants_history_and_indicators(counties):
    tenant = counties["A"]
    history = selectors.tenant_history(tenant, indicator="good_rate", end=date(2026, 3, 31))
    assert [(h.month, h.rank, h.ranked_count, h.numerator, h.denominator) for h in history[-2:]] == [
        (date(2026, 2, 1), 1, 3, 99, 100),
        (date(2026, 3, 1), 2, 3, 95, 100),
    ]
    figures = {f.spec.id: f for f in selectors.tenant_indicators(tenant, period=Period(*MARCH))}
    assert (
        figures["good_rate"].rank,
        figures["good_rate"].ranked_count,
        figures["good_rate"].previous_rank,
    ) == (2, 3, 1)
    assert figures["bad_rate"].rank == 2 and figures["reply_rate"].rank is None


def test_the_league_reads_four_queries(counties, django_assert_num_queries):
    with django_assert_num_queries(4):  # peers, the period, the previous period, the channels
        march()


def test_trend_quartiles_from_postgresql_match_python(tenant_pair, db):
    import statistics

    rng = random.Random(11)
    pairs = []
    for i in range(9):
        tenant = make_tenant(f"agq{i}", "agency", "330000")
        ratings = rng.randint(30, 400)
        good = rng.randint(0, ratings)
        put_day(tenant, date(2026, 3, 9), ratings=ratings, good=good)
        pairs.append((good, ratings))
    small = make_tenant("agqs", "agency", "330000")
    put_day(small, date(2026, 3, 9), ratings=5, good=0)  # below the minimum: pooled, not in the quartiles
    point = selectors.league_trend(league(group="agency", indicator="good_rate", period=Period(*MARCH)))[-1]
    q1, median, q3 = statistics.quantiles([g / n for g, n in pairs], n=4, method="inclusive")
    assert (point.q1, point.median, point.q3) == pytest.approx((q1, median, q3), abs=1e-12)
    assert point.tenants == 9
    assert (point.numerator, point.denominator) == (sum(g for g, _ in pairs), sum(n for _, n in pairs) + 5)


def test_the_rebuild_command(tenant_pair, db):
    from io import StringIO

    from django.core.management import call_command

    tenant = make_tenant("agcmd", "agency", "330000")
    put_day(tenant, date(2026, 3, 9), ratings=7, good=7)
    TenantMonthStats.objects.filter(tenant=tenant).delete()
    out = StringIO()
    call_command("benchmarking_rebuild", stdout=out)
    assert "month rows rebuilt" in out.getvalue()
    assert TenantMonthStats.objects.get(tenant=tenant).ratings == 7
