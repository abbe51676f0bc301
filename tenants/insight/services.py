"""Keeping the rollups true: drain (every few seconds, by the worker), rebuild and check (commands).

Concurrency: a drain, a rebuild and a check of one tenant never overlap (an advisory lock per schema); a drain
that finds the lock taken simply leaves the work to the running one. A rebuild and a check run in one
REPEATABLE READ snapshot: change rows committed after it began stay in the table and are drained afterwards,
on top of rollups computed from raw rows that did not include them either.
"""

import logging
import zoneinfo
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from tenants.cases.selectors import bad_review_cases, case_measures
from tenants.evaluations.models import Evaluation, EvaluationPolicy, Transaction
from tenants.feed.services import feed_days_changed
from tenants.insight.models import CaseRollup, RatingDayRollup, RollupRun, TransactionRollup
from tenants.insight.textmining.services import comment_terms_apply, comment_terms_rebuild

log = logging.getLogger(__name__)

TZ = zoneinfo.ZoneInfo(settings.TIME_ZONE).key  # validated: inlined into SQL below
BATCH = 5000

# One definition of a rating's rollup key, used by the drain (over change rows) and by rebuild/check (over
# raw rows). `e` is the evaluation, `t` its transaction.
_RATING_KEY = {
    "day": f"(e.rated_at AT TIME ZONE '{TZ}')::date",
    "item_id": "t.item_id",
    "unit_id": "t.unit_id",
    "window_id": "t.window_id",
    "staff_id": "t.staff_id",
    "platform_id": "t.platform_id",
    "channel": "e.channel",
    "level": "e.level",
    "is_default": "e.is_default",
}
_DAY_KEY = {k: _RATING_KEY[k] for k in ("day", "channel", "level", "is_default")}
_HOUR_KEY = {
    "day": _RATING_KEY["day"],
    "hour": f"extract(hour FROM e.rated_at AT TIME ZONE '{TZ}')::smallint",
    "channel": "e.channel",
}
_ROLLUPS = (
    ("insight_ratingrollup", _RATING_KEY),
    ("insight_ratingdayrollup", _DAY_KEY),
    ("insight_ratinghourrollup", _HOUR_KEY),
)
_COUNTED = "e.is_current AND NOT e.excluded"


def _grouped(key: dict[str, str], measure: str, source: str) -> str:
    """SELECT <key columns>, <measure> FROM <source> GROUP BY <key>."""
    columns = ", ".join(f"{expr} AS {name}" for name, expr in key.items())
    positions = ", ".join(str(i) for i in range(1, len(key) + 1))  # names could be ambiguous (t.channel)
    return f"SELECT {columns}, {measure} AS n FROM {source} GROUP BY {positions}"  # noqa: S608


_FROM_RAW = (
    f"evaluations_evaluation e JOIN evaluations_transaction t ON t.id = e.transaction_id WHERE {_COUNTED}"
)


def _upsert(table: str, key: dict[str, str], select: str) -> str:
    names = ", ".join(key)
    return (
        f"INSERT INTO {table} ({names}, count) {select} "
        f"ON CONFLICT ({names}) DO UPDATE SET count = {table}.count + EXCLUDED.count"
    )


# One statement: take a batch of rating changes, add their signed counts to both rating rollups, and return
# the transactions and ratings they touched (for the transaction and case rollups).
def _drain_ratings_sql() -> str:
    # The change rows carry the rating's key columns (as `e`); only the transaction is joined.
    source = "batch e JOIN evaluations_transaction t ON t.id = e.transaction_id"
    upserts = ",\n".join(
        f"u_{i} AS ({_upsert(table, key, _grouped(key, 'sum(e.sign)', source))} RETURNING 1)"
        for i, (table, key) in enumerate(_ROLLUPS)
    )
    return f"""
WITH batch AS (
    DELETE FROM insight_ratingchange WHERE id IN (
        SELECT id FROM insight_ratingchange ORDER BY id LIMIT %s
    ) RETURNING *
),
{upserts}
SELECT coalesce(array_agg(DISTINCT transaction_id), '{{}}'), coalesce(array_agg(DISTINCT evaluation_id), '{{}}'),
       count(*), coalesce(array_agg(DISTINCT {_RATING_KEY["day"]}), '{{}}'),
       coalesce(array_agg(DISTINCT {_RATING_KEY["day"]}) FILTER (WHERE e.level >= 4), '{{}}')
FROM batch e
"""  # noqa: S608


