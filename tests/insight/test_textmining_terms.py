"""Comment terms follow the ratings (drain: new, revised, excluded), the rebuild gives the same rows, and the
selectors answer frequencies, clusters and spikes from them."""

from datetime import date, datetime, timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.evaluations.models import Evaluation, Transaction
from tenants.evaluations.services import EvaluationInput, evaluations_submit
from tenants.insight.selectors import Scope
from tenants.insight.services import rollups_check, rollups_drain, rollups_rebuild
from tenants.insight.textmining.models import CommentTerm
from tenants.insight.textmining.selectors import (
    complaint_clusters,
    poisson_upper_tail,
    scrub,
    term_frequencies,
    term_spike,
    term_spikes,
)
from tenants.insight.textmining.services import comment_terms_apply
from tests.factories import UnitFactory

SYSTEM = Actor.system("tests")
RATED = timezone.make_aware(datetime(2026, 3, 10, 9, 0))
MARCH = Scope(start=date(2026, 3, 1), end=date(2026, 3, 31))


def rate(world, ratings, *, prefix: str, unit=None, window=None, staff=None, evaluator=None) -> list[int]:
    """Rate new transactions through the real intake: `ratings` are (rated_at, level, comment[, tags]).
    Bad reviews get the tag "long_wait" unless tags are given. Returns the evaluation ids, in order."""
    unit = unit or world.hall
    window = window if window is not None else world.window
    with schema_context(world.info.schema):
        Transaction.objects.bulk_create(
            [
                Transaction(
                    number=f"{prefix}{i:05d}",
                    item=world.item,
                    guide_version=world.item.current_guide,
                    unit=unit,
                    window=window,
                    staff=staff or world.staff,
                    channel="device",
                    status="finished",
                    finished_at=r[0] - timedelta(minutes=2),
                )
                for i, r in enumerate(ratings)
            ]
        )
        outcomes = evaluations_submit(
            actor=SYSTEM,
            items=[
                EvaluationInput(
                    transaction=f"{prefix}{i:05d}",
                    level=r[1],
                    channel="device",
                    comment=r[2],
                    reason_tags=list(r[3]) if len(r) > 3 else (["long_wait"] if r[1] >= 4 else []),
                    rated_at=r[0],
                    evaluator=evaluator or {"anonymous": True},
                )
                for i, r in enumerate(ratings)
            ],
            now=max(r[0] for r in ratings) + timedelta(hours=1),
        )
    assert all(o.status == "created" for o in outcomes), [o.errors for o in outcomes if o.errors]
    return [o.evaluation.pk for o in outcomes]


def stored(world) -> set[tuple]:
    with schema_context(world.info.schema):
        return set(
            CommentTerm.objects.values_list(
                "evaluation_id",
                "day",
                "unit_id",
                "window_id",
                "staff_id",
                "item_id",
                "channel",
                "is_bad",
                "term",
                "kind",
            )
        )


def drained(world) -> None:
    with schema_context(world.info.schema):
        rollups_drain()


def terms_of(world, evaluation_id: int) -> set[str]:
    with schema_context(world.info.schema):
        return set(CommentTerm.objects.filter(evaluation_id=evaluation_id).values_list("term", flat=True))


# --- following the ratings -------------------------------------------------------------------------------
def test_the_drain_segments_new_comments_and_tags(world):
    good, bad, silent = rate(
        world,
        [
            (RATED, 1, "网上预约很方便，点赞"),
            (RATED + timedelta(hours=1), 5, "窗口排队太久，叫号很慢", ["long_wait", "attitude"]),
            (RATED + timedelta(hours=2), 2, ""),
        ],
        prefix="N",
    )
    assert stored(world) == set()  # nothing before the drain
    drained(world)
    assert terms_of(world, good) == {"网上预约", "很方便", "点赞", "网上预约很方便"}
    assert terms_of(world, bad) == {
        "窗口",
        "排队",
        "太久",
        "叫号",
        "窗口排队",
        "排队太久",
        "tag:long_wait",
        "tag:attitude",
    }
    assert terms_of(world, silent) == set()  # no comment, no tags: no rows
    with schema_context(world.info.schema):
        row = CommentTerm.objects.get(evaluation_id=bad, term="排队")
    assert (row.day, row.unit_id, row.window_id, row.staff_id, row.item_id, row.is_bad, row.kind) == (
        date(2026, 3, 10),
        world.hall.pk,
        world.window.pk,
        world.staff.pk,
        world.item.pk,
        True,
        "keyword",
    )


def test_a_revision_replaces_the_terms_and_an_exclusion_removes_them(world):
    first, other = rate(world, [(RATED, 5, "窗口排队太久"), (RATED, 4, "材料没有一次性告知")], prefix="R")
    drained(world)
    assert "排队" in terms_of(world, first)
    # when the citizen re-rates the first transaction and an appeal excludes the second rating
    with schema_context(world.info.schema):
        revised = RATED + timedelta(hours=3)
        (outcome,) = evaluations_submit(
            actor=SYSTEM,
            items=[
                EvaluationInput(
                    transaction="R00000", level=2, channel="device", comment="后来态度很好", rated_at=revised
                )
            ],
            now=revised,
        )
        Evaluation.objects.filter(pk=other).update(excluded=True)
    drained(world)
    # then the superseded and the excluded rating have no terms, the new revision has its own
    assert terms_of(world, first) == set()
    assert terms_of(world, other) == set()
    assert terms_of(world, outcome.evaluation.pk) == {"态度"}
    with schema_context(world.info.schema):
        assert rollups_check().ok


