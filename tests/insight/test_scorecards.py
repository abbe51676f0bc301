"""Rankings, scorecards, award candidates and warnings against hand-computed fixtures (DOMAIN.md §7, §10: small
samples must not rank above large ones by luck)."""

from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.appeals.models import Appeal, AppealState, AppellantKind
from tenants.cases.models import Case, CaseState
from tenants.evaluations.models import Evaluation, Transaction
from tenants.evaluations.services import EvaluationInput, evaluations_submit
from tenants.insight.scorecards.selectors import (
    award_candidates,
    bad_review_warnings,
    previous_period,
    rankings,
    staff_scorecard,
    window_scorecard,
)
from tenants.insight.selectors import Scope
from tenants.insight.services import rollups_drain
from tenants.organisation.models import UnitKind
from tests.factories import ServiceItemFactory, StaffFactory, UnitFactory
from tests.supervision.conftest import person

MARCH = Scope(start=date(2026, 3, 1), end=date(2026, 3, 31))
FIRST_OF_MARCH = date(2026, 3, 1)


def local(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


def rate(
    world,
    count: int,
    *,
    start: datetime,
    prefix: str,
    level: int = 1,
    staff=None,
    window=None,
    unit=None,
    item=None,
    step: timedelta = timedelta(minutes=20),
) -> list[int]:
    """`count` finished transactions handled by `staff` at `window` (the world's by default), each rated at
    `level` through the real intake service (bad ratings open their cases). Returns the evaluation ids."""
    staff, window = staff or world.staff, window or world.window
    unit, item = unit or world.hall, item or world.item
    with schema_context(world.info.schema):
        Transaction.objects.bulk_create(
            [
                Transaction(
                    number=f"{prefix}{i:05d}",
                    item=item,
                    guide_version=item.current_guide,
                    unit=unit,
                    window=window,
                    staff=staff,
                    channel="device",
                    status="finished",
                    finished_at=start + step * i,
                )
                for i in range(count)
            ]
        )
        outcomes = evaluations_submit(
            actor=Actor.system("tests"),
            items=[
                EvaluationInput(
                    transaction=f"{prefix}{i:05d}",
                    level=level,
                    channel="device",
                    reason_tags=["attitude"] if level >= 4 else [],
                    evaluator={"name": f"李{i}明", "phone": f"1390013{i:04d}"},
                    rated_at=start + step * i + timedelta(minutes=1),
                )
                for i in range(count)
            ],
            now=start + step * count + timedelta(hours=1),
        )
    assert all(o.status == "created" for o in outcomes), [o.errors for o in outcomes if o.errors]
    return [o.evaluation.pk for o in outcomes]


def drained(world) -> None:
    with schema_context(world.info.schema):
        rollups_drain()


def by_id(rows) -> dict:
    return {r.id: r for r in rows}


@pytest.fixture
def second(world):
    """A second window (W02) in the world's hall with its own staff member (S002)."""
    with schema_context(world.info.schema):
        window = UnitFactory(code="W02", name="A02 综合受理窗口", kind=UnitKind.WINDOW, parent=world.hall)
        staff = StaffFactory(staff_no="S002", name="王芳", unit=world.hall)
    return window, staff


# --- rankings ---------------------------------------------------------------------------------------------
def test_a_small_perfect_sample_ranks_below_a_large_very_good_one_and_is_unranked_below_the_minimum(
    world, second
):
    # given W01/S001 with 95 good of 100 and W02/S002 with 3 good of 3, all in March
    w02, s002 = second
    rate(world, 95, start=local(2026, 3, 2, 8), prefix="G", step=timedelta(minutes=10))
    rate(world, 5, start=local(2026, 3, 20, 9), prefix="B", level=5)
    rate(world, 3, start=local(2026, 3, 3, 9), prefix="S", staff=s002, window=w02)
    drained(world)

    with schema_context(world.info.schema):
        windows = rankings(MARCH, level="window")
        staff = rankings(MARCH, level="staff")
        small_min = by_id(rankings(MARCH, level="window", min_sample=3))

    # then with the default minimum (30) the large sample is ranked and the small one listed apart
    assert [(r.id, r.rank) for r in windows] == [(world.window.pk, 1), (w02.pk, None)]
    big, small = windows
    assert (big.n, big.good, big.bad) == (100, 95, 5) and big.percent == 95.0
    # Wilson 95 % by hand: 95/100 → (0.88825, 0.97846); 3/3 → low = n/(n+z²) = 3/6.84146 = 0.43850
    assert big.low == pytest.approx(0.88825, abs=1e-5) and big.high == pytest.approx(0.97846, abs=1e-5)
    assert (small.n, small.good, small.ranked, small.percent) == (3, 3, False, 100.0)
    assert small.low == pytest.approx(0.43850, abs=1e-5) and small.high == pytest.approx(1.0)
    assert [(r.id, r.rank) for r in staff] == [(world.staff.pk, 1), (s002.pk, None)]
    # and with a minimum of 3, the perfect 3/3 is ranked, below the 95 %
    assert small_min[world.window.pk].rank == 1 and small_min[w02.pk].rank == 2
    assert big.code == "W01" and big.name == "A01 综合受理窗口"


def test_rank_change_against_the_previous_period_of_equal_length(world, second):
    w02, s002 = second
    # February (inside the 31 days before March): W02 10/10 first, W01 6/10 second
    rate(world, 6, start=local(2026, 2, 10, 9), prefix="FA")
    rate(world, 4, start=local(2026, 2, 11, 9), prefix="FB", level=4)
    rate(world, 10, start=local(2026, 2, 10, 9), prefix="FC", staff=s002, window=w02)
    # March: W01 10/10, W02 5/10
    rate(world, 10, start=local(2026, 3, 10, 9), prefix="MA")
    rate(world, 5, start=local(2026, 3, 10, 9), prefix="MB", staff=s002, window=w02)
    rate(world, 5, start=local(2026, 3, 11, 9), prefix="MC", level=5, staff=s002, window=w02)
    drained(world)

    with schema_context(world.info.schema):
        rows = by_id(rankings(MARCH, level="window", min_sample=5))
        staff = by_id(rankings(MARCH, level="staff", min_sample=5))
        unranked_before = by_id(rankings(MARCH, level="window", min_sample=11))

    assert previous_period(MARCH) == Scope(start=date(2026, 1, 29), end=date(2026, 2, 28))
    first, other = rows[world.window.pk], rows[w02.pk]
    assert (first.rank, first.previous_rank, first.rank_change) == (1, 2, 1)
    assert (other.rank, other.previous_rank, other.rank_change) == (2, 1, -1)
    assert (staff[world.staff.pk].rank_change, staff[s002.pk].rank_change) == (1, -1)
    # nobody has 11 ratings: nobody ranked now or before
    assert all(r.rank is None and r.previous_rank is None for r in unranked_before.values())


def test_departments_and_halls_aggregate_their_whole_subtree(world):
    with schema_context(world.info.schema):
        hall2 = UnitFactory(code="H02", name="东区分厅", kind=UnitKind.HALL, parent=world.department)
        w03 = UnitFactory(code="W03", name="B01 窗口", kind=UnitKind.WINDOW, parent=hall2)
        d02 = UnitFactory(code="D02", name="人力资源和社会保障局", kind=UnitKind.DEPARTMENT)
        hall3 = UnitFactory(code="H03", name="人社服务大厅", kind=UnitKind.STATION, parent=d02)
        w04 = UnitFactory(code="W04", name="C01 窗口", kind=UnitKind.WINDOW, parent=hall3)
    at = local(2026, 3, 5, 9)
    rate(world, 4, start=at, prefix="A")  # handled by H01 at W01 (both under D01)
    rate(world, 2, start=at, prefix="B", unit=hall2, window=w03)  # under D01
    rate(world, 1, start=at, prefix="C", level=4, unit=hall2, window=w03)  # under D01, bad
    rate(world, 3, start=at, prefix="D", unit=hall3, window=w04)  # under D02
    rate(world, 5, start=at, prefix="E", unit=d02)  # handled by D02 at W01 (a D01 window): both count it
    drained(world)

    with schema_context(world.info.schema):
        departments = by_id(rankings(MARCH, level="department", min_sample=1))
        halls = by_id(rankings(MARCH, level="hall", min_sample=1))
        inside_d02 = rankings(Scope(start=MARCH.start, end=MARCH.end, unit=d02), level="hall", min_sample=1)

    d01 = departments[world.department.pk]
    assert (d01.n, d01.good, d01.bad) == (4 + 2 + 1 + 5, 11, 1)
    assert (departments[d02.pk].n, departments[d02.pk].good) == (3 + 5, 8)
    assert {pk: r.n for pk, r in halls.items()} == {world.hall.pk: 4 + 5, hall2.pk: 3, hall3.pk: 3}
    assert [r.id for r in inside_d02] == [hall3.pk]


def test_default_ratings_can_be_left_out(world):
    ids = rate(world, 4, start=local(2026, 3, 5, 9), prefix="A")
    with schema_context(world.info.schema):
        Evaluation.objects.filter(pk__in=ids[:3]).update(is_default=True)  # recorded as defaults
    drained(world)
    with schema_context(world.info.schema):
        (everything,) = rankings(MARCH, level="window", min_sample=1)
        (given,) = rankings(MARCH, level="window", min_sample=1, exclude_defaults=True)
    assert (everything.n, given.n) == (4, 1)


@pytest.mark.parametrize(("level", "most"), [("department", 4), ("hall", 4), ("window", 3), ("staff", 3)])
def test_rankings_read_only_the_rollups_in_a_few_queries(world, level, most):
    rate(world, 3, start=local(2026, 3, 5, 9), prefix="A")
    drained(world)
    with schema_context(world.info.schema), CaptureQueriesContext(connection) as queries:
        rows = rankings(MARCH, level=level, min_sample=1)
    assert [r.n for r in rows] == [3]
    sql = [q["sql"] for q in queries.captured_queries if "search_path" not in q["sql"]]
    assert len(sql) <= most
    assert not any("evaluations_" in q or "cases_" in q for q in sql)


# --- scorecards ------------------------------------------------------------------------------------------
def _appeal(world, evaluation_id: int, state: str, filed: datetime) -> None:
    """An appeal about a rating, written as the appeal services leave it (an upheld one excludes the rating)."""
    user = person(world.info, "window_staff", f"appellant-{evaluation_id}")
    with schema_context(world.info.schema):
        Appeal.objects.create(
            evaluation_id=evaluation_id, appellant=user, appellant_kind=AppellantKind.STAFF,
            appellant_unit=world.hall, rated_unit=world.hall, statement="不实差评", state=state,
            decision_note="" if state == AppealState.SUBMITTED else "复核", due_at=filed.date() + timedelta(days=7),
            created_at=filed,
        )  # fmt: skip
        if state == AppealState.UPHELD:
            Evaluation.objects.filter(pk=evaluation_id).update(excluded=True, excluded_reason="appeal upheld")


def test_staff_and_window_scorecards(world):
    # given in March: 8 × level 1, 2 × level 2, 4 × level 5 (one excluded by an upheld appeal), and a
    # transaction of a second item never rated; in February 4 good ratings
    rate(world, 8, start=local(2026, 3, 5, 9), prefix="A")
    rate(world, 2, start=local(2026, 3, 6, 9), prefix="B", level=2)
    bad = rate(world, 4, start=local(2026, 3, 9, 9), prefix="C", level=5)
    rate(world, 4, start=local(2026, 2, 9, 9), prefix="F")
    with schema_context(world.info.schema):
        other_item = ServiceItemFactory(code="ITEM-002", name="营业执照核发")
        Transaction.objects.create(
            number="U00001", item=other_item, unit=world.hall, window=world.window, staff=world.staff,
            channel="device", status="finished", finished_at=local(2026, 3, 12, 10),
        )  # fmt: skip
        cases = {c.evaluation_id: c for c in Case.objects.filter(evaluation_id__in=bad)}
        on_time, late, still_open = (cases[pk] for pk in bad[1:])
        Case.objects.filter(pk=on_time.pk).update(
            state=CaseState.CLOSED, closed_at=on_time.rectify_due - timedelta(days=1)
        )
        Case.objects.filter(pk=late.pk).update(
            state=CaseState.CLOSED, closed_at=late.rectify_due + timedelta(days=1)
        )
        Case.objects.filter(pk=still_open.pk).update(contact_due=local(2026, 3, 10, 9))  # long past
    _appeal(world, bad[0], AppealState.UPHELD, local(2026, 3, 10, 10))
    _appeal(world, bad[1], AppealState.REJECTED, local(2026, 3, 11, 10))
    _appeal(world, bad[2], AppealState.SUBMITTED, local(2026, 4, 2, 10))  # filed after March
    drained(world)

    with schema_context(world.info.schema):
        card = staff_scorecard(world.staff, MARCH)
        window_card = window_scorecard(world.window, MARCH)

    assert card.levels == {1: 8, 2: 2, 3: 0, 4: 0, 5: 3} and card.ratings == 13 and card.defaults == 0
    ind = {k: (v.numerator, v.denominator) for k, v in card.indicators.items()}
    assert ind == {"good_rate": (10, 13), "active_good_rate": (10, 13), "bad_rate": (3, 13)}
    assert card.interval == pytest.approx((0.497436, 0.918205), abs=1e-6)
    # bad reviews: the three counted ones, with their cases; never an evaluator
    assert [r.evaluation_id for r in card.bad_reviews] == bad[1:]
    assert {r.case_number for r in card.bad_reviews} == {late.number, on_time.number, still_open.number}
    assert card.bad_reviews[0].channel == "device" and card.bad_reviews[0].level == 5
    assert card.bad_reviews[0].reasons and all(r.reasons for r in card.bad_reviews)
    assert not any(hasattr(card.bad_reviews[0], f) for f in ("evaluator_name", "evaluator_phone", "comment"))
    # cases of the counted bad reviews: 3, of which 2 closed, 1 on time, 1 open and overdue
    c = card.cases
    assert (c.total, c.closed, c.on_time, c.open, c.overdue) == (3, 2, 1, 1, 1)
    assert (c.on_time_rate.numerator, c.on_time_rate.denominator) == (1, 2)
    assert (card.appeals.filed, card.appeals.upheld, card.appeals.rejected, card.appeals.pending) == (
        2,
        1,
        1,
        0,
    )
    # coverage: 2 items handled, 1 rated; 15 transactions, 13 with a counted rating
    assert (card.coverage.numerator, card.coverage.denominator) == (1, 2)
    assert (card.participation.numerator, card.participation.denominator) == (13, 15)
    assert [(p.month, p.n, p.good) for p in card.trend] == [
        (date(2025, 10, 1), 0, 0),
        (date(2025, 11, 1), 0, 0),
        (date(2025, 12, 1), 0, 0),
        (date(2026, 1, 1), 0, 0),
        (date(2026, 2, 1), 4, 4),
        (date(2026, 3, 1), 13, 10),
    ]
    assert [(r.id, r.n) for r in card.others] == [(world.window.pk, 13)]
    # the window's card: the same ratings, cases and appeals (everything happened at W01)
    assert window_card.levels == card.levels and window_card.cases == card.cases
    assert window_card.appeals == card.appeals and window_card.coverage == card.coverage
    assert [(r.id, r.n) for r in window_card.others] == [(world.staff.pk, 13)]


# --- candidates ------------------------------------------------------------------------------------------
def test_award_candidates_order_and_eligibility(world):
    with schema_context(world.info.schema):
        a, b, c, d, e = (StaffFactory(staff_no=f"C{i}", name=f"候选{i}", unit=world.hall) for i in range(5))
    at = local(2026, 3, 3, 9)
    rate(world, 20, start=at, prefix="A", staff=a)  # 20/20
    rate(world, 19, start=at, prefix="B", staff=b)  # 19/20, its one case closed on time
    b_bad = rate(world, 1, start=local(2026, 3, 4, 9), prefix="BB", level=4, staff=b)
    rate(world, 24, start=at, prefix="C", staff=c)  # 24/25, but its case missed the deadline in March
    c_bad = rate(world, 1, start=local(2026, 3, 4, 9), prefix="CB", level=5, staff=c)
    rate(world, 30, start=at, prefix="D", staff=d)  # 30/33: three bad reviews, on the warning list
    d_bad = rate(world, 3, start=local(2026, 3, 4, 9), prefix="DB", level=5, staff=d)
    rate(world, 4, start=at, prefix="E", staff=e)  # 4/4: too few
    with schema_context(world.info.schema):
        deadline = local(2026, 3, 20, 18)
        Case.objects.filter(evaluation_id__in=b_bad).update(
            rectify_due=deadline, state=CaseState.CLOSED, closed_at=deadline - timedelta(days=2)
        )
        Case.objects.filter(evaluation_id__in=c_bad).update(rectify_due=deadline)  # open, past its deadline
        Case.objects.filter(evaluation_id__in=d_bad).update(
            rectify_due=deadline, state=CaseState.CLOSED, closed_at=deadline - timedelta(days=1)
        )
        late_number = Case.objects.get(evaluation_id=c_bad[0]).number
    drained(world)

    with schema_context(world.info.schema):
        staff = award_candidates(month=FIRST_OF_MARCH, kind="staff", min_sample=5)
        windows = award_candidates(month=FIRST_OF_MARCH, kind="window", min_sample=5)
        strict = award_candidates(month=FIRST_OF_MARCH, kind="staff")  # the default minimum, 30

    # eligible first, by Wilson lower bound: A (20/20, 0.8389) before B (19/20, 0.7639)
    assert [(x.row.id, x.position) for x in staff] == [(a.pk, 1), (b.pk, 2), (c.pk, None), (d.pk, None)]
    assert staff[0].row.low == pytest.approx(0.8389, abs=1e-4) and staff[1].row.low == pytest.approx(
        0.7639, abs=1e-4
    )
    assert (staff[1].cases, staff[1].late_cases, staff[1].warned) == (1, [], False)
    assert (staff[2].late_cases, staff[2].warned) == ([late_number], False)
    assert (staff[3].late_cases, staff[3].warned, staff[3].cases) == ([], True, 3)
    assert e.pk not in {x.row.id for x in staff}  # 4 ratings: below the minimum of 5
    # the one window has every bad review of the month: warned, not eligible
    assert [(x.row.id, x.eligible, x.warned) for x in windows] == [(world.window.pk, False, True)]
    # with 30 ratings needed, only D (33) qualifies on sample, and it is warned
    assert [(x.row.id, x.eligible) for x in strict] == [(d.pk, False)]


# --- warnings --------------------------------------------------------------------------------------------
def test_a_warning_at_the_threshold_with_its_evidence_and_none_below(world, second):
    w02, s002 = second
    with schema_context(world.info.schema):
        s003 = StaffFactory(staff_no="S003", name="赵强", unit=world.hall)
    three = rate(world, 3, start=local(2026, 3, 9, 9), prefix="X", level=5)  # S001 at W01: 3 in March
    rate(world, 2, start=local(2026, 3, 9, 9), prefix="Y", level=4, staff=s002, window=w02)  # 2: below
    before = rate(world, 2, start=local(2026, 2, 20, 9), prefix="ZF", level=5, staff=s003, window=w02)
    after = rate(world, 2, start=local(2026, 3, 2, 9), prefix="ZM", level=4, staff=s003, window=w02)
    rate(world, 5, start=local(2026, 3, 9, 9), prefix="G", staff=s002, window=w02)  # good ones do not count
    drained(world)

    with schema_context(world.info.schema):
        staff = bad_review_warnings(month=FIRST_OF_MARCH, kind="staff")
        windows = bad_review_warnings(month=FIRST_OF_MARCH, kind="window")
        higher = bad_review_warnings(month=FIRST_OF_MARCH, kind="staff", threshold=4, consecutive=3)
        cases = dict(
            Case.objects.filter(evaluation_id__in=three + before + after).values_list(
                "evaluation_id", "number"
            )
        )

    assert [(w.id, w.bad, w.bad_previous, w.rule) for w in staff] == [
        (world.staff.pk, 3, 0, "threshold"),
        (s003.pk, 2, 2, "consecutive"),
    ]
    evidence = staff[0].evidence
    assert [e.evaluation_id for e in evidence] == three
    assert [e.case_number for e in evidence] == [cases[pk] for pk in three]
    assert all(e.case_state == CaseState.NEW and e.channel == "device" for e in evidence)
    assert [e.rated_at for e in evidence] == [local(2026, 3, 9, 9, 1 + 20 * i) for i in range(3)]
    assert all(e.reasons for e in evidence)
    # the consecutive rule shows both months' bad reviews
    assert [e.evaluation_id for e in staff[1].evidence] == before + after
    # W02: 2 (S002) + 2 (S003) = 4 in March
    assert [(w.id, w.bad) for w in windows] == [(w02.pk, 4), (world.window.pk, 3)]
    assert higher == []