DRAIN_RATINGS_SQL = _drain_ratings_sql()


# --- locking ---------------------------------------------------------------------------------------------
_LOCK_KEY = "hashtext(current_schema() || ':insight-rollups')"


def _try_lock() -> bool:
    """Transaction-scoped: released at commit or rollback."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT pg_try_advisory_xact_lock({_LOCK_KEY})")
        return cur.fetchone()[0]


@contextmanager
def _exclusive_snapshot():
    """Hold the tenant's rollup lock (waiting for a running drain) around one REPEATABLE READ transaction."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT pg_advisory_lock({_LOCK_KEY})")
    try:
        nested = connection.in_atomic_block  # a caller's transaction (tests): its isolation stands
        with transaction.atomic():
            if not nested:
                with connection.cursor() as cur:
                    cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield
    finally:
        with connection.cursor() as cur:
            cur.execute(f"SELECT pg_advisory_unlock({_LOCK_KEY})")


# --- days ------------------------------------------------------------------------------------------------
def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """[local midnight of `first`, local midnight after `last`)."""
    tz = zoneinfo.ZoneInfo(TZ)
    return (
        datetime.combine(first, time.min, tzinfo=tz),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz),
    )


def _local_days(column: str, table: str, where: str, params: list) -> set[date]:
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT DISTINCT ({column} AT TIME ZONE '{TZ}')::date FROM {table} WHERE {where}",  # noqa: S608
            params,
        )
        return {row[0] for row in cur.fetchall() if row[0] is not None}


_TXN_MOMENT = "coalesce(received_at, finished_at, created_at)"  # the transaction_moment index


def _transaction_days(ids: list[int]) -> set[date]:
    return _local_days(_TXN_MOMENT, "evaluations_transaction", "id = ANY(%s)", [ids]) if ids else set()


# A case belongs to the day of its bad review (the rating's time), as the ratings it is counted against do.
_CASE_SOURCE = "cases_case c JOIN evaluations_evaluation e ON e.id = c.evaluation_id"


def _case_days(*, case_ids: list[int] = (), evaluation_ids: list[int] = ()) -> set[date]:
    if not case_ids and not evaluation_ids:
        return set()
    where = "c.id = ANY(%s) OR c.evaluation_id = ANY(%s)"
    return _local_days("e.rated_at", _CASE_SOURCE, where, [list(case_ids), list(evaluation_ids)])


TAKE = 20_000  # transaction or case changes per drain (the rest waits for the next one)


def _take(table: str, column: str, *, limit: int | None = TAKE) -> list[int]:
    with connection.cursor() as cur:
        cur.execute(
            f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} ORDER BY id LIMIT %s) "  # noqa: S608
            f"RETURNING {column}",
            [limit],
        )
        return [row[0] for row in cur.fetchall()]


# --- transaction and case rollups: recomputed per day -----------------------------------------------------
def transaction_rollup_rows(day: date, *, now: datetime | None = None) -> list[TransactionRollup]:
    """The day's transaction rollup computed from the raw rows (used by the drain, the rebuild and the check)."""
    now = now or timezone.now()
    start, end = day_bounds(day, day)
    period = timedelta(
        days=EvaluationPolicy.objects.values_list("supplementary_days", flat=True).first() or 7
    )
    # 评价率 and 未评率 count ratings people gave: a default rating is what a transaction gets for NOT rating
    counted = Evaluation.objects.filter(
        transaction=OuterRef("pk"), is_current=True, excluded=False, is_default=False
    )
    closed = Q(finished_at__isnull=False, finished_at__lte=now - period)
    rows = (
        Transaction.objects.annotate(
            moment=Coalesce("received_at", "finished_at", "created_at"), has_rating=Exists(counted)
        )
        .filter(moment__gte=start, moment__lt=end)
        .values("item_id", "unit_id", "window_id", "staff_id", "platform_id", "channel", "promise_type")
        .annotate(
            transactions=Count("id"),
            rated=Count("id", filter=Q(has_rating=True)),
            finished_closed=Count("id", filter=closed),
            finished_unrated=Count("id", filter=closed & Q(has_rating=False)),
        )
        .order_by()
    )
    return [TransactionRollup(day=day, **row) for row in rows]


