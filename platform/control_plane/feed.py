"""The relay: tenants' outboxes → the public national feed (records with a gap-free cursor) and the national
daily figures. Run by `manage.py feed_relay` (infra/Procfile `feed`), woken by NOTIFY from the outbox
triggers, with a periodic sweep as the safety net.

Exactly once: a batch's outbox rows are deleted, its records appended and the cursor counter advanced in ONE
transaction, so a relay killed at any point leaves either all of it or none of it. Replays (a back-fill, a
duplicated outbox row) are dropped by the (tenant, kind, ref_id, revision) key before a cursor is given.
Order: appends hold one transaction-scoped advisory lock from taking cursors to commit, so cursors commit in
increasing order and a reader never sees N without everything below N.

Plans: a tenant whose plan lacks national-feed participation (billing.entitlements, feature "national_feed")
is not shipped. Its outbox rows stay pending (nothing is lost or dropped), so an upgrade ships its whole
history at the next sweep, in order; the probe keeps finding the tenant meanwhile, at the cost of one plan
lookup per sweep.
"""

from __future__ import annotations

import logging
import select
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import DatabaseError, OperationalError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django_tenants.utils import schema_context

from billing.entitlements import entitlement_allowed
from control_plane.benchmarking.services import month_stats_refresh
from control_plane.models import FeedRecord, TenantDayStats
from tenants.feed.services import NOTIFY_CHANNEL
from tenants.models import Tenant
from tenants.selectors import schemas_with_rows

log = logging.getLogger(__name__)

BATCH = 2000
APPEND_LOCK = 0x68637066656564  # "hcpfeed": one appender at a time, from cursors taken to commit
OUTBOX_TABLES = ("feed_feedoutbox",)


def _local_day(moment: datetime | None) -> date:
    return timezone.localtime(moment or timezone.now()).date()


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


# --- what a record says -----------------------------------------------------------------------------------
_EVALUATIONS_SQL = """
SELECT e.id, e.revision, e.stage, e.level, e.channel, e.reason_tags, e.is_current, e.is_default,
       e.is_supplementary, e.excluded, e.anonymous, e.evaluator_hash, e.rated_at, e.transaction_id,
       t.number, i.code, u.code, w.code, p.code, t.promise_type, c.number, c.state
FROM evaluations_evaluation e
JOIN evaluations_transaction t ON t.id = e.transaction_id
JOIN catalog_serviceitem i ON i.id = t.item_id
JOIN organisation_unit u ON u.id = t.unit_id
LEFT JOIN organisation_unit w ON w.id = t.window_id
LEFT JOIN organisation_platform p ON p.id = t.platform_id
LEFT JOIN cases_case c ON c.evaluation_id = e.id
WHERE e.id = ANY(%s)
"""

_CASES_SQL = """
SELECT c.id, c.number, c.state, c.outcome, c.realname, c.opened_at, c.contacted_at, c.feedback_at,
       c.closed_at, c.rectify_due, c.evaluator_opinion, c.source, e.id, e.rated_at, t.number, u.code
FROM cases_case c
JOIN organisation_unit u ON u.id = c.unit_id
LEFT JOIN evaluations_evaluation e ON e.id = c.evaluation_id
LEFT JOIN evaluations_transaction t ON t.id = c.transaction_id
WHERE c.id = ANY(%s)
"""


def _evaluation_payloads(ids: list[int]) -> dict[int, dict]:
    if not ids:
        return {}
    with connection.cursor() as cur:
        cur.execute(_EVALUATIONS_SQL, [ids])
        rows = cur.fetchall()
    out = {}
    for (
        pk, revision, stage, level, channel, tags, is_current, is_default, is_supplementary, excluded, anonymous,
        evaluator_hash, rated_at, _txn_id, number, item, unit, window, platform, promise, case_no, case_state,
    ) in rows:  # fmt: skip
        out[pk] = {
            "evaluation_id": pk,
            "transaction": number,
            "stage": stage,
            "rating_revision": revision,
            "item_code": item,
            "unit_code": unit,
            "window_code": window,
            "platform_code": platform,
            "promise_type": promise,
            "channel": channel,
            "level": level,
            "tags": list(tags),
            "active": not is_default,
            "default": is_default,
            "supplementary": is_supplementary,
            "current": is_current,
            "excluded": excluded,
            "realname": not anonymous,
            "evaluator_hash": evaluator_hash or None,  # keyed hash, never the identity
            "rated_at": _iso(rated_at),
            "case": case_no,
            "case_state": case_state,
            "_day": _local_day(rated_at),
        }
    return out


