"""The national feed: every rating revision, exclusion and case event reaches the public feed exactly once,
in cursor order without gaps, with no evaluator identity; the cursor API resumes; reconciliation matches the
tenant's own rollups; replays are de-duplicated; a relay that dies mid-append loses and doubles nothing."""

import json
from datetime import datetime, timedelta

import pytest
from control_plane.feed import feed_append, feed_sweep, pending_outbox, reconciliation
from control_plane.models import FeedCounter, FeedRecord, TenantDayStats
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.evaluations.models import Evaluation
from tenants.evaluations.services import EvaluationInput, evaluations_submit
from tenants.feed.services import feed_replay
from tenants.insight.services import rollups_drain
from tests.conftest import key_client, make_key
from tests.supervision.conftest import rate_transactions

RATED = timezone.make_aware(datetime(2026, 3, 10, 9, 0))
PII = ("李0明", "李1明", "13800130000", "13800130001", "11010519491231002X")


@pytest.fixture(autouse=True)
def _empty_outboxes(tenant_pair, db):
    """Browser tests commit ratings in alpha and beta and clean up after themselves, but their outbox rows (and
    the day records of their clean-up rebuilds) stay: start from empty outboxes (rolled back after the test)."""
    for info in tenant_pair.values():
        with schema_context(info.schema), connection.cursor() as cur:
            cur.execute("DELETE FROM feed_feedoutbox")


def ship(world):
    """What the worker and the relay do: rollups (and their day records), then the feed."""
    with schema_context(world.info.schema):
        rollups_drain()
    return feed_sweep()


def records(tenant, kind=None):
    rows = FeedRecord.objects.filter(tenant=tenant).order_by("cursor")
    return list(rows.filter(kind=kind) if kind else rows)


def test_ratings_cases_and_days_reach_the_feed_once_in_cursor_order(world):
    start = FeedCounter.objects.get().last
    rate_transactions(world, 3, start=RATED, level=1, prefix="G")
    rate_transactions(world, 2, start=RATED, level=5, prefix="B")  # two bad reviews: two cases
    appended = ship(world)
    tenant = world.info.tenant
    cursors = [r.cursor for r in records(tenant)]
    assert cursors == list(range(start + 1, start + appended + 1))  # contiguous, no gaps
    assert len(records(tenant, "evaluation")) == 5
    assert len(records(tenant, "case")) >= 2
    day = records(tenant, "day")[-1]
    assert day.payload["ratings"] == 5 and day.payload["bad"] == 2 and day.day == RATED.date()
    assert TenantDayStats.objects.get(tenant=tenant, day=RATED.date()).ratings == 5
    with schema_context(world.info.schema):
        assert pending_outbox(tenant) == 0
    assert ship(world) == 0  # nothing twice


def test_evaluation_records_carry_codes_and_no_identity(world):
    rate_transactions(world, 2, start=RATED, level=4, prefix="P")  # real-name ratings with phone and ID
    ship(world)
    body = json.dumps([r.payload for r in records(world.info.tenant)], ensure_ascii=False)
    record = records(world.info.tenant, "evaluation")[0].payload
    assert (
        record["item_code"] == "ITEM-001" and record["unit_code"] == "H01" and record["window_code"] == "W01"
    )
    assert record["channel"] == "device" and record["level"] == 4 and record["realname"] is True
    assert len(record["evaluator_hash"]) == 64 and record["case_state"] == "new"
    assert not [p for p in PII if p in body]