def test_the_rebuild_equals_the_incremental_rows(world):
    rate(
        world,
        [
            (RATED, 5, "窗口排队太久，叫号很慢"),
            (RATED + timedelta(days=1), 1, "工作人员很耐心"),
            (RATED + timedelta(days=2), 4, "办事指南写得不清楚", ["guide_unclear"]),
            (RATED + timedelta(days=2), 4, ""),
        ],
        prefix="B",
    )
    with schema_context(world.info.schema):
        Evaluation.objects.filter(transaction__number="B00001").update(excluded=True)
    drained(world)
    incremental = stored(world)
    assert incremental
    with schema_context(world.info.schema):
        counts = rollups_rebuild()
    assert stored(world) == incremental
    assert counts["comment_terms"] == len(incremental)


def test_applying_twice_changes_nothing(world):
    ids = rate(world, [(RATED, 5, "窗口排队太久")], prefix="T")
    drained(world)
    before = stored(world)
    with schema_context(world.info.schema):
        comment_terms_apply(evaluation_ids=ids)
        comment_terms_apply(evaluation_ids=[])
    assert stored(world) == before


# --- frequencies and clusters ----------------------------------------------------------------------------
QUEUES = ["窗口排队太久，叫号很慢", "排队两个小时，窗口叫号太慢", "窗口排队时间长，叫号混乱"]
MATERIALS = [
    "材料要求和办事指南不一致，没有一次性告知",
    "办事指南材料写错了，没有一次性告知",
    "材料清单和办事指南不符，没一次性告知",
]


def test_keyword_and_phrase_frequencies_with_the_share_of_bad_reviews(world):
    rate(
        world,
        [(RATED, 5, c) for c in QUEUES]
        + [(RATED, 1, "预约了不用排队，非常满意"), (RATED, 2, "工作人员非常耐心")],
        prefix="F",
    )
    drained(world)
    with schema_context(world.info.schema):
        keywords = {t.term: t for t in term_frequencies(MARCH)}
        phrases = {t.term: t for t in term_frequencies(MARCH, kind="phrase")}
        tags = term_frequencies(MARCH, kind="tag")
        bad_only = {t.term for t in term_frequencies(MARCH, bad_only=True)}
        april = term_frequencies(Scope(start=date(2026, 4, 1), end=date(2026, 4, 30)))
    queue = keywords["排队"]
    assert (queue.count, queue.bad, queue.bad_percent) == (4, 3, 75.0)
    assert (keywords["叫号"].count, keywords["叫号"].bad) == (3, 3)
    assert keywords["耐心"].bad == 0
    assert next(iter(keywords)) == "排队"  # most mentioned first
    for stop in ("非常", "满意", "工作人员", "不用"):
        assert stop not in keywords
    assert phrases["窗口排队"].count == 2
    assert [(t.term, t.count, t.label) for t in tags] == [("tag:long_wait", 3, "窗口等候时间长")]
    assert "耐心" not in bad_only and "排队" in bad_only
    assert april == []


def test_frequencies_per_unit_window_and_staff(world):
    with schema_context(world.info.schema):
        other_hall = UnitFactory(code="H02", name="城东分中心", kind="hall", parent=world.department)
        other_window = UnitFactory(code="W02", name="B01 窗口", kind="window", parent=other_hall)
    rate(world, [(RATED, 5, "窗口排队太久")], prefix="U")
    rate(world, [(RATED, 5, "停车难没有停车位")], prefix="V", unit=other_hall, window=other_window)
    drained(world)
    with schema_context(world.info.schema):

        def terms_in(**kw):
            return {t.term for t in term_frequencies(Scope(start=MARCH.start, end=MARCH.end, **kw))}

        assert terms_in(unit=world.hall) == {"窗口", "排队", "太久"}
        assert terms_in(unit=world.window) == {"窗口", "排队", "太久"}
        assert terms_in(unit=other_window) == {"停车难", "停车位"}
        assert terms_in(unit=world.department) == {"窗口", "排队", "太久", "停车难", "停车位"}
        assert {t.term for t in term_frequencies(MARCH, staff=world.staff)} == terms_in(unit=world.department)