def case_rollup_rows(day: date) -> list[CaseRollup]:
    start, end = day_bounds(day, day)
    rows = (
        bad_review_cases()
        .filter(evaluation__rated_at__gte=start, evaluation__rated_at__lt=end)
        .values(
            "unit_id",
            "state",
            item_id=F("transaction__item_id"),
            window_id=F("transaction__window_id"),
            channel=F("evaluation__channel"),
        )
        .annotate(**case_measures())
        .order_by()
    )
    return [CaseRollup(day=day, **row) for row in rows]


def _refresh_days(model, rows_for: Callable[[date], list], days: Iterable[date]) -> int:
    days = sorted(set(days))
    if not days:
        return 0
    model.objects.filter(day__in=days).delete()
    rows = [row for day in days for row in rows_for(day)]
    model.objects.bulk_create(rows, batch_size=2000)
    if model._meta.db_table in _DERIVED:
        _derive_days(model._meta.db_table, days)
    return len(days)


# Small per-day tables summed from a fine one whenever its days are recomputed: tenant-wide figures read them.
_TXN_MEASURES = ("transactions", "rated", "finished_closed", "finished_unrated")
_CASE_MEASURES = tuple(case_measures())
_DERIVED = {  # fine table → (per-day table, its key, its measures)
    "insight_transactionrollup": ("insight_transactiondayrollup", ("day", "channel"), _TXN_MEASURES),
    "insight_caserollup": ("insight_casedayrollup", ("day", "channel", "state"), _CASE_MEASURES),
}


def _derived_select(fine: str, where: str) -> str:
    _table, key, measures = _DERIVED[fine]
    sums = ", ".join(f"sum({m})" for m in measures)
    return f"SELECT {', '.join(key)}, {sums} FROM {fine} WHERE {where} GROUP BY {', '.join(key)}"  # noqa: S608


def _derived_stored(fine: str) -> str:
    table, key, measures = _DERIVED[fine]
    return f"SELECT {', '.join((*key, *measures))} FROM {table}"  # noqa: S608


def _derive_days(fine: str, days: list[date] | None) -> None:
    """Recompute the per-day table of `fine` for `days` (None: all) from the fine rows."""
    table, key, measures = _DERIVED[fine]
    where, params = ("day = ANY(%s)", [days]) if days is not None else ("true", [])
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {table} WHERE {where}", params)  # noqa: S608
        cur.execute(
            f"INSERT INTO {table} ({', '.join((*key, *measures))}) {_derived_select(fine, where)}",
            params,
        )


# --- drain -----------------------------------------------------------------------------------------------
@dataclass
class DrainResult:
    ratings: int = 0
    transaction_days: int = 0
    case_days: int = 0
    skipped: bool = False  # another drain (or a rebuild) holds the lock
    batches: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.ratings or self.transaction_days or self.case_days)


def _drain_locked(result: DrainResult, *, max_batches: int, take_limit: int | None = TAKE) -> None:
    txn_ids: set[int] = set()
    evaluation_ids: set[int] = set()
    rating_days: set[date] = set()
    bad_days: set[date] = set()  # a bad rating that starts or stops counting moves its case's figures
    with connection.cursor() as cur:
        for _ in range(max_batches):
            cur.execute(DRAIN_RATINGS_SQL, [BATCH])
            transactions, evaluations, count, days, bad = cur.fetchone()
            result.batches += 1
            result.ratings += count
            txn_ids.update(transactions)
            evaluation_ids.update(evaluations)
            rating_days.update(days)
            bad_days.update(bad)
            if count < BATCH:
                break
    comment_terms_apply(evaluation_ids=sorted(evaluation_ids))  # comment analysis follows the same ratings
    txn_ids.update(_take("insight_transactionchange", "transaction_id", limit=take_limit))
    case_ids = _take("insight_casechange", "case_id", limit=take_limit)
    transaction_days = _transaction_days(sorted(txn_ids))
    # a case moves to the day of the newest bad revision it follows: the old day is among `bad_days`
    case_days = _case_days(case_ids=case_ids, evaluation_ids=sorted(evaluation_ids)) | bad_days
    result.transaction_days = _refresh_days(TransactionRollup, transaction_rollup_rows, transaction_days)
    result.case_days = _refresh_days(CaseRollup, case_rollup_rows, case_days)
    # the national feed carries each changed day's figures (tenants.feed)
    feed_days_changed(days=rating_days | transaction_days | case_days)