def _case_payloads(ids: list[int]) -> dict[int, dict]:
    if not ids:
        return {}
    with connection.cursor() as cur:
        cur.execute(_CASES_SQL, [ids])
        rows = cur.fetchall()
    out = {}
    for (
        pk, number, state, outcome, realname, opened_at, contacted_at, feedback_at, closed_at, rectify_due,
        opinion, source, evaluation_id, rated_at, txn_number, unit,
    ) in rows:  # fmt: skip
        out[pk] = {
            "case": number,
            "source": source,
            "state": state,
            "outcome": outcome or None,
            "realname": realname,
            "evaluation_id": evaluation_id,
            "transaction": txn_number,
            "unit_code": unit,
            "opened_at": _iso(opened_at),
            "contacted_at": _iso(contacted_at),
            "feedback_at": _iso(feedback_at),
            "closed_at": _iso(closed_at),
            "on_time": None if closed_at is None else closed_at <= rectify_due,
            "evaluator_opinion": opinion or None,
            "_day": _local_day(rated_at or opened_at),
        }
    return out


def _day_payloads(ordinals: list[int]) -> dict[int, dict]:
    """The tenant's own figures for each day, from its rollups (tenants.insight)."""
    from tenants.insight.models import (
        CaseDayRollup,
        RatingDayRollup,
        TransactionDayRollup,
        TransactionRollup,
    )
    from tenants.insight.selectors import CASE_MEASURES, RATING_MEASURES, TRANSACTION_MEASURES

    days = [date.fromordinal(o) for o in ordinals]
    if not days:
        return {}
    figures: dict[date, dict] = {d: {"channels": {}} for d in days}
    zero = dict.fromkeys([*RATING_MEASURES, *TRANSACTION_MEASURES, "immediate", *CASE_MEASURES], 0)
    for d in days:
        figures[d].update(zero)
    for row in RatingDayRollup.objects.filter(day__in=days).values("day").annotate(**RATING_MEASURES):
        figures[row.pop("day")].update(row)
    for row in RatingDayRollup.objects.filter(day__in=days).values("day", "channel").annotate(n=Sum("count")):
        figures[row["day"]]["channels"][row["channel"]] = row["n"]
    for row in (
        TransactionDayRollup.objects.filter(day__in=days).values("day").annotate(**TRANSACTION_MEASURES)
    ):
        figures[row.pop("day")].update(row)
    immediate = (
        TransactionRollup.objects.filter(day__in=days, promise_type="immediate")
        .values("day")
        .annotate(n=Sum("transactions"))
    )
    for row in immediate:
        figures[row["day"]]["immediate"] = row["n"]
    for row in CaseDayRollup.objects.filter(day__in=days).values("day").annotate(**CASE_MEASURES):
        figures[row.pop("day")].update(row)
    return {d.toordinal(): {"day": d.isoformat(), **f, "_day": d} for d, f in figures.items()}


# --- one append -------------------------------------------------------------------------------------------
@dataclass
class AppendResult:
    taken: int = 0  # outbox rows consumed
    appended: int = 0  # new feed records
    duplicates: int = 0  # dropped: already in the feed
    last_cursor: int | None = None


def _records(tenant: Tenant, rows: list[tuple]) -> list[dict]:
    by_kind: dict[str, list[int]] = {}
    for _id, kind, ref_id, _rev, _at in rows:
        by_kind.setdefault(kind, []).append(ref_id)
    evaluations = _evaluation_payloads(
        sorted(set(by_kind.get("evaluation", []) + by_kind.get("exclusion", [])))
    )
    cases = _case_payloads(sorted(set(by_kind.get("case", []))))
    days = _day_payloads(sorted(set(by_kind.get("day", []))))
    source = {"evaluation": evaluations, "exclusion": evaluations, "case": cases, "day": days}
    records, seen = [], set()
    for _id, kind, ref_id, revision, at in rows:
        key = (kind, ref_id, revision)
        body = source.get(kind, {}).get(ref_id)
        if key in seen or body is None:  # a repeated row, or its row is gone (a deleted test tenant's case)
            continue
        seen.add(key)
        payload = {k: v for k, v in body.items() if not k.startswith("_")}
        records.append(
            {
                "kind": kind,
                "ref_id": ref_id,
                "revision": revision,
                "day": body["_day"],
                "at": at,
                "payload": payload,
            }
        )
    return records