def test_revisions_and_exclusions_are_records_and_reconcile(world):
    ids = rate_transactions(world, 3, start=RATED, level=4, prefix="R")
    ship(world)
    with schema_context(world.info.schema):
        revised = RATED + timedelta(hours=1)
        evaluations_submit(
            actor=Actor.system("t"),
            items=[EvaluationInput(transaction="R00000", level=1, channel="device", rated_at=revised)],
            now=revised,
        )
        Evaluation.objects.filter(pk=ids[1]).update(excluded=True)  # an upheld appeal
    ship(world)
    tenant = world.info.tenant
    assert [r.revision for r in records(tenant, "evaluation") if r.payload["transaction"] == "R00000"] == [
        1,
        2,
    ]
    assert [(r.ref_id, r.payload["excluded"]) for r in records(tenant, "exclusion")] == [(ids[1], True)]
    (row,) = reconciliation(tenant, RATED.date(), RATED.date())
    assert (row["feed_ratings"], row["rollup_ratings"], row["missing"]) == (2, 2, 0)


def test_a_replay_adds_nothing_twice(world):
    rate_transactions(world, 3, start=RATED, level=2, prefix="Y")
    rate_transactions(world, 1, start=RATED, level=5, prefix="Z")
    ship(world)
    before = {k: len(records(world.info.tenant, k)) for k in ("evaluation", "case", "day")}
    with schema_context(world.info.schema):
        queued = feed_replay()
    assert queued["evaluation"] == 4
    ship(world)
    after = {k: len(records(world.info.tenant, k)) for k in before}
    assert after["evaluation"] == before["evaluation"] and after["case"] == before["case"]
    assert after["day"] == before["day"] + 1  # a day's figures get a new revision; the latest wins


def test_an_append_that_fails_before_commit_loses_and_doubles_nothing(world):
    rate_transactions(world, 3, start=RATED, level=1, prefix="K")
    counter = FeedCounter.objects.get().last

    def die():
        raise RuntimeError("relay killed")

    with pytest.raises(RuntimeError, match="relay killed"):
        feed_append(world.info.tenant, before_commit=die)
    assert FeedCounter.objects.get().last == counter and not records(world.info.tenant)
    with schema_context(world.info.schema):
        assert pending_outbox(world.info.tenant) == 3 + 0  # three ratings, still queued
    feed_sweep()
    assert len(records(world.info.tenant, "evaluation")) == 3
    assert [r.cursor for r in records(world.info.tenant)] == list(range(counter + 1, counter + 4))


def test_the_cursor_api_resumes_without_gaps_or_repeats(world, national_key):
    rate_transactions(world, 5, start=RATED, level=2, prefix="C")
    ship(world)
    client = key_client("localhost", national_key)
    seen, after = [], FeedCounter.objects.get().last - len(records(world.info.tenant))
    while True:
        response = client.get(f"/api/national/v1/feed?after={after}&limit=3")
        assert response.status_code == 200 and response["Content-Type"] == "application/x-ndjson"
        lines = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
        if not lines:
            break
        assert len(lines) <= 3
        seen.extend(lines)
        after = lines[-1]["cursor"]
    assert [r["cursor"] for r in seen] == [r.cursor for r in records(world.info.tenant)]
    first = seen[0]
    assert first["tenant"] == "alpha" and first["region_code"] == world.info.tenant.region_code


@pytest.mark.parametrize("query", ["after=-1", "limit=0", "limit=10001", "after=x"])
def test_bad_feed_queries_get_a_problem(national_key, query):
    response = key_client("localhost", national_key).get(f"/api/national/v1/feed?{query}")
    assert response.status_code == 400 and response["Content-Type"].startswith("application/problem+json")


def test_tenant_keys_cannot_read_the_feed_and_national_keys_no_tenant_api(alpha, national_key):
    tenant_key = make_key(alpha.schema, "tenant_admin")
    assert key_client("localhost", tenant_key).get("/api/national/v1/feed").status_code == 401
    assert (
        key_client(alpha.host, national_key)
        .get("/api/v1/indicators?from=2026-01-01&to=2026-01-31")
        .status_code
        == 401
    )