def rollups_drain(*, max_batches: int = 20) -> DrainResult:
    """Apply pending changes of the current tenant to its rollups. Safe to call any time, from any number of
    workers: one drains, the others return at once (`skipped`)."""
    result = DrainResult()
    with transaction.atomic():
        if not _try_lock():
            result.skipped = True
            return result
        _drain_locked(result, max_batches=max_batches)
        if result.changed:
            RollupRun.objects.update_or_create(
                kind="drain", defaults={"at": timezone.now(), "detail": _detail(result)}
            )
    return result


def _detail(result) -> dict:
    return {k: v for k, v in vars(result).items() if isinstance(v, int | bool | str | list)}


def rollups_mark_rating_period_closed(*, now: datetime | None = None) -> int:
    """Transactions whose rating period ended lately move into 未评率's denominator: mark their days for
    recomputation. Beat runs it every 6 hours; the 8-day look-back covers a worker that was down for a week."""
    now = now or timezone.now()
    period = timedelta(
        days=EvaluationPolicy.objects.values_list("supplementary_days", flat=True).first() or 7
    )
    ids = list(
        Transaction.objects.filter(
            finished_at__gt=now - period - timedelta(days=8), finished_at__lte=now - period
        ).values_list("id", flat=True)
    )
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO insight_transactionchange (transaction_id) SELECT unnest(%s::bigint[])", [ids]
        )
    return len(ids)


# --- rebuild and check -----------------------------------------------------------------------------------
def _all_days(moment: str, table: str) -> set[date]:
    return _local_days(moment, table, "true", [])