def feed_append(
    tenant: Tenant, *, batch: int = BATCH, before_commit: Callable[[], None] | None = None
) -> AppendResult:
    """Move up to `batch` outbox rows of `tenant` into the feed, in one transaction. `before_commit` is for
    tests that kill the relay mid-append."""
    result = AppendResult()
    if not entitlement_allowed(tenant=tenant, feature="national_feed"):
        return result  # not on this plan: the rows wait in the outbox for an upgrade
    with schema_context(tenant.schema_name), transaction.atomic(), connection.cursor() as cur:
        # taken before the outbox rows: two relays never interleave one tenant's events out of order
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [APPEND_LOCK])
        cur.execute(
            "DELETE FROM feed_feedoutbox WHERE id IN ("
            "  SELECT id FROM feed_feedoutbox ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED"
            ") RETURNING id, kind, ref_id, revision, at",
            [batch],
        )
        rows = sorted(cur.fetchall())
        result.taken = len(rows)
        if not rows:
            return result
        records = _records(tenant, rows)
        keys = {(r["kind"], r["ref_id"], r["revision"]) for r in records}
        existing = set(
            FeedRecord.objects.filter(tenant=tenant, ref_id__in={k[1] for k in keys}).values_list(
                "kind", "ref_id", "revision"
            )
        )
        fresh = [r for r in records if (r["kind"], r["ref_id"], r["revision"]) not in existing]
        result.duplicates = len(records) - len(fresh)
        if fresh:
            cur.execute(
                "UPDATE control_plane_feedcounter SET last = last + %s WHERE id = 1 RETURNING last",
                [len(fresh)],
            )
            last = cur.fetchone()[0]
            now = timezone.now()
            first = last - len(fresh) + 1
            FeedRecord.objects.bulk_create(
                [
                    FeedRecord(
                        cursor=first + i, tenant=tenant, kind=r["kind"], ref_id=r["ref_id"], revision=r["revision"],
                        day=r["day"], occurred_at=r["at"], appended_at=now, payload=r["payload"],
                        transaction=r["payload"].get("transaction") or "" if r["kind"] == "evaluation" else "",
                        stage=r["payload"].get("stage") or "" if r["kind"] == "evaluation" else "",
                    )
                    for i, r in enumerate(fresh)
                ]
            )  # fmt: skip
            _national_days(tenant, [r for r in fresh if r["kind"] == "day"])
            result.appended, result.last_cursor = len(fresh), last
        if before_commit is not None:
            before_commit()
        if settings.FEED_APPEND_PAUSE_SECONDS:  # failure drills: a relay killed here must lose nothing
            time.sleep(settings.FEED_APPEND_PAUSE_SECONDS)
    return result


_DAY_FIELDS = [
    f.name for f in TenantDayStats._meta.concrete_fields if f.name not in ("id", "tenant", "day", "revision")
]
_PAYLOAD_KEYS = {"cases": "total"}  # the day payload names the case count as insight's CASE_MEASURES do


def _national_days(tenant: Tenant, records: list[dict]) -> None:
    """The national daily figures: the latest `day` record of each (tenant, day)."""
    latest: dict[date, dict] = {}
    for r in records:
        if r["day"] not in latest or r["revision"] > latest[r["day"]]["revision"]:
            latest[r["day"]] = r
    stored = dict(
        TenantDayStats.objects.filter(tenant=tenant, day__in=list(latest)).values_list("day", "revision")
    )
    latest = {
        day: r for day, r in latest.items() if r["revision"] > stored.get(day, -1)
    }  # newer figures only
    rows = [
        TenantDayStats(
            tenant=tenant,
            day=day,
            revision=r["revision"],
            **{f: r["payload"].get(_PAYLOAD_KEYS.get(f, f), 0) for f in _DAY_FIELDS},
        )
        for day, r in latest.items()
    ]
    TenantDayStats.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["tenant", "day"], update_fields=["revision", *_DAY_FIELDS]
    )
    month_stats_refresh(tenant=tenant, days=list(latest))  # benchmarking's month rows of those days


def feed_drain(tenant: Tenant, *, max_batches: int = 50) -> AppendResult:
    """Append until the tenant's outbox is empty (or `max_batches`)."""
    total = AppendResult()
    for _ in range(max_batches):
        step = feed_append(tenant)
        total.taken += step.taken
        total.appended += step.appended
        total.duplicates += step.duplicates
        total.last_cursor = step.last_cursor or total.last_cursor
        if step.taken < BATCH:
            break
    return total


# --- the relay loop ---------------------------------------------------------------------------------------
def _tenants_by_schema() -> dict[str, Tenant]:
    return {t.schema_name: t for t in Tenant.objects.exclude(schema_name="public")}


def _drain_safely(tenant: Tenant) -> int:
    """One tenant's trouble (a schema behind on migrations, a bad row) is logged and never stops the others."""
    try:
        return feed_drain(tenant).appended
    except Exception:
        log.exception(
            "feed relay: draining %s failed; it is retried on the next wake-up or sweep", tenant.slug
        )
        if not connection.in_atomic_block:  # a broken connection is replaced (the relay runs outside one)
            connection.close_if_unusable_or_obsolete()
        return 0


def feed_sweep() -> int:
    """Drain every tenant that has outbox rows (one probing query finds them). Returns records appended."""
    tenants = _tenants_by_schema()
    appended = 0
    for schema in schemas_with_rows(sorted(tenants), OUTBOX_TABLES):
        appended += _drain_safely(tenants[schema])
    return appended


