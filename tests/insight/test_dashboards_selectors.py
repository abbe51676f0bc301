"""The dashboards' selectors against a hand-computed fixture: ratings made through the real intake at different
levels, windows, staff, channels, days and hours, then drained into the rollups.

The fixture (alpha; D01 → H01 → W01 from `world`, plus W02 under H01, H02 → W03 and W04 under D01, and D02):
  A  3 × level 1  device  W01 S001 ITEM-001  Mon 2026-03-02 09:01, 09:31, 10:01 (the last made a default rating)
  B  1 × level 5  device  W01 S001 ITEM-001  Mon 2026-03-02 14:01                 (opens a case at H01)
  C  2 × level 2  qr      W02 S002 ITEM-002  Tue 2026-03-10 11:01, 11:31
  D  1 × level 4  web     —   —    ITEM-002  Fri 2026-03-20 20:01, handled by D01 on platform WEB (a case at D01)
  E  1 × level 3  device  W03 S001 ITEM-001  Wed 2026-04-01 08:01
Never rated: W04, S003, ITEM-003, the platform APP, department D02.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.evaluations.models import Evaluation, Transaction
from tenants.evaluations.services import EvaluationInput, evaluations_submit
from tenants.insight.dashboards.selectors import breakdown, buckets, coverage, figures_as_of, overview
from tenants.insight.selectors import Scope, indicators
from tenants.insight.services import rollups_drain
from tenants.organisation.models import Unit, UnitKind
from tests.factories import PlatformFactory, ServiceItemFactory, StaffFactory, UnitFactory

SYSTEM = Actor.system("tests")
SPRING = Scope(start=date(2026, 3, 1), end=date(2026, 4, 30))
MARCH = Scope(start=date(2026, 3, 1), end=date(2026, 3, 31))


def local(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


def rate(world, count, *, at, level, prefix, channel="device", unit=None, window=None, staff=None, item=None,
         platform=None, step=timedelta(minutes=30)) -> list[int]:  # fmt: skip
    """`count` finished transactions rated through the real intake at `at`, `at + step`, … (one minute after
    each finishes)."""
    with schema_context(world.info.schema):
        Transaction.objects.bulk_create(
            [
                Transaction(
                    number=f"{prefix}{i:03d}",
                    item=item or world.item,
                    unit=unit or world.hall,
                    window=window,
                    staff=staff,
                    platform=platform,
                    channel=channel,
                    status="finished",
                    finished_at=at + step * i - timedelta(minutes=1),
                )
                for i in range(count)
            ]
        )
        outcomes = evaluations_submit(
            actor=SYSTEM,
            items=[
                EvaluationInput(
                    transaction=f"{prefix}{i:03d}",
                    level=level,
                    channel=channel,
                    rated_at=at + step * i,
                    reason_tags=["attitude"] if level >= 4 else [],
                    evaluator={"name": f"李{i}明", "phone": f"1380013{i:04d}"},
                )
                for i in range(count)
            ],
            now=at + step * count + timedelta(hours=1),
        )
    assert all(o.status == "created" for o in outcomes), [o.errors for o in outcomes]
    return [o.evaluation.pk for o in outcomes]


@dataclass
class Fixture:
    world: object
    units: dict
    staff: dict
    items: dict


def build(world) -> Fixture:
    with schema_context(world.info.schema):
        w02 = UnitFactory(code="W02", name="A02 窗口", kind=UnitKind.WINDOW, parent=world.hall)
        h02 = UnitFactory(code="H02", name="分中心大厅", kind=UnitKind.HALL, parent=world.department)
        w03 = UnitFactory(code="W03", name="B01 窗口", kind=UnitKind.WINDOW, parent=h02)
        w04 = UnitFactory(code="W04", name="B02 窗口", kind=UnitKind.WINDOW, parent=h02)
        d02 = UnitFactory(code="D02", name="人力资源和社会保障局", kind=UnitKind.DEPARTMENT)
        s002 = StaffFactory(staff_no="S002", name="王芳", unit=world.hall)
        s003 = StaffFactory(staff_no="S003", name="赵强", unit=h02)
        item2 = ServiceItemFactory(code="ITEM-002", name="社会保障卡申领", responsible_unit=world.department)
        item3 = ServiceItemFactory(code="ITEM-003", name="就业登记", responsible_unit=d02)
        PlatformFactory(code="APP", name="掌上办", kind="app")
    w = world
    a = rate(w, 3, at=local(2026, 3, 2, 9, 1), level=1, prefix="A", window=w.window, staff=w.staff)
    rate(w, 1, at=local(2026, 3, 2, 14, 1), level=5, prefix="B", window=w.window, staff=w.staff)
    rate(
        w,
        2,
        at=local(2026, 3, 10, 11, 1),
        level=2,
        prefix="C",
        channel="qr",
        window=w02,
        staff=s002,
        item=item2,
    )
    rate(w, 1, at=local(2026, 3, 20, 20, 1), level=4, prefix="D", channel="web", unit=w.department, item=item2,
         platform=w.platform)  # fmt: skip
    rate(w, 1, at=local(2026, 4, 1, 8, 1), level=3, prefix="E", unit=h02, window=w03, staff=w.staff)
    with schema_context(w.info.schema):
        Evaluation.objects.filter(pk=a[2]).update(is_default=True)  # a default rating (默认评价)
        rollups_drain()
    return Fixture(
        world=w,
        units={"W02": w02, "H02": h02, "W03": w03, "W04": w04, "D02": d02},
        staff={"S002": s002, "S003": s003},
        items={"ITEM-002": item2, "ITEM-003": item3},
    )


@pytest.fixture
def fx(world) -> Fixture:
    return build(world)


def in_tenant(fx, fn, *args, **kwargs):
    with schema_context(fx.world.info.schema):
        return fn(*args, **kwargs)


# --- overview ------------------------------------------------------------------------------------------------
def test_overview_volume_indicators_and_defaults(fx):
    o = in_tenant(fx, overview, SPRING)
    assert (o.volume, o.defaults, o.given) == (8, 1, 7)
    assert (o.default_share.numerator, o.default_share.denominator) == (1, 8)
    f = {k: (v.numerator, v.denominator) for k, v in o.indicators.items()}
    assert f["good_rate"] == (6, 8) and f["bad_rate"] == (2, 8)
    assert f["active_good_rate"] == (5, 7)  # the default rating is kept apart
    # the transaction with only a default rating was not rated by anyone
    assert f["participation_rate"] == (7, 8)
    assert f["reply_rate"] == (0, 2)  # two bad reviews, two cases, none answered yet
    assert list(o.indicators) == [
        "good_rate", "active_good_rate", "bad_rate", "unrated_rate", "participation_rate", "reply_rate",
        "callback_rectification_rate", "rectification_satisfaction_rate", "on_time_rate",
        "realname_callback_rectification_rate", "rectification_rate",
    ]  # fmt: skip
    assert o.indicators["good_rate"].percent == 75.0


def test_overview_indicators_are_the_cores(fx):
    for scope in (
        SPRING,
        MARCH,
        Scope(start=SPRING.start, end=SPRING.end, unit=fx.world.hall, channel="device"),
    ):
        assert in_tenant(fx, overview, scope).indicators == in_tenant(fx, indicators, scope)


def test_overview_daily_trend_fills_every_day(fx):
    o = in_tenant(fx, overview, SPRING, granularity="day")
    assert (
        len(o.trend) == 61
        and o.trend[0].bucket == date(2026, 3, 1)
        and o.trend[-1].bucket == date(2026, 4, 30)
    )
    by_day = {p.bucket: p for p in o.trend}
    mon = by_day[date(2026, 3, 2)]
    assert (mon.ratings, mon.good, mon.bad, mon.given, mon.given_good) == (4, 3, 1, 3, 2)
    assert mon.good_rate.percent == 75.0 and mon.bad_rate.percent == 25.0
    assert round(mon.active_good_rate.value, 4) == round(2 / 3, 4)
    assert by_day[date(2026, 3, 3)].ratings == 0 and by_day[date(2026, 3, 3)].good_rate.value is None
    assert sum(p.ratings for p in o.trend) == 8


def test_overview_weekly_and_monthly_trend(fx):
    weeks = in_tenant(fx, overview, SPRING, granularity="week").trend
    assert [p.bucket for p in weeks][:3] == [date(2026, 2, 23), date(2026, 3, 2), date(2026, 3, 9)]
    assert len(weeks) == 10 and weeks[-1].bucket == date(2026, 4, 27)
    counts = {p.bucket: p.ratings for p in weeks if p.ratings}
    assert counts == {date(2026, 3, 2): 4, date(2026, 3, 9): 2, date(2026, 3, 16): 1, date(2026, 3, 30): 1}
    months = in_tenant(fx, overview, SPRING, granularity="month").trend
    assert [(p.bucket, p.ratings, p.good, p.bad) for p in months] == [
        (date(2026, 3, 1), 7, 5, 2),
        (date(2026, 4, 1), 1, 1, 0),
    ]


def test_overview_channel_mix_and_heatmap(fx):
    o = in_tenant(fx, overview, SPRING)
    assert [(c.channel, c.ratings) for c in o.channels] == [("device", 5), ("qr", 2), ("web", 1)]
    assert o.channels[0].share.percent == 62.5
    # weekday 1 = Monday … 7 = Sunday (heatmap index 0 … 6) × hour
    assert o.heatmap[0][9] == 2 and o.heatmap[0][10] == 1 and o.heatmap[0][14] == 1
    assert o.heatmap[1][11] == 2 and o.heatmap[4][20] == 1 and o.heatmap[2][8] == 1
    assert sum(map(sum, o.heatmap)) == 8


def test_overview_with_a_channel_filter_reads_the_hour_table(fx, django_assert_num_queries):
    qr = Scope(start=SPRING.start, end=SPRING.end, channel="qr")
    with schema_context(fx.world.info.schema):
        Unit.objects.exists()  # the connection is in the tenant's schema before counting
        with django_assert_num_queries(4) as captured:
            o = overview(qr)
    assert all("insight_ratingrollup" not in q["sql"] for q in captured.captured_queries)
    assert o.volume == 2 and o.heatmap[1][11] == 2 and [c.channel for c in o.channels] == ["qr"]


def test_overview_filtered_by_unit_has_no_heatmap_and_its_subtree_figures(fx):
    o = in_tenant(fx, overview, Scope(start=SPRING.start, end=SPRING.end, unit=fx.world.hall))
    assert o.volume == 6 and o.heatmap is None  # A, B, C: the hour is kept tenant-wide only
    assert (o.indicators["good_rate"].numerator, o.indicators["bad_rate"].numerator) == (5, 1)


def test_overview_is_a_handful_of_queries_over_the_small_tables(fx, django_assert_num_queries):
    with schema_context(fx.world.info.schema):
        Unit.objects.exists()
        with django_assert_num_queries(4) as captured:  # bucket × channel, heatmap, transactions, cases
            overview(SPRING, granularity="week")
    tables = " ".join(q["sql"] for q in captured.captured_queries)
    assert "insight_ratingrollup" not in tables and "evaluations_" not in tables


def test_buckets():
    assert buckets(date(2026, 1, 31), date(2026, 3, 1), "month") == [date(2026, 1, 1), date(2026, 2, 1),
                                                                      date(2026, 3, 1)]  # fmt: skip
    assert buckets(date(2026, 3, 2), date(2026, 3, 8), "week") == [date(2026, 3, 2)]
    with pytest.raises(ValueError, match="granularity"):
        buckets(date(2026, 3, 2), date(2026, 3, 8), "year")


def test_figures_as_of_is_the_last_drain(fx):
    assert in_tenant(fx, figures_as_of) is not None


# --- breakdowns ----------------------------------------------------------------------------------------------
def rows_of(fx, scope=SPRING, **kwargs) -> dict:
    return {r.code: r for r in in_tenant(fx, breakdown, scope, **kwargs)}


def test_breakdown_by_unit_sums_whole_subtrees(fx):
    top = rows_of(fx, by="unit")
    assert (top["D01"].ratings, top["D01"].good, top["D01"].bad) == (8, 6, 2)
    assert top["D02"].ratings == 0 and not top["D02"].has_children and top["D01"].has_children
    assert top["D01"].cases["total"] == 2
    assert in_tenant(fx, breakdown, SPRING, by="unit")[0].code == "D01"  # most rated first
    halls = rows_of(fx, by="unit", parent=fx.world.department)
    assert set(halls) == {"H01", "H02"}  # D (handled by D01 itself, no window) is in no child
    assert (halls["H01"].ratings, halls["H01"].good, halls["H01"].bad, halls["H01"].given) == (6, 5, 1, 5)
    assert halls["H01"].cases["total"] == 1 and halls["H01"].case_rates["reply_rate"].denominator == 1
    assert halls["H02"].ratings == 1
    windows = rows_of(fx, by="unit", parent=fx.world.hall)
    assert {c: r.ratings for c, r in windows.items()} == {"W01": 4, "W02": 2}
    assert windows["W01"].good_rate.percent == 75.0 and not windows["W01"].has_children


def test_breakdown_by_hall_window_staff_item_platform(fx):
    assert {c: r.ratings for c, r in rows_of(fx, by="hall").items()} == {"H01": 6, "H02": 1}
    windows = rows_of(fx, by="window")
    assert {c: r.ratings for c, r in windows.items()} == {"W01": 4, "W02": 2, "W03": 1}
    assert windows["W01"].cases is None  # the case rollup has no window
    assert (windows["W01"].given, windows["W01"].given_good) == (3, 2)
    assert round(windows["W01"].active_good_rate.value, 4) == round(2 / 3, 4)
    staff = rows_of(fx, by="staff")
    assert {c: (r.name, r.ratings, r.bad) for c, r in staff.items()} == {"S001": ("张敏", 5, 1),
                                                                          "S002": ("王芳", 2, 0)}  # fmt: skip
    items = rows_of(fx, by="item")
    assert {c: (r.ratings, r.bad, r.cases["total"]) for c, r in items.items()} == {
        "ITEM-001": (5, 1, 1),
        "ITEM-002": (3, 1, 1),
    }
    assert items["ITEM-002"].bad_rate.percent == pytest.approx(33.33)
    assert {c: r.ratings for c, r in rows_of(fx, by="platform").items()} == {"WEB": 1}


def test_breakdown_respects_the_period_and_filters(fx):
    assert {c: r.ratings for c, r in rows_of(fx, MARCH, by="window").items()} == {"W01": 4, "W02": 2}
    qr = Scope(start=SPRING.start, end=SPRING.end, channel="qr")
    assert {c: r.ratings for c, r in rows_of(fx, qr, by="staff").items()} == {"S002": 2}
    with pytest.raises(ValueError, match="dimension"):
        in_tenant(fx, breakdown, SPRING, by="colour")


# --- coverage ------------------------------------------------------------------------------------------------
def test_coverage_lists_what_got_no_rating(fx):
    c = in_tenant(fx, coverage, SPRING)
    assert (c.items.covered, c.items.total) == (2, 3)
    assert [(u.code, u.name) for u in c.items.uncovered] == [("ITEM-003", "就业登记")]
    assert (c.units.covered, c.units.total) == (5, 6)  # H01 W01 W02 H02 W03 rated; departments not counted
    assert [u.code for u in c.units.uncovered] == ["W04"]
    assert (c.staff.covered, c.staff.total) == (2, 3) and [u.code for u in c.staff.uncovered] == ["S003"]
    assert c.channels.covered == 3 and c.channels.total == 9
    assert {u.code for u in c.channels.uncovered} == {
        "paper",
        "app",
        "miniprogram",
        "hotline",
        "sms",
        "kiosk",
    }
    assert c.items.share.percent == pytest.approx(66.67)


def test_coverage_in_a_shorter_period_and_under_a_unit(fx):
    april = Scope(start=date(2026, 4, 1), end=date(2026, 4, 30))
    c = in_tenant(fx, coverage, april)
    assert [u.code for u in c.staff.uncovered] == ["S002", "S003"]
    assert {u.code for u in c.units.uncovered} == {"H01", "W01", "W02", "W04"}
    under = in_tenant(fx, coverage, Scope(start=SPRING.start, end=SPRING.end, unit=fx.units["H02"]))
    assert (under.units.covered, under.units.total) == (2, 3) and [u.code for u in under.units.uncovered] == [
        "W04"
    ]
    assert [u.code for u in under.staff.uncovered] == ["S003"]
    assert under.items.total == 1 and under.items.covered == 1  # only ITEM-001 was rated there