def test_reconciliation_endpoint(world, national_key):
    rate_transactions(world, 2, start=RATED, level=1, prefix="Q")
    ship(world)
    client = key_client("localhost", national_key)
    body = client.get("/api/national/v1/reconciliation?tenant=alpha&from=2026-03-01&to=2026-03-31").json()
    assert body == [{"day": "2026-03-10", "feed_ratings": 2, "rollup_ratings": 2, "missing": 0}]
    assert (
        client.get("/api/national/v1/reconciliation?tenant=nope&from=2026-03-01&to=2026-03-31").status_code
        == 404
    )
    bad = client.get("/api/national/v1/reconciliation?tenant=alpha&from=2026-03-31&to=2026-03-01")
    assert bad.status_code == 400 and "to" in json.dumps(bad.json())


def test_a_rating_excluded_reinstated_and_excluded_again_is_three_records(world):
    (rating,) = rate_transactions(world, 1, start=RATED, level=5, prefix="X")
    for excluded in (True, False, True):
        with schema_context(world.info.schema):
            Evaluation.objects.filter(pk=rating).update(excluded=excluded)
        ship(world)
    states = [r.payload["excluded"] for r in records(world.info.tenant, "exclusion")]
    assert len(states) == 3 and states[-1] is True
    (row,) = reconciliation(world.info.tenant, RATED.date(), RATED.date())
    assert (row["feed_ratings"], row["rollup_ratings"], row["missing"]) == (0, 0, 0)


def test_a_replay_sends_days_with_only_transactions_too(world):
    from tenants.evaluations.models import Transaction

    rate_transactions(world, 1, start=RATED, level=1, prefix="D")
    with schema_context(world.info.schema):
        Transaction.objects.create(
            number="UNRATED", item=world.item, unit=world.hall, channel="device", status="finished",
            received_at=RATED + timedelta(days=1), finished_at=RATED + timedelta(days=1),
        )  # fmt: skip
    ship(world)
    TenantDayStats.objects.filter(tenant=world.info.tenant).delete()  # the national side lost its figures
    with schema_context(world.info.schema):
        feed_replay()
    ship(world)
    days = dict(TenantDayStats.objects.filter(tenant=world.info.tenant).values_list("day", "transactions"))
    assert days == {RATED.date(): 1, RATED.date() + timedelta(days=1): 1}


def test_the_envelope_wins_over_payload_fields(world, national_key):
    (rating,) = rate_transactions(world, 1, start=RATED, level=5, prefix="V")
    with schema_context(world.info.schema):
        Evaluation.objects.filter(pk=rating).update(excluded=True)
    ship(world)
    exclusion = records(world.info.tenant, "exclusion")[0]
    after = exclusion.cursor - 1
    line = json.loads(
        b"".join(
            key_client("localhost", national_key)
            .get(f"/api/national/v1/feed?after={after}&limit=1")
            .streaming_content
        )
    )
    assert (
        line["kind"] == "exclusion"
        and line["revision"] == exclusion.revision
        and line["rating_revision"] == 1
    )


def test_one_broken_tenant_does_not_stop_the_relay_for_the_others(world, beta, monkeypatch):
    from control_plane import feed

    rate_transactions(world, 2, start=RATED, level=1, prefix="O")
    real = feed.feed_drain

    def drain(tenant, **kwargs):
        if tenant.slug == "beta":
            raise RuntimeError("a damaged schema")
        return real(tenant, **kwargs)

    monkeypatch.setattr(feed, "feed_drain", drain)
    with schema_context(beta.schema), connection.cursor() as cur:
        cur.execute("INSERT INTO feed_feedoutbox (kind, ref_id, revision) VALUES ('evaluation', 999999, 1)")
    assert feed.feed_sweep() > 0
    assert len(records(world.info.tenant, "evaluation")) == 2


def test_the_probe_skips_schemas_without_the_outbox(world):
    from tenants.selectors import schemas_with_rows

    rate_transactions(world, 1, start=RATED, level=1, prefix="S")
    with connection.cursor() as cur:
        cur.execute("CREATE SCHEMA behind")  # a tenant schema not migrated yet
    assert schemas_with_rows(["behind", world.info.schema], ("feed_feedoutbox",)) == [world.info.schema]
