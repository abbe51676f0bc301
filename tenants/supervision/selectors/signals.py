"""Integrity signals: patterns in the ratings that may mean coercion or inflation (DOMAIN §8: nobody may force
or interfere with an evaluator). Flags are for supervisors to look into. They are computed on demand from
SQL aggregates and window functions and are never written anywhere: no rating is dropped or altered because
of a flag.

(a) burst  — per device: many ratings each given seconds after the transaction finished, within a short
             sliding window (someone pressing the pad for the evaluators).
(b) streak — per window and per staff member: a long unbroken run of level 1–2 ratings.
(c) rate   — per window: active ratings ÷ finished transactions far from the peers' median (the windows of
             the same hall, or of the whole tenant when the hall has too few), by a robust z-score
             0.6745·(x − median)/MAD (Iglewicz–Hoaglin), falling back to the mean absolute deviation when
             the MAD is 0.
"""

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.utils import timezone

from tenants.evaluations.models import Evaluation, Transaction
from tenants.organisation.models import Device, Staff, Unit

BURST, STREAK, RATE = "burst", "streak", "rate"


@dataclass(frozen=True)
class SignalThresholds:
    burst_gap_seconds: int = 10  # a rating this soon after the transaction finished is "quick"
    burst_span_seconds: int = 300  # … and this many quick ratings from one device within this span
    burst_min_count: int = 8
    streak_min_length: int = 100  # consecutive level 1–2 ratings
    rate_min_transactions: int = 30  # windows with fewer finished transactions are not compared
    rate_min_peers: int = 3  # a hall with fewer comparable windows is compared with the whole tenant
    rate_z: float = 3.5
    examples: int = 10


@dataclass(frozen=True)
class Signal:
    kind: str  # burst | streak | rate
    subject_type: str  # device | window | staff
    subject_id: int
    subject_label: str
    count: int  # ratings in the burst / length of the streak / transactions of the window
    started_at: datetime | None
    ended_at: datetime | None
    evidence: dict = field(default_factory=dict)
    example_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SignalReport:
    start: datetime
    end: datetime
    thresholds: SignalThresholds
    bursts: list[Signal]
    streaks: list[Signal]
    rates: list[Signal]

    @property
    def all(self) -> list[Signal]:
        return [*self.bursts, *self.streaks, *self.rates]


_EV = Evaluation._meta.db_table
_TX = Transaction._meta.db_table
_UNIT = Unit._meta.db_table

_BURST_SQL = f"""
WITH quick AS (
    SELECT e.id, e.device_id, e.rated_at
    FROM {_EV} e JOIN {_TX} t ON t.id = e.transaction_id
    WHERE e.rated_at >= %(start)s AND e.rated_at < %(end)s
      AND e.device_id IS NOT NULL AND NOT e.is_default
      AND t.finished_at IS NOT NULL
      AND e.rated_at >= t.finished_at
      AND e.rated_at <= t.finished_at + make_interval(secs => %(gap)s)
),
windowed AS (
    SELECT device_id, rated_at, count(*) OVER w AS n, min(rated_at) OVER w AS started
    FROM quick
    WINDOW w AS (PARTITION BY device_id ORDER BY rated_at
                 RANGE BETWEEN make_interval(secs => %(span)s) PRECEDING AND CURRENT ROW)
),
peak AS (
    SELECT DISTINCT ON (device_id) device_id, n, started, rated_at AS ended
    FROM windowed WHERE n >= %(min_count)s
    ORDER BY device_id, n DESC, rated_at
)
SELECT p.device_id, p.n, p.started, p.ended,
       (SELECT count(*) FROM quick q WHERE q.device_id = p.device_id) AS quick_total,
       (SELECT count(*) FROM {_EV} e WHERE e.device_id = p.device_id
            AND e.rated_at >= %(start)s AND e.rated_at < %(end)s) AS device_total,
       ARRAY(SELECT q.id FROM quick q
             WHERE q.device_id = p.device_id AND q.rated_at BETWEEN p.started AND p.ended
             ORDER BY q.rated_at, q.id LIMIT %(examples)s) AS examples
FROM peak p
ORDER BY p.n DESC, p.device_id
"""  # noqa: S608 (table names come from model metadata; values are parameters)

