"""Rollups follow every write path (intake, revision, exclusion, in-place correction), the indicators read them,
and the consistency check finds a planted drift that the rebuild then repairs."""

from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.evaluations.models import Evaluation, Transaction
from tenants.evaluations.services import EvaluationInput, evaluations_submit
from tenants.insight.models import (
    CaseDayRollup,
    CaseRollup,
    RatingDayRollup,
    RatingHourRollup,
    RatingRollup,
    TransactionRollup,
)
from tenants.insight.selectors import Scope, indicators
from tenants.insight.services import rollups_check, rollups_drain, rollups_rebuild
from tests.supervision.conftest import rate_transactions

SYSTEM = Actor.system("tests")
RATED = timezone.make_aware(datetime(2026, 3, 10, 9, 0))
MARCH = Scope(start=date(2026, 3, 1), end=date(2026, 3, 31))


def figures(world, scope=MARCH):
    with schema_context(world.info.schema):
        rollups_drain()
        return {k: (v.numerator, v.denominator) for k, v in indicators(scope).items()}


def test_new_ratings_reach_both_rating_rollups_after_a_drain(world):
    # given 3 good and 1 bad rating, at 09:01, 09:31, 10:01, 10:31 local time
    rate_transactions(world, 3, start=RATED, level=1, prefix="G")
    rate_transactions(world, 1, start=RATED + timedelta(hours=1, minutes=30), level=5, prefix="B")
    with schema_context(world.info.schema):
        assert RatingRollup.objects.count() == 0  # nothing before the drain
        result = rollups_drain()
        assert result.ratings == 4 and not result.skipped
        fine = {(r.level, r.window_id, r.staff_id): r.count for r in RatingRollup.objects.all()}
        hours = {(r.hour, r.channel): r.count for r in RatingHourRollup.objects.all()}
        days = {(r.level, r.is_default): r.count for r in RatingDayRollup.objects.all()}
        assert rollups_drain().ratings == 0  # drained once
        cases = list(CaseRollup.objects.values_list("state", "total", "realname_total"))
        case_days = list(CaseDayRollup.objects.values_list("state", "total", "realname_total"))
    assert fine == {(1, world.window.pk, world.staff.pk): 3, (5, world.window.pk, world.staff.pk): 1}
    assert hours == {(9, "device"): 2, (10, "device"): 2}
    assert days == {(1, False): 3, (5, False): 1}
    assert cases == case_days == [("new", 1, 1)]  # the bad review's case, by state (and its per-day sums)
    f = figures(world)
    assert f["good_rate"] == (3, 4) and f["bad_rate"] == (1, 4) and f["active_good_rate"] == (3, 4)
    assert f["participation_rate"] == (4, 4)


def test_a_revision_counts_once_and_moves_the_vote(world):
    rate_transactions(world, 2, start=RATED, level=4, prefix="R")
    figures(world)
    with schema_context(world.info.schema):
        revised = RATED + timedelta(hours=2)
        (outcome,) = evaluations_submit(
            actor=SYSTEM,
            items=[EvaluationInput(transaction="R00000", level=2, channel="device", rated_at=revised)],
            now=revised,
        )
        assert outcome.supersedes is not None
    f = figures(world)
    assert f["good_rate"] == (1, 2) and f["bad_rate"] == (1, 2)
    with schema_context(world.info.schema):
        assert rollups_check().ok


def test_an_exclusion_and_an_in_place_correction_are_followed(world):
    ids = rate_transactions(world, 3, start=RATED, level=5, prefix="X")
    figures(world)
    with schema_context(world.info.schema):
        Evaluation.objects.filter(pk=ids[0]).update(excluded=True)  # an upheld appeal
        Evaluation.objects.filter(pk=ids[1]).update(level=2, is_default=True)  # a corrected row
    f = figures(world)
    assert f["good_rate"] == (1, 2) and f["bad_rate"] == (1, 2) and f["active_good_rate"] == (0, 1)
    with schema_context(world.info.schema):
        assert rollups_check().ok


def test_filters_use_the_fine_rollup_and_agree_with_the_whole(world):
    rate_transactions(world, 4, start=RATED, level=1, prefix="A")
    whole = figures(world)
    hall = figures(world, Scope(start=MARCH.start, end=MARCH.end, unit=world.hall))
    window = figures(world, Scope(start=MARCH.start, end=MARCH.end, unit=world.window))
    item = figures(world, Scope(start=MARCH.start, end=MARCH.end, item=world.item))
    other = figures(world, Scope(start=MARCH.start, end=MARCH.end, channel="web"))
    assert whole["good_rate"] == hall["good_rate"] == window["good_rate"] == item["good_rate"] == (4, 4)
    assert other["good_rate"] == (0, 0)


def test_unrated_rate_counts_finished_transactions_past_their_rating_period(world):
    rate_transactions(world, 2, start=RATED, level=1, prefix="U")
    with schema_context(world.info.schema):
        Transaction.objects.create(
            number="NORATE", item=world.item, unit=world.hall, window=world.window, channel="device",
            status="finished", received_at=RATED, finished_at=RATED,
        )  # fmt: skip
    f = figures(world)
    assert f["participation_rate"] == (2, 3)
    assert f["unrated_rate"] == (1, 3)  # all three finished in March, their 7-day window is over


