"""National feed lag under intake load: how long a rating takes to reach the national feed, and that every
rating answered 201 gets there exactly once.

Why: the national feed must be complete and near-real-time (DOMAIN.md §12). A rating's outbox row is written
by a trigger in the rating's own transaction; the relay (`manage.py feed_relay`, woken by NOTIFY) appends it to
the public feed. The issue's targets: evaluation records' lag (FeedRecord.appended_at − occurred_at, where
occurred_at is the outbox row's transaction time) p99 ≤ 2 s, no rating missing from the feed, none twice.

How: the intake benchmark's world (bench_intake.build_world: a provisioned tenant with a hall, windows, device
and integration keys, committed) and its machinery (bench.intake_load): gunicorn with infra/gunicorn.conf.py
and the base settings production runs, wrk sending fresh ratings with inline transactions. wrk paces each
connection with a Lua `delay()` so the offered rate is a realistic one (a busy province's opening hour, not
the server's ceiling: the intake benchmark measures that). The relay runs as its own process, as in
production (infra/Procfile `feed`), started before the load. After a warm-up and the measured seconds, the
bench waits for the tenant's outbox to drain, then reads every evaluation record of the measured ratings
from the feed: lag percentiles, ratings answered 201 without a record (missing), stored ratings without one,
and records beyond one per rating (duplicates).
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator

from django.db import connection
from django_tenants.utils import schema_context

from bench import intake_load
from bench.bench_intake import COMMENTS, SETTINGS, SLUG, _Sizes, build_world, completeness
from bench.core import Context, Row, log, percentile
from bench.intake_load import CpuMeter, LoadResult, LoadSpec, gunicorn, run_load, tree_cpu_seconds
from bench.tenancy import drop_tenants

P99_TARGET_S = 2.0
DRAIN_TIMEOUT_S = 60.0


class _Plan:
    def __init__(self, quick: bool) -> None:
        self.rate = 100 if quick else 250  # ratings/s offered (all connections together)
        self.connections = 8 if quick else 16
        self.warm_s = 2 if quick else 4
        self.measure_s = 4 if quick else 20


# --- pacing -------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def paced(delay_ms: int) -> Iterator[None]:
    """wrk waits `delay_ms` before each request of a connection (wrk's Lua `delay()` hook), added to the
    intake load's script for the duration: the offered rate is about connections / (delay + latency)."""
    original = intake_load.LUA_TEMPLATE
    intake_load.LUA_TEMPLATE = original + f"\nfunction delay()\n  return {int(delay_ms)}\nend\n"
    try:
        yield
    finally:
        intake_load.LUA_TEMPLATE = original


# --- the relay ----------------------------------------------------------------------------------------------
@contextlib.contextmanager
def running_relay(ctx: Context, log_path) -> Iterator[subprocess.Popen]:
    """`manage.py feed_relay` in its own process group with the bench's services; stopped (SIGTERM) after."""
    from devstack.services import stop_process_group

    with log_path.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, str(ctx.root / "manage.py"), "feed_relay"],
            cwd=ctx.root,
            env={**ctx.env, "DJANGO_SETTINGS_MODULE": SETTINGS, "LOG_LEVEL": "WARNING"},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while b"listening" not in log_path.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    "the feed relay did not start:\n" + log_path.read_text(errors="replace")[-2000:]
                )
            time.sleep(0.1)
        yield process
    finally:
        stop_process_group(process, grace=10)


def _outbox_rows() -> int:
    with schema_context(SLUG), connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM feed_feedoutbox")
        count = cur.fetchone()[0]
    connection.set_schema_to_public()
    return count


def wait_for_drain(timeout: float) -> float:
    """Seconds until the tenant's outbox is empty (the relay has appended everything)."""
    start = time.monotonic()
    while _outbox_rows():
        if time.monotonic() - start > timeout:
            raise RuntimeError(
                f"the outbox did not drain within {timeout:.0f} s ({_outbox_rows()} rows left)"
            )
        time.sleep(0.2)
    return time.monotonic() - start


# --- what reached the feed ----------------------------------------------------------------------------------
def feed_evaluations(prefix: str) -> list[tuple[str, int, int, float]]:
    """(transaction, ref_id, revision, lag in seconds) of every evaluation record of these ratings."""
    from tenants.models import Tenant

    tenant = Tenant.objects.get(schema_name=SLUG)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT payload->>'transaction', ref_id, revision, "
            "       EXTRACT(EPOCH FROM appended_at - occurred_at)::float8 "
            "FROM control_plane_feedrecord WHERE tenant_id = %s AND kind = 'evaluation' "
            "AND payload->>'transaction' LIKE %s",
            [tenant.pk, prefix + "%"],
        )
        return cur.fetchall()


def stored_numbers(prefix: str) -> set[str]:
    """Transaction numbers of the ratings stored in the tenant's schema."""
    with schema_context(SLUG), connection.cursor() as cur:
        cur.execute(
            "SELECT DISTINCT t.number FROM evaluations_transaction t "
            "JOIN evaluations_evaluation e ON e.transaction_id = t.id WHERE t.number LIKE %s",
            [prefix + "%"],
        )
        numbers = {row[0] for row in cur.fetchall()}
    connection.set_schema_to_public()
    return numbers