_STREAK_SQL = """
WITH r AS (
    SELECT e.id, e.rated_at, t.{column} AS subject_id, (e.level <= 2) AS good
    FROM {ev} e JOIN {tx} t ON t.id = e.transaction_id
    WHERE e.rated_at >= %(start)s AND e.rated_at < %(end)s
      AND e.is_current AND NOT e.is_default AND t.{column} IS NOT NULL
),
g AS (
    SELECT id, rated_at, subject_id, good,
           row_number() OVER (PARTITION BY subject_id ORDER BY rated_at, id)
         - row_number() OVER (PARTITION BY subject_id, good ORDER BY rated_at, id) AS island
    FROM r
),
islands AS (
    SELECT subject_id, count(*) AS length, min(rated_at) AS started, max(rated_at) AS ended,
           (array_agg(id ORDER BY rated_at, id))[1:%(examples)s] AS examples
    FROM g WHERE good
    GROUP BY subject_id, island
    HAVING count(*) >= %(min_length)s
),
best AS (
    SELECT DISTINCT ON (subject_id) subject_id, length, started, ended, examples
    FROM islands ORDER BY subject_id, length DESC, started
),
totals AS (
    SELECT subject_id, count(*) AS ratings, count(*) FILTER (WHERE good) AS good_ratings
    FROM r WHERE subject_id IN (SELECT subject_id FROM best) GROUP BY subject_id
)
SELECT b.subject_id, b.length, b.started, b.ended, b.examples, t.ratings, t.good_ratings,
       (SELECT count(*) FROM islands i WHERE i.subject_id = b.subject_id) AS streaks
FROM best b JOIN totals t ON t.subject_id = b.subject_id
ORDER BY b.length DESC, b.subject_id
"""

_RATE_SQL = f"""
WITH txs AS (
    SELECT t.id, t.window_id FROM {_TX} t
    WHERE t.finished_at >= %(start)s AND t.finished_at < %(end)s AND t.window_id IS NOT NULL
),
per_window AS (
    SELECT txs.window_id, count(*) AS transactions,
           count(*) FILTER (WHERE EXISTS (
               SELECT 1 FROM {_EV} e
               WHERE e.transaction_id = txs.id AND e.is_current AND NOT e.is_default)) AS rated
    FROM txs GROUP BY txs.window_id
    HAVING count(*) >= %(min_tx)s
),
rates AS (
    SELECT p.window_id, u.parent_id AS hall_id, p.transactions, p.rated,
           p.rated::float8 / p.transactions AS rate
    FROM per_window p JOIN {_UNIT} u ON u.id = p.window_id
),
tenant_med AS (
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY rate) AS med, count(*) AS peers FROM rates
),
tenant_dev AS (
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(r.rate - m.med)) AS mad,
           avg(abs(r.rate - m.med)) AS meanad
    FROM rates r CROSS JOIN tenant_med m
),
hall_med AS (
    SELECT hall_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY rate) AS med, count(*) AS peers
    FROM rates GROUP BY hall_id
),
hall_dev AS (
    SELECT r.hall_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(r.rate - h.med)) AS mad,
           avg(abs(r.rate - h.med)) AS meanad
    FROM rates r JOIN hall_med h ON h.hall_id IS NOT DISTINCT FROM r.hall_id
    GROUP BY r.hall_id
),
scored AS (
    SELECT r.window_id, r.hall_id, r.transactions, r.rated, r.rate,
           (hm.peers >= %(min_peers)s) AS by_hall,
           CASE WHEN hm.peers >= %(min_peers)s THEN hm.med ELSE tm.med END AS med,
           CASE WHEN hm.peers >= %(min_peers)s THEN hm.peers ELSE tm.peers END AS peers,
           CASE WHEN hm.peers >= %(min_peers)s THEN hd.mad ELSE td.mad END AS mad,
           CASE WHEN hm.peers >= %(min_peers)s THEN hd.meanad ELSE td.meanad END AS meanad
    FROM rates r
    JOIN hall_med hm ON hm.hall_id IS NOT DISTINCT FROM r.hall_id
    JOIN hall_dev hd ON hd.hall_id IS NOT DISTINCT FROM r.hall_id
    CROSS JOIN tenant_med tm CROSS JOIN tenant_dev td
),
z AS (
    SELECT s.*,
           CASE WHEN s.mad > 0 THEN 0.6745 * (s.rate - s.med) / s.mad
                WHEN s.meanad > 0 THEN (s.rate - s.med) / (1.253314 * s.meanad)
           END AS z
    FROM scored s
)
SELECT z.window_id, z.transactions, z.rated, z.rate, z.by_hall, z.med, z.peers, z.z,
       ARRAY(SELECT e.id FROM {_EV} e JOIN {_TX} t ON t.id = e.transaction_id
             WHERE t.window_id = z.window_id AND t.finished_at >= %(start)s AND t.finished_at < %(end)s
               AND e.is_current AND NOT e.is_default
             ORDER BY e.rated_at, e.id LIMIT %(examples)s) AS examples
FROM z
WHERE z.peers >= %(min_peers)s AND abs(z.z) >= %(z)s
ORDER BY abs(z.z) DESC, z.window_id
"""  # noqa: S608 (table names come from model metadata; values are parameters)