def test_the_check_finds_a_planted_drift_and_the_rebuild_repairs_it(world):
    rate_transactions(world, 3, start=RATED, level=1, prefix="D")
    with schema_context(world.info.schema):
        rollups_drain()
        assert rollups_check().ok
        # plant drift in each kind of rollup
        RatingRollup.objects.update(count=7)
        RatingHourRollup.objects.filter(hour=10).delete()
        RatingDayRollup.objects.update(count=1)
        TransactionRollup.objects.update(rated=0)
        result = rollups_check()
        tables = {d.table for d in result.drifts}
        assert tables == {
            "insight_ratingrollup",
            "insight_ratinghourrollup",
            "insight_ratingdayrollup",
            "insight_transactionrollup",
            "insight_transactiondayrollup",  # no longer the sums of the (drifted) fine table
        }
        fine = next(d for d in result.drifts if d.table == "insight_ratingrollup")
        assert (fine.raw, fine.rollup) == (3, 7) and fine.key["level"] == 1
        counts = rollups_rebuild()
        assert counts["insight_ratingrollup"] == 1
        assert rollups_check().ok
    assert figures(world)["good_rate"] == (3, 3)


def test_a_busy_tenant_is_drained_by_one_worker_at_a_time(world):
    rate_transactions(world, 2, start=RATED, level=1, prefix="L")
    with schema_context(world.info.schema), connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(hashtext(current_schema() || ':insight-rollups'))")
        try:
            from tests.conftest import committed

            assert committed(lambda: _drain_in(world.info.schema)).skipped
        finally:
            cur.execute("SELECT pg_advisory_unlock(hashtext(current_schema() || ':insight-rollups'))")
        assert rollups_drain().ratings == 2


def _drain_in(schema):
    with schema_context(schema):
        return rollups_drain()


@pytest.mark.parametrize("empty", [Scope(start=date(2025, 1, 1), end=date(2025, 1, 31))])
def test_an_empty_period_has_no_values(world, empty):
    rate_transactions(world, 1, start=RATED, level=1, prefix="E")
    with schema_context(world.info.schema):
        rollups_drain()
        values = {k: v.value for k, v in indicators(empty).items()}
    assert set(values.values()) == {None} and len(values) == 11


# --- the hard cases of the definitions (DOMAIN.md §10) -----------------------------------------------------
def revise(world, number: str, level: int, at):
    with schema_context(world.info.schema):
        (outcome,) = evaluations_submit(
            actor=SYSTEM,
            items=[
                EvaluationInput(
                    transaction=number,
                    level=level,
                    channel="device",
                    rated_at=at,
                    reason_tags=["attitude"] if level >= 4 else [],
                )
            ],
            now=at,
        )
        assert outcome.status == "created" and outcome.supersedes is not None, outcome.errors


def test_a_default_rating_is_not_participation_and_leaves_the_transaction_unrated(world):
    ids = rate_transactions(world, 3, start=RATED, level=2, prefix="F")
    with schema_context(world.info.schema):
        Evaluation.objects.filter(pk=ids[0]).update(is_default=True)  # the system rated it for the citizen
    f = figures(world)
    assert f["participation_rate"] == (2, 3) and f["unrated_rate"] == (1, 3)
    assert f["good_rate"] == (3, 3) and f["active_good_rate"] == (2, 2)  # kept apart, still counted


def test_a_bad_review_revised_to_bad_on_another_day_is_one_case(world):
    rate_transactions(world, 1, start=RATED, level=5, prefix="BB")
    figures(world)
    revise(world, "BB00000", 4, RATED + timedelta(days=2))  # the open case follows the newest bad revision
    f = figures(world)
    assert f["bad_rate"] == (1, 1) and f["reply_rate"] == (0, 1)
    with schema_context(world.info.schema):
        assert sum(CaseRollup.objects.values_list("total", flat=True)) == 1
        assert rollups_check().ok


def test_a_bad_review_revised_to_good_is_no_longer_a_bad_review(world):
    rate_transactions(world, 1, start=RATED, level=5, prefix="BG")
    assert figures(world)["reply_rate"] == (0, 1)
    revise(world, "BG00000", 1, RATED + timedelta(hours=3))
    f = figures(world)
    assert (
        f["bad_rate"] == (0, 1)
        and f["reply_rate"] == (0, 0)
        and f["realname_callback_rectification_rate"] == (0, 0)
    )
    with schema_context(world.info.schema):
        assert rollups_check().ok


def test_a_rebuild_keeps_the_case_rates(world):
    rate_transactions(world, 2, start=RATED, level=5, prefix="RC")
    before = figures(world)
    assert before["reply_rate"] == (0, 2)
    with schema_context(world.info.schema):
        rollups_rebuild()
        assert rollups_check().ok
    assert figures(world) == before


def test_a_window_scope_counts_the_cases_of_its_bad_reviews(world):
    rate_transactions(world, 2, start=RATED, level=5, prefix="WC")
    f = figures(world, Scope(start=MARCH.start, end=MARCH.end, unit=world.window))
    assert f["bad_rate"] == (2, 2) and f["reply_rate"] == (0, 2)