def rollups_rebuild(*, progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Recompute every rollup of the current tenant from the raw rows (intake carries on meanwhile)."""
    say = progress or (lambda _msg: None)
    with _exclusive_snapshot(), connection.cursor() as cur:
        for table in ("insight_ratingchange", "insight_transactionchange", "insight_casechange"):
            cur.execute(f"DELETE FROM {table}")  # noqa: S608
        counts = {}
        for table, key in _ROLLUPS:
            cur.execute(f"DELETE FROM {table}")  # noqa: S608
            cur.execute(
                f"INSERT INTO {table} ({', '.join(key)}, count) {_grouped(key, 'count(*)', _FROM_RAW)}"
            )
            counts[table] = cur.rowcount
            say(f"{table}: {cur.rowcount} rows")
        TransactionRollup.objects.all().delete()
        CaseRollup.objects.all().delete()
        txn_days = sorted(_all_days(_TXN_MOMENT, "evaluations_transaction"))
        case_days = sorted(_all_days("e.rated_at", _CASE_SOURCE))
        for done, day in enumerate(txn_days, 1):
            TransactionRollup.objects.bulk_create(transaction_rollup_rows(day), batch_size=2000)
            if done % 30 == 0 or done == len(txn_days):
                say(f"transactions: {done}/{len(txn_days)} days")
        for day in case_days:
            CaseRollup.objects.bulk_create(case_rollup_rows(day), batch_size=2000)
        say(f"cases: {len(case_days)} days")
        for fine in _DERIVED:  # after both fine tables are complete
            _derive_days(fine, None)
        counts["transaction_days"] = len(txn_days)
        counts["case_days"] = len(case_days)
        counts["comment_terms"] = comment_terms_rebuild()
        say(f"comment terms: {counts['comment_terms']} rows")
        rating_days = set(RatingDayRollup.objects.values_list("day", flat=True).distinct())
        feed_days_changed(days=rating_days | set(txn_days) | set(case_days))
        RollupRun.objects.update_or_create(kind="rebuild", defaults={"at": timezone.now(), "detail": counts})
    return counts


@dataclass
class Drift:
    table: str
    key: dict
    raw: object
    rollup: object


@dataclass
class CheckResult:
    drifts: list[Drift] = field(default_factory=list)
    compared: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.drifts


_TXN_KEY = ("item_id", "unit_id", "window_id", "staff_id", "platform_id", "channel", "promise_type")
_CASE_KEY = ("unit_id", "window_id", "item_id", "channel", "state")


def _compare_days(result: CheckResult, model, rows_for, days, key, measures) -> None:
    for day in days:
        expected = {
            tuple(getattr(r, k) for k in key): tuple(getattr(r, m) for m in measures) for r in rows_for(day)
        }
        # summed per key: two stored rows for one key (which no unique index prevents here) show as drift
        sums = {f"sum_{m}": Sum(m) for m in measures}
        stored = {
            tuple(r[k] for k in key): tuple(r[f"sum_{m}"] for m in measures)
            for r in model.objects.filter(day=day).values(*key).annotate(**sums).order_by()
        }
        for k in expected.keys() | stored.keys():
            if expected.get(k) != stored.get(k):
                result.drifts.append(
                    Drift(
                        model._meta.db_table,
                        {"day": str(day), **dict(zip(key, k, strict=True))},
                        expected.get(k),
                        stored.get(k),
                    )
                )
        result.compared[model._meta.db_table] = result.compared.get(model._meta.db_table, 0) + len(expected)


def rollups_check(*, limit: int = 50) -> CheckResult:
    """Compare every rollup with the raw rows, after draining what is pending, in one snapshot. Names each
    drifting key (up to `limit` per rating table) with the raw and the stored figure."""
    result = CheckResult()
    with _exclusive_snapshot(), connection.cursor() as cur:
        _drain_locked(DrainResult(), max_batches=10**6, take_limit=None)
        for table, key in _ROLLUPS:
            names = ", ".join(key)
            cur.execute(
                f"SELECT {names}, sum(raw), sum(stored) FROM ("  # noqa: S608
                f"  SELECT {names}, n AS raw, 0 AS stored FROM ({_grouped(key, 'count(*)', _FROM_RAW)}) r"
                f"  UNION ALL SELECT {names}, 0, count FROM {table}"
                f") x GROUP BY {names} HAVING sum(raw) <> sum(stored) LIMIT %s",
                [limit],
            )
            for row in cur.fetchall():
                result.drifts.append(
                    Drift(table, dict(zip(key, row[: len(key)], strict=True)), row[-2], row[-1])
                )
            cur.execute(f"SELECT count(*) FROM {table} WHERE count <> 0")  # noqa: S608
            result.compared[table] = cur.fetchone()[0]
        _compare_days(
            result,
            TransactionRollup,
            transaction_rollup_rows,
            sorted(
                _all_days(_TXN_MOMENT, "evaluations_transaction")
                | set(TransactionRollup.objects.values_list("day", flat=True).distinct())
            ),
            _TXN_KEY,
            _TXN_MEASURES,
        )
        _compare_days(
            result,
            CaseRollup,
            case_rollup_rows,
            sorted(
                _all_days("e.rated_at", _CASE_SOURCE)
                | set(CaseRollup.objects.values_list("day", flat=True).distinct())
            ),
            _CASE_KEY,
            _CASE_MEASURES,
        )
        # the per-day tables against the sums of the (checked) fine ones
        for fine, (table, key, _measures) in _DERIVED.items():
            derived, stored = _derived_select(fine, "true"), _derived_stored(fine)
            names = ", ".join(key)
            cur.execute(
                f"SELECT {names} FROM ({derived} EXCEPT {stored}) a "  # noqa: S608
                f"UNION SELECT {names} FROM ({stored} EXCEPT {derived}) b"
            )
            for row in cur.fetchall():
                result.drifts.append(Drift(table, dict(zip(key, map(str, row), strict=True)), None, None))
        RollupRun.objects.update_or_create(
            kind="check",
            defaults={"at": timezone.now(), "detail": {"drifts": len(result.drifts), **result.compared}},
        )
    return result