def _fetch(sql: str, params: dict) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [c.name for c in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _labels(model, ids: set[int], fmt) -> dict[int, str]:
    return {obj.pk: fmt(obj) for obj in model.objects.filter(pk__in=ids)} if ids else {}


def _bursts(params: dict, t: SignalThresholds) -> list[Signal]:
    rows = _fetch(
        _BURST_SQL,
        {**params, "gap": t.burst_gap_seconds, "span": t.burst_span_seconds, "min_count": t.burst_min_count},
    )
    devices = {
        d.pk: d for d in Device.objects.select_related("window").filter(pk__in={r["device_id"] for r in rows})
    }
    signals = []
    for row in rows:
        device = devices.get(row["device_id"])
        signals.append(
            Signal(
                kind=BURST,
                subject_type="device",
                subject_id=row["device_id"],
                subject_label=f"{device.name} ({device.code}) · {device.window.name}"
                if device
                else str(row["device_id"]),
                count=row["n"],
                started_at=row["started"],
                ended_at=row["ended"],
                evidence={
                    "quick_ratings_in_span": row["n"],
                    "span_seconds": t.burst_span_seconds,
                    "gap_seconds": t.burst_gap_seconds,
                    "quick_ratings_in_period": row["quick_total"],
                    "device_ratings_in_period": row["device_total"],
                },
                example_ids=list(row["examples"] or []),
            )
        )
    return signals


def _streaks(params: dict, t: SignalThresholds, column: str) -> list[Signal]:
    sql = _STREAK_SQL.format(column=column, ev=_EV, tx=_TX)
    rows = _fetch(sql, {**params, "min_length": t.streak_min_length})
    ids = {r["subject_id"] for r in rows}
    if column == "window_id":
        subject_type, labels = "window", _labels(Unit, ids, lambda u: f"{u.name} ({u.code})")
    else:
        subject_type, labels = "staff", _labels(Staff, ids, lambda s: f"{s.name} ({s.staff_no})")
    return [
        Signal(
            kind=STREAK,
            subject_type=subject_type,
            subject_id=row["subject_id"],
            subject_label=labels.get(row["subject_id"], str(row["subject_id"])),
            count=row["length"],
            started_at=row["started"],
            ended_at=row["ended"],
            evidence={
                "longest_streak": row["length"],
                "streaks_over_threshold": row["streaks"],
                "ratings_in_period": row["ratings"],
                "good_ratings_in_period": row["good_ratings"],
                "threshold": t.streak_min_length,
            },
            example_ids=list(row["examples"] or []),
        )
        for row in rows
    ]


def _rates(params: dict, t: SignalThresholds) -> list[Signal]:
    rows = _fetch(
        _RATE_SQL,
        {**params, "min_tx": t.rate_min_transactions, "min_peers": t.rate_min_peers, "z": t.rate_z},
    )
    labels = _labels(Unit, {r["window_id"] for r in rows}, lambda u: f"{u.name} ({u.code})")
    return [
        Signal(
            kind=RATE,
            subject_type="window",
            subject_id=row["window_id"],
            subject_label=labels.get(row["window_id"], str(row["window_id"])),
            count=row["transactions"],
            started_at=None,
            ended_at=None,
            evidence={
                "transactions": row["transactions"],
                "rated_transactions": row["rated"],
                "rate": round(row["rate"], 4),
                "peer_median": round(row["med"], 4),
                "peers": row["peers"],
                "peer_group": "hall" if row["by_hall"] else "tenant",
                "robust_z": round(row["z"], 2),
                "direction": "above" if row["z"] > 0 else "below",
            },
            example_ids=list(row["examples"] or []),
        )
        for row in rows
    ]


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Local dates, both ends included → [start, end) instants."""
    return (
        timezone.make_aware(datetime.combine(start, time.min)),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min)),
    )


def integrity_signals(
    *, start: datetime, end: datetime, thresholds: SignalThresholds | None = None
) -> SignalReport:
    """Every flag for ratings in [start, end). Five SQL statements whatever the volume, plus label look-ups."""
    t = thresholds or SignalThresholds()
    params = {"start": start, "end": end, "examples": t.examples}
    return SignalReport(
        start=start,
        end=end,
        thresholds=t,
        bursts=_bursts(params, t),
        streaks=_streaks(params, t, "window_id") + _streaks(params, t, "staff_id"),
        rates=_rates(params, t),
    )
