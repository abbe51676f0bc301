"""Integrity signals: each planted pattern is flagged with its evidence, a normal window is not, and no
rating is ever changed by looking."""

from datetime import timedelta
from itertools import count

import pytest
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.evaluations.models import Evaluation, Transaction
from tenants.organisation.models import UnitKind
from tenants.organisation.services import device_register
from tenants.supervision.selectors.signals import SignalThresholds, integrity_signals
from tests.factories import StaffFactory, UnitFactory
from tests.supervision.conftest import local

DAY_START, DAY_END = local(2026, 3, 2, 0), local(2026, 3, 3, 0)
_numbers = count(1)


def plant(world, rows: list[dict]) -> list[int]:
    """Hand-built transactions and ratings: each row has finished_at, rated_at (None: unrated), level, window,
    staff, device, is_default. Returns the evaluation ids in row order (None for unrated)."""
    transactions = [
        Transaction(
            number=f"SIG{next(_numbers):06d}",
            item=world.item,
            unit=row["window"].parent,
            window=row["window"],
            staff=row.get("staff"),
            channel="device",
            status="finished",
            finished_at=row["finished_at"],
        )
        for row in rows
    ]
    Transaction.objects.bulk_create(transactions)
    rated = [(txn, row) for txn, row in zip(transactions, rows, strict=True) if row.get("rated_at")]
    created = Evaluation.objects.bulk_create(
        [
            Evaluation(
                transaction=txn,
                channel="device",
                level=row.get("level", 1),
                is_bad=row.get("level", 1) >= 4,
                rated_at=row["rated_at"],
                device=row.get("device"),
                is_default=row.get("is_default", False),
            )
            for txn, row in rated
        ]
    )
    ids = iter(e.pk for e in created)
    return [next(ids) if row.get("rated_at") else None for row in rows]


def windows(world, *codes):
    return [
        UnitFactory(code=code, name=f"{code} 窗口", kind=UnitKind.WINDOW, parent=world.hall) for code in codes
    ]


def snapshot():
    return list(Evaluation.objects.order_by("id").values())


def test_a_burst_of_quick_ratings_from_one_device_is_flagged(world):
    with schema_context(world.info.schema):
        w2, w3 = windows(world, "W02", "W03")
        calm, _key = device_register(actor=Actor.system("tests"), code="DEV-W02", name="评价器", window=w2)
        slow, _key = device_register(actor=Actor.system("tests"), code="DEV-W03", name="评价器", window=w3)
        nine = local(2026, 3, 2, 9)
        # pressed for the evaluators: 10 transactions finished 10 s apart, each "rated" 3 s later
        burst = plant(
            world,
            [
                {
                    "window": world.window,
                    "device": world.device,
                    "finished_at": nine + timedelta(seconds=10 * i),
                    "rated_at": nine + timedelta(seconds=10 * i + 3),
                }
                for i in range(10)
            ],
        )
        # normal: rated quickly, but one citizen every 20 minutes
        plant(
            world,
            [
                {
                    "window": w2,
                    "device": calm,
                    "finished_at": nine + timedelta(minutes=20 * i),
                    "rated_at": nine + timedelta(minutes=20 * i, seconds=3),
                }
                for i in range(10)
            ],
        )
        # many in a short time, but each a minute after finishing: not "quick"
        plant(
            world,
            [
                {
                    "window": w3,
                    "device": slow,
                    "finished_at": nine + timedelta(seconds=10 * i),
                    "rated_at": nine + timedelta(seconds=10 * i + 60),
                }
                for i in range(10)
            ],
        )
        before = snapshot()
        report = integrity_signals(start=DAY_START, end=DAY_END)
        assert snapshot() == before
    [signal] = report.bursts
    assert (signal.subject_type, signal.subject_id, signal.count) == ("device", world.device.pk, 10)
    assert "DEV-W01" in signal.subject_label
    assert signal.example_ids == burst and signal.started_at == nine + timedelta(seconds=3)
    assert (
        signal.evidence["quick_ratings_in_period"] == 10 and signal.evidence["device_ratings_in_period"] == 10
    )


def test_a_long_run_of_good_ratings_is_flagged_at_the_window_and_for_the_staff(world):
    with schema_context(world.info.schema):
        (w2, w3), s2 = windows(world, "W02", "W03"), StaffFactory(staff_no="S002", unit=world.hall)
        nine = local(2026, 3, 2, 9)
        # 25 good in a row at W01 by S001, then a "一般", then 5 more good
        levels = [1 + i % 2 for i in range(25)] + [3] + [1] * 5
        streak = plant(
            world,
            [
                {
                    "window": world.window,
                    "staff": world.staff,
                    "finished_at": nine + timedelta(minutes=5 * i),
                    "rated_at": nine + timedelta(minutes=5 * i + 1),
                    "level": level,
                }
                for i, level in enumerate(levels)
            ],
        )
        # normal: every sixth rating is not good
        plant(
            world,
            [
                {
                    "window": w2,
                    "staff": s2,
                    "finished_at": nine + timedelta(minutes=5 * i),
                    "rated_at": nine + timedelta(minutes=5 * i + 1),
                    "level": 3 if i % 6 == 5 else 1,
                }
                for i in range(30)
            ],
        )
        # default ratings are not the evaluator's act and never make a streak
        plant(
            world,
            [
                {
                    "window": w3,
                    "finished_at": nine + timedelta(minutes=5 * i),
                    "rated_at": nine + timedelta(days=0, minutes=5 * i + 1),
                    "level": 2,
                    "is_default": True,
                }
                for i in range(30)
            ],
        )
        before = snapshot()
        report = integrity_signals(
            start=DAY_START, end=DAY_END, thresholds=SignalThresholds(streak_min_length=20)
        )
        assert snapshot() == before
    assert [(s.subject_type, s.subject_id, s.count) for s in report.streaks] == [
        ("window", world.window.pk, 25),
        ("staff", world.staff.pk, 25),
    ]
    window_flag = report.streaks[0]
    assert window_flag.example_ids == streak[:10]
    assert (
        window_flag.evidence["ratings_in_period"] == 31
        and window_flag.evidence["good_ratings_in_period"] == 30
    )
    assert window_flag.started_at == nine + timedelta(minutes=1)
    assert window_flag.ended_at == nine + timedelta(minutes=5 * 24 + 1)