def _listening_connection():
    """A connection of its own (the same settings as Django's), in autocommit, LISTENing for the outbox
    triggers' NOTIFY. Returns (django wrapper, psycopg connection)."""
    from django.db import connections

    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    wrapper.set_autocommit(True)
    raw = wrapper.connection
    raw.execute(f"LISTEN {NOTIFY_CHANNEL}")
    return wrapper, raw


def feed_relay(
    *, stop: Callable[[], bool] = lambda: False, sweep_seconds: float = 30.0, wait: float = 1.0
) -> None:
    """Run until `stop()`: drain the tenants that notify, at once; sweep all of them every `sweep_seconds`."""
    wrapper, listener = _listening_connection()
    tenants = _tenants_by_schema()
    next_sweep = 0.0
    try:
        while not stop():
            if time.monotonic() >= next_sweep:
                try:
                    feed_sweep()
                except DatabaseError:
                    log.exception("feed relay: sweep failed; retried in %s s", sweep_seconds)
                    connection.close_if_unusable_or_obsolete()
                tenants = _tenants_by_schema()
                next_sweep = time.monotonic() + sweep_seconds
            ready, _, _ = select.select([listener.fileno()], [], [], wait)
            if not ready:
                continue
            try:
                schemas = {n.payload for n in listener.notifies(timeout=0)}
            except OperationalError:  # the database went away: listen again (the sweep catches up)
                log.warning("feed relay: listening connection lost, reconnecting")
                wrapper.close()
                time.sleep(wait)
                wrapper, listener = _listening_connection()
                next_sweep = 0.0
                continue
            for schema in sorted(schemas):
                tenant = tenants.get(schema)
                if tenant is None:
                    tenants = _tenants_by_schema()  # a tenant created since
                    tenant = tenants.get(schema)
                if tenant is not None:
                    _drain_safely(tenant)
            connection.close_if_unusable_or_obsolete()
    finally:
        wrapper.close()


# --- reading ----------------------------------------------------------------------------------------------
def feed_read(*, after: int, limit: int) -> list[FeedRecord]:
    return list(
        FeedRecord.objects.filter(cursor__gt=after).select_related("tenant").order_by("cursor")[:limit]
    )


def feed_counted_per_day(tenant: Tenant, start: date, end: date) -> dict[date, int]:
    """Counted ratings per day as the feed alone tells it: for each (transaction, stage) the highest revision
    shipped, unless its latest exclusion record excludes it (reconciliation against the tenant's rollups)."""
    with connection.cursor() as cur:
        cur.execute(
            """
            WITH rated AS (
                SELECT ref_id, day, transaction, stage, revision FROM control_plane_feedrecord
                WHERE tenant_id = %(tenant)s AND kind = 'evaluation' AND day BETWEEN %(start)s AND %(end)s
            ),
            latest AS (  -- no later revision of the same transaction and stage, on any day (an index probe)
                SELECT r.* FROM rated r WHERE NOT EXISTS (
                    SELECT 1 FROM control_plane_feedrecord f
                    WHERE f.tenant_id = %(tenant)s AND f.transaction = r.transaction AND f.stage = r.stage
                      AND f.kind = 'evaluation' AND f.revision > r.revision
                )
            ),
            excluded AS (
                SELECT DISTINCT ON (ref_id) ref_id, (payload->>'excluded')::boolean AS excluded
                FROM control_plane_feedrecord
                WHERE tenant_id = %(tenant)s AND kind = 'exclusion' AND ref_id IN (SELECT ref_id FROM latest)
                ORDER BY ref_id, revision DESC, cursor DESC
            )
            SELECT l.day, count(*) FROM latest l LEFT JOIN excluded x ON x.ref_id = l.ref_id
            WHERE NOT coalesce(x.excluded, false)
            GROUP BY l.day
            """,
            {"tenant": tenant.pk, "start": start, "end": end},
        )
        return dict(cur.fetchall())


def reconciliation(tenant: Tenant, start: date, end: date) -> list[dict]:
    """Per day: counted ratings in the feed's evaluation records vs in the tenant's own rollups (its latest
    `day` record), and the difference (0 when complete)."""
    from_feed = feed_counted_per_day(tenant, start, end)
    from_rollups = dict(
        TenantDayStats.objects.filter(tenant=tenant, day__range=(start, end)).values_list("day", "ratings")
    )
    days = sorted(set(from_feed) | set(from_rollups))
    return [
        {
            "day": d,
            "feed_ratings": from_feed.get(d, 0),
            "rollup_ratings": from_rollups.get(d, 0),
            "missing": from_rollups.get(d, 0) - from_feed.get(d, 0),
        }
        for d in days
    ]


def pending_outbox(tenant: Tenant) -> int:
    with schema_context(tenant.schema_name), connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM feed_feedoutbox")
        return cur.fetchone()[0]