def test_similar_complaints_form_clusters(world):
    rate(
        world,
        [(RATED, 5, c) for c in QUEUES]
        + [(RATED, 4, c) for c in MATERIALS]
        + [(RATED, 5, "停车难，没有停车位"), (RATED, 1, "窗口排队很快，叫号清楚")],
        prefix="C",
    )
    drained(world)
    with schema_context(world.info.schema):
        clusters = complaint_clusters(MARCH)
    assert [c.size for c in clusters] == [
        3,
        3,
    ]  # the lone parking complaint is no cluster; good reviews never
    by_top = {frozenset(t for t, _n in c.top_terms(3)): c for c in clusters}
    queues = by_top[frozenset({"窗口", "排队", "叫号"})]
    materials = by_top[frozenset({"材料", "办事指南", "一次性告知"})]
    assert {s.text for s in queues.samples} == set(QUEUES)
    assert {s.text for s in materials.samples} == set(MATERIALS)
    assert all(s.is_bad for s in queues.samples)


def test_sample_comments_mask_what_looks_like_personal_numbers():
    text = scrub("我电话13800138000，身份证11010519491231002X，邮箱zhang@example.cn，排队太久")
    assert "13800138000" not in text and "11010519491231002X" not in text and "zhang@" not in text
    assert "8000" not in text and "＊＊" in text and "排队太久" in text


def test_sample_comments_are_scrubbed_as_the_portal_scrubs_them_with_the_evaluators_name():
    """Spaced, dashed and full-width numbers, and the evaluator's own name, as tenants.privacy.scrub does."""
    text = scrub(
        "我是欧阳娜娜，电话139 1234 5678，也可打139-1234-5678或１３９１２３４５６７８，"
        "身份证 110105 19491231 002X，排队太久",
        "欧阳娜娜",
    )
    for secret in (
        "139 1234 5678",
        "139-1234-5678",
        "１３９",
        "5678",
        "110105",
        "19491231",
        "002X",
        "欧阳娜娜",
        "娜娜",
    ):
        assert secret not in text, secret
    assert text.startswith("我是＊＊，电话＊＊") and text.endswith("身份证 ＊＊，排队太久")


# --- spikes ----------------------------------------------------------------------------------------------
def test_poisson_upper_tail():
    assert poisson_upper_tail(0, 2.0) == 1.0
    assert abs(poisson_upper_tail(1, 0.5) - (1 - 2.718281828459045**-0.5)) < 1e-12
    assert poisson_upper_tail(6, 0.5) < 0.001
    assert poisson_upper_tail(3, 3.0) > 0.5
    assert (
        abs(poisson_upper_tail(5, 5.0) + sum(poisson_upper_tail(k, 5.0) * 0 for k in range(3)) - 0.5595)
        < 1e-3
    )


def test_a_planted_spike_is_flagged_and_steady_terms_are_not(world):
    today = timezone.localdate()
    noon = timezone.make_aware(datetime.combine(today, datetime.min.time())) + timedelta(hours=9)

    def days_ago(n: int, minute: int = 0) -> datetime:
        return noon - timedelta(days=n) + timedelta(minutes=minute)

    ratings = [(days_ago(d % 5, d), 5, "排队排了很久") for d in range(6)]  # 6 this week
    ratings += [(days_ago(15), 5, "排队太久"), (days_ago(40), 5, "排队太久")]  # baseline: 2 in 8 weeks
    # steady: 材料 three times in every one of the nine weeks
    ratings += [
        (days_ago(7 * w + d, 30), 4, "材料不齐全", ["extra_materials"]) for w in range(9) for d in (0, 2, 4)
    ]
    rate(world, ratings, prefix="S")
    drained(world)
    with schema_context(world.info.schema):
        spikes = term_spikes(today=today)
        queue = term_spike(unit=world.hall, term="排队", today=today)
        steady = term_spike(unit=world.hall, term="材料", today=today)
    flagged = {(s.unit.code, s.term) for s in spikes}
    assert ("H01", "排队") in flagged
    assert ("H01", "tag:long_wait") in flagged  # the queue complaints carry that tag
    assert ("H01", "材料") not in flagged and ("H01", "tag:extra_materials") not in flagged
    assert queue.flagged and queue.recent == 6 and queue.weeks == (0, 0, 0, 1, 0, 0, 1, 0, 6)
    assert queue.expected == 0.5 and queue.p_value < 0.001
    assert sum(n for _day, n in queue.days) == 6 and len(queue.sample_ids) == 6
    assert not steady.flagged and steady.recent == 3 and steady.weeks == (3,) * 9
    evidence = queue.evidence()
    assert [w["count"] for w in evidence["weeks"]] == [0, 0, 0, 1, 0, 0, 1, 0, 6]
    assert evidence["weeks"][-1]["end"] == today.isoformat() and evidence["unit"] == "H01"


def test_spikes_below_the_minimum_count_are_not_flagged(world):
    today = timezone.localdate()
    moment = timezone.make_aware(datetime.combine(today, datetime.min.time())) + timedelta(hours=9)
    rate(world, [(moment, 5, "叫号系统故障"), (moment - timedelta(days=1), 5, "叫号系统故障")], prefix="M")
    drained(world)
    with schema_context(world.info.schema):
        # two against nothing before is unusual enough at p < 0.5, but below the minimum count of three
        assert term_spikes(today=today, p_max=0.5) == []
        assert {s.term for s in term_spikes(today=today, p_max=0.5, min_count=2)} == {
            "叫号", "系统故障", "tag:long_wait"
        }  # fmt: skip