def _drop() -> None:
    """The feed's records protect their tenant: remove them with it (the bench's own tenant only), so the
    intake benchmark after this one starts from a clean slate."""
    from control_plane.models import FeedRecord, TenantDayStats

    from tenants.models import Tenant

    connection.set_schema_to_public()
    if not Tenant.objects.filter(schema_name=SLUG).exists():
        return
    FeedRecord.objects.filter(tenant__schema_name=SLUG).delete()
    TenantDayStats.objects.filter(tenant__schema_name=SLUG).delete()
    drop_tenants([SLUG])


# --- the benchmark ------------------------------------------------------------------------------------------
def run(ctx: Context) -> list[Row]:
    plan, details = _Plan(ctx.quick), ctx.details.setdefault("feed", {})
    _drop()  # one left by an interrupted run
    try:
        return _run(ctx, plan, details)
    finally:
        _drop()


def _load(world, port: int, prefix: str, seconds: float, plan: _Plan, meter: CpuMeter, workdir) -> LoadResult:
    spec = LoadSpec(
        host=world.host, path="/api/v1/evaluations", prefix=prefix, seconds=seconds,
        connections=plan.connections, clients=world.clients, items=world.items, tags=world.tags, comments=COMMENTS,
    )  # fmt: skip
    return run_load(spec, port=port, workdir=workdir, meter=meter)


def _run(ctx: Context, plan: _Plan, details: dict) -> list[Row]:
    log("provisioning the intake tenant (bench_intake's world) …")
    world = build_world(_Sizes(ctx.quick))
    delay_ms = max(1, round(1000 * plan.connections / plan.rate) - 5)  # minus a typical answer's few ms
    with (
        gunicorn(ctx.env, settings=SETTINGS, log_path=ctx.workdir / "feed-gunicorn.log") as server,
        running_relay(ctx, ctx.workdir / "feed-relay.log") as relay,
        paced(delay_ms),
    ):
        meter = CpuMeter({"gunicorn": server.pid, "relay": relay.pid})
        port = server.port  # type: ignore[attr-defined]
        log(
            f"warm-up {plan.warm_s} s, then {plan.measure_s} s at ~{plan.rate}/s ({plan.connections} connections) …"
        )
        _load(world, port, "FW", plan.warm_s, plan, meter, ctx.workdir)
        relay_cpu = tree_cpu_seconds(relay.pid)
        result = _load(world, port, "FM", plan.measure_s, plan, meter, ctx.workdir)
        drain_s = wait_for_drain(DRAIN_TIMEOUT_S)
        relay_cpu = tree_cpu_seconds(relay.pid) - relay_cpu
        relay_log = (ctx.workdir / "feed-relay.log").read_text(errors="replace")
    log(
        f"  {result.rate:.0f} ratings/s, {len(result.created)} answered 201; outbox drained {drain_s:.1f} s after"
    )

    records = feed_evaluations("FM-")
    lags = [lag for *_rest, lag in records]
    per_transaction: dict[str, int] = {}
    for number, *_rest in records:
        per_transaction[number] = per_transaction.get(number, 0) + 1
    created = set(result.created)
    missing = len(created - per_transaction.keys())
    duplicates = sum(n - 1 for n in per_transaction.values()) + (
        len(records) - len({(r[1], r[2]) for r in records})
    )
    stored = completeness(["FM-"], result.created)
    unrecorded_stored = len(stored_numbers("FM-") - per_transaction.keys())
    p50, p99 = percentile(lags, 50), percentile(lags, 99)
    details.update(
        {
            "offered_rate": plan.rate,
            "connections": plan.connections,
            "wrk_delay_ms": delay_ms,
            "measure_s": plan.measure_s,
            "rate": round(result.rate, 1),
            "created": len(created),
            "statuses": dict(result.statuses),
            "intake_p99_ms": round(result.p(99), 1),
            "records": len(records),
            "lag_s": {
                "p50": round(p50, 4), "p90": round(percentile(lags, 90), 4), "p99": round(p99, 4),
                "max": round(max(lags, default=0), 4),
            },
            "drain_s": round(drain_s, 2),
            "relay_cpu_s": round(relay_cpu, 2),
            "cpu_s": result.cpu,
            "completeness": stored.__dict__,
            "relay_log_tail": relay_log[-1500:],
        }
    )  # fmt: skip
    return [
        Row(
            "intake during the run",
            round(result.rate),
            unit="ratings/s",
            note=f"POST /api/v1/evaluations, {plan.connections} paced conns (offered ~{plan.rate}/s), "
            f"{plan.measure_s} s; intake p99 {result.p(99):.0f} ms; {result.tool}",
        ),
        Row(
            "feed lag p50 (evaluation records)", p50, unit="s", note="appended_at − occurred_at (outbox time)"
        ),
        Row(
            "feed lag p99 (evaluation records)",
            p99,
            unit="s",
            target=f"≤ {P99_TARGET_S:g} s",
            passed=bool(lags) and p99 <= P99_TARGET_S,
            note=f"max {max(lags, default=0):.3f} s over {len(lags)} records; relay CPU "
            f"{1000 * relay_cpu / max(len(lags), 1):.2f} ms per record; outbox empty {drain_s:.1f} s after the load",
        ),
        Row(
            "ratings answered 201 missing from the feed",
            missing,
            unit="",
            target="0",
            passed=missing == 0 and unrecorded_stored == 0 and bool(created),
            note=f"{len(created)} answered 201, {stored.stored} stored, {len(per_transaction)} in the feed; "
            f"stored without a record {unrecorded_stored}",
        ),
        Row(
            "duplicate evaluation records",
            duplicates,
            unit="",
            target="0",
            passed=duplicates == 0,
            note="records beyond one per rating (each rating is a fresh transaction, revision 1)",
        ),
    ]