def test_a_rating_rate_out_of_line_with_peers_is_flagged(world):
    with schema_context(world.info.schema):
        w2, w3, w4, w5, tiny = windows(world, "W02", "W03", "W04", "W05", "W06")
        lone_hall = UnitFactory(code="H02", kind=UnitKind.HALL, parent=world.department)
        lone = UnitFactory(code="W21", kind=UnitKind.WINDOW, parent=lone_hall)
        nine = local(2026, 3, 2, 9)

        def window_day(window, transactions: int, rated: int) -> list:
            return plant(
                world,
                [
                    {
                        "window": window,
                        "finished_at": nine + timedelta(minutes=10 * i),
                        "rated_at": nine + timedelta(minutes=10 * i + 2) if i < rated else None,
                    }
                    for i in range(transactions)
                ],
            )

        inflated = window_day(world.window, 20, 20)  # every transaction "rated": 100%
        for window, rated in [(w2, 6), (w3, 7), (w4, 6), (w5, 5)]:  # peers: 25–35%
            window_day(window, 20, rated)
        window_day(tiny, 10, 0)  # too few transactions to compare
        window_day(lone, 20, 0)  # nobody rates here; its hall has no peers, so all windows are the peers
        before = snapshot()
        report = integrity_signals(
            start=DAY_START, end=DAY_END, thresholds=SignalThresholds(rate_min_transactions=20)
        )
        assert snapshot() == before
    flags = {s.subject_id: s for s in report.rates}
    assert set(flags) == {world.window.pk, lone.pk}
    high, low = flags[world.window.pk], flags[lone.pk]
    assert (high.evidence["rate"], high.evidence["peer_median"], high.evidence["peer_group"]) == (
        1.0,
        0.3,
        "hall",
    )
    assert high.evidence["direction"] == "above" and high.evidence["robust_z"] == pytest.approx(
        9.44, abs=0.01
    )
    assert high.example_ids == inflated[:10] and high.evidence["peers"] == 5
    assert (low.evidence["peer_group"], low.evidence["direction"], low.evidence["peers"]) == (
        "tenant",
        "below",
        6,
    )


def test_the_page_lists_each_flag_with_its_evidence_and_only_supervisors_and_auditors_see_it(world, login):
    with schema_context(world.info.schema):
        nine = local(2026, 3, 2, 9)
        ids = plant(
            world,
            [
                {
                    "window": world.window,
                    "staff": world.staff,
                    "device": world.device,
                    "finished_at": nine + timedelta(seconds=10 * i),
                    "rated_at": nine + timedelta(seconds=10 * i + 2),
                }
                for i in range(12)
            ],
        )
        before = snapshot()
    query = "?start=2026-03-02&end=2026-03-02&streak_min_length=10"
    page = login("auditor").get(f"/supervision/signals/{query}")
    html = page.content.decode()
    assert page.status_code == 200
    assert "DEV-W01" in html and ", ".join(str(i) for i in ids[:10]) in html
    assert html.count('<tr class="flag">') == 3  # the burst, and the streak at the window and for the staff
    assert login("supervisor").get(f"/supervision/signals/{query}").status_code == 200
    assert login("window_staff").get(f"/supervision/signals/{query}").status_code == 403
    assert login("officer").get(f"/supervision/signals/{query}").status_code == 403
    api = login("auditor", "api").get(f"/api/v1/supervision/signals{query}").json()
    assert sorted(s["kind"] for s in api["signals"]) == ["burst", "streak", "streak"]
    assert login("window_staff", "staffapi").get("/api/v1/supervision/signals").status_code == 403
    assert (
        login("auditor", "bad").get("/supervision/signals/?start=2026-03-05&end=2026-03-01").status_code
        == 400
    )
    with schema_context(world.info.schema):
        assert snapshot() == before


def test_a_quiet_period_flags_nothing_in_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    with schema_context(world.info.schema):
        nine = local(2026, 3, 2, 9)
        plant(
            world,
            [
                {
                    "window": world.window,
                    "staff": world.staff,
                    "device": world.device,
                    "finished_at": nine + timedelta(minutes=15 * i),
                    "rated_at": nine + timedelta(minutes=15 * i, seconds=40),
                    "level": 3 if i % 4 == 0 else 1,
                }
                for i in range(40)
            ],
        )
        with django_assert_max_num_queries(9):
            report = integrity_signals(start=DAY_START, end=DAY_END)
    assert report.all == []
