"""A tenant with a year of ratings for the insight benchmark: its organisation through the product's services,
its rollups written directly with SQL.

The overview reads only the rollups, so this writes them and no raw evaluation, transaction or case rows
(100 GB of raw rows would take hours to make and tell nothing more about the overview). What the rollups
hold is shaped like a year of a large city's ratings:

- Organisation: 20 departments, each with 2 service halls of 12 windows (480 windows), 600 staff (one per
  window, 120 more standing in), 200 published items (10 per department, a third done on the spot), four
  platforms (web, app, mini-program, hotline).
- "Cells" are what a rating is rated against: a window × one of 3 items it handles (channel device) or one
  item (QR code); a department × item × platform (web, app, mini-program, hotline); a department × 3 items
  by SMS; a hall kiosk × 2 items. 2,620 cells, each with a base weight (channel mix: device 50 %, web 22 %,
  app 12 %, …; busy and quiet windows; popular and rare items).
- Each local day × cell gets a weight: the cell's, times the weekday profile of its channel (halls are shut
  on Sundays and half-busy on Saturdays; online is 45 % on weekends), a yearly wave and growth, and noise.
  N ratings are shared out over all day × cells in proportion with integer arithmetic, so the fine rollup
  sums to exactly N. A day × cell's ratings split over five levels and "default" by systematic sampling
  (good ≈ 95 %, bad ≈ 5 %, worse at some windows; defaults ≈ 15 % of web/app/mini-program ratings). The day
  rollup sums the fine one; the hour rollup splits each day × channel total over the hours of its channel's
  profile (halls 8:00–18:00 with a lunch dip, online around the clock) — again exact.
- Transactions: ratings ÷ ~0.85 (participation varies by channel), by the items' promise type; finished and
  past the 7-day rating period when old enough; unrated = finished − rated. The per-day table is derived
  from the fine one by the product's own SQL.
- Cases: one per bad review (levels 4–5, not defaults), by day × unit × item × channel, closed after ~20
  days, with plausible replied / rectified / satisfied / on-time / real-name figures.

Deterministic: the same N and the same "today" give the same rows (hashint8 for every pseudo-random draw).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection, transaction
from django_tenants.utils import schema_context

from bench.core import log

SLUG = "benchinsight"
DAYS = 365
SUPERVISOR_EMAIL = f"supervisor@{SLUG}.example"

DEPARTMENTS = [
    "市场监督管理局", "公安局", "人力资源和社会保障局", "自然资源和规划局", "住房和城乡建设局",
    "交通运输局", "卫生健康委员会", "民政局", "税务局", "医疗保障局",
    "教育局", "司法局", "商务局", "农业农村局", "生态环境局",
    "文化广电旅游局", "退役军人事务局", "应急管理局", "城市管理局", "不动产登记中心",
]  # fmt: skip
HALLS_PER_DEPARTMENT = 2
WINDOWS_PER_HALL = 12
ITEMS_PER_DEPARTMENT = 10
EXTRA_STAFF = 120
ITEM_TYPES = ["licensing", "public_service", "confirmation", "payment", "levy", "other_power", "reward"]
PLATFORMS = [("BPWEB", "网上办事大厅", "web", "web"), ("BPAPP", "政务服务 App", "app", "app"),
             ("BPMINI", "政务服务小程序", "miniprogram", "miniprogram"), ("BPTEL", "12345 热线", "hotline", "hotline")]  # fmt: skip

# Share of all ratings per channel, before the weekday profiles reshape it a little.
CHANNEL_SHARE = {
    "device": 0.50, "qr": 0.05, "web": 0.22, "app": 0.12, "miniprogram": 0.06, "hotline": 0.02, "sms": 0.02,
    "kiosk": 0.01,
}  # fmt: skip
ONSITE = ("device", "qr", "kiosk")
# Day factor per channel group and ISO weekday (1 Monday … 7 Sunday).
WEEKDAY = {
    "onsite": [1.0, 1.0, 1.0, 1.0, 0.95, 0.3, 0.0],
    "online": [1.0, 1.0, 1.0, 1.0, 0.95, 0.45, 0.45],
    "hotline": [1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.3],
}
# Hour-of-day profiles (relative weights, normalised below).
HOURS = {
    "onsite": {8: 4, 9: 13, 10: 14, 11: 13, 12: 5, 13: 7, 14: 13, 15: 13, 16: 11, 17: 6, 18: 1},
    "online": {
        0: 0.6,
        1: 0.3,
        2: 0.2,
        3: 0.2,
        4: 0.2,
        5: 0.4,
        6: 1,
        7: 2,
        8: 5,
        9: 8,
        10: 8,
        11: 8,
        12: 5,
        13: 5,
        14: 7,
        15: 7,
        16: 7,
        17: 7,
        18: 5,
        19: 5,
        20: 5,
        21: 4,
        22: 2.5,
        23: 1.5,
    },
    "hotline": {h: (8 if 9 <= h <= 17 else 3) for h in range(8, 22)},
}
# Transactions without a rating per rating (participation 1 / (1 + x)); overall ≈ 0.85.
UNRATED_PER_RATING = {"device": 0.12, "qr": 0.3, "kiosk": 0.25, "web": 0.22, "app": 0.2, "miniprogram": 0.2,
                      "hotline": 0.3, "sms": 0.35}  # fmt: skip
RATING_PERIOD_DAYS = 7
CASE_CLOSE_DAYS = 20
WEIGHT_SCALE = 10_000  # integer weights: the share-out is exact in bigint arithmetic

TABLES = (
    "insight_ratingrollup",
    "insight_ratingdayrollup",
    "insight_ratinghourrollup",
    "insight_transactionrollup",
    "insight_transactiondayrollup",
    "insight_caserollup",
    "insight_casedayrollup",
)


@dataclass
class Generated:
    host: str
    today: date
    first_day: date
    ratings: int  # asked for
    fine_sum: int = 0
    day_sum: int = 0
    hour_sum: int = 0
    transactions: int = 0
    rated: int = 0
    cases: int = 0
    bad: int = 0
    defaults: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    departments: list[str] = field(default_factory=list)  # unit codes
    channel_mix: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        rows = ", ".join(f"{t.removeprefix('insight_')} {n:,}" for t, n in self.rows.items())
        return (
            f"fine sum {self.fine_sum:,}, day sum {self.day_sum:,}, hour sum {self.hour_sum:,}; transactions {self.transactions:,} "
            f"(rated {self.rated:,}); cases {self.cases:,} of {self.bad:,} bad; defaults {self.defaults:,}; "
            f"rows: {rows}"
        )


# --- organisation ------------------------------------------------------------------------------------------


@dataclass
class Org:
    departments: list  # Unit
    halls: list  # Unit, hall index = department index * 2 + h
    windows: list  # Unit, window index = hall index * 12 + w
    staff: list  # Staff: 480 at windows (same index), then 120 at halls
    items: list  # ServiceItem, item index = department index * 10 + slot
    platforms: dict  # channel → Platform
    promise: dict = field(default_factory=dict)  # item id → promise type


def build_org() -> Org:
    """Departments, halls, windows, staff, published items and platforms, through the product's services."""
    from tenants.accounts.actors import Actor
    from tenants.catalog.services import item_create
    from tenants.organisation.models import UnitKind
    from tenants.organisation.services import platform_create, staff_create, unit_create

    actor = Actor.system("bench")
    org = Org([], [], [], [], [], {})
    with transaction.atomic():
        for d, name in enumerate(DEPARTMENTS):
            dept = unit_create(actor=actor, code=f"BD{d + 1:02d}", name=name, kind=UnitKind.DEPARTMENT)
            org.departments.append(dept)
            for h in range(HALLS_PER_DEPARTMENT):
                hall = unit_create(
                    actor=actor,
                    code=f"BH{d + 1:02d}{h + 1}",
                    name=f"{name}{'东' if h == 0 else '西'}区服务大厅",
                    kind=UnitKind.HALL,
                    parent=dept,
                )
                org.halls.append(hall)
                for w in range(WINDOWS_PER_HALL):
                    org.windows.append(
                        unit_create(
                            actor=actor,
                            code=f"BW{d + 1:02d}{h + 1}{w + 1:02d}",
                            name=f"{'AB'[h]}{w + 1:02d} 综合受理窗口",
                            kind=UnitKind.WINDOW,
                            parent=hall,
                        )
                    )
        surnames, given = (
            "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗",
            "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平",
        )
        for n in range(len(org.windows) + EXTRA_STAFF):
            unit = org.windows[n] if n < len(org.windows) else org.halls[n % len(org.halls)]
            org.staff.append(
                staff_create(
                    actor=actor,
                    staff_no=f"BS{n + 1:04d}",
                    name=surnames[n % 20] + given[(n // 20) % 20] + given[(n * 7) % 20],
                    unit=unit,
                )
            )
        for d, dept in enumerate(org.departments):
            for slot in range(ITEMS_PER_DEPARTMENT):
                n = d * ITEMS_PER_DEPARTMENT + slot
                immediate = slot % 3 == 0
                org.items.append(
                    item_create(
                        actor=actor,
                        code=f"BI{n + 1:03d}",
                        name=f"{dept.name} 政务服务事项 {slot + 1}",
                        item_type=ITEM_TYPES[n % len(ITEM_TYPES)],
                        responsible_unit=dept,
                        publish=True,
                        promise_type="immediate" if immediate else "promised",
                        time_limit_days=0 if immediate else 5 + slot,
                    )
                )
        org.promise = {
            item.pk: ("immediate" if i % 3 == 0 else "promised") for i, item in enumerate(org.items)
        }
        for code, name, kind, channel in PLATFORMS:
            org.platforms[channel] = platform_create(actor=actor, code=code, name=name, kind=kind)
    return org


def _h01(*keys: int) -> float:
    """A deterministic number in [0, 1) from integers (Python side, for the few thousand cells)."""
    x = 0x9E3779B97F4A7C15
    for k in keys:
        x = ((x ^ (k + 0x632BE59BD9B4E019)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 31
    return (x & 0xFFFFFF) / 0x1000000


def cells(org: Org) -> list[tuple]:
    """Every cell: (cell, channel, group, item_id, unit_id, window_id, staff_id, alt_staff_id, platform_id,
    promise_type, weight, c1, c2, c3, c4, c5) where c1…c5 are the cumulative shares of levels 1…5 given (the
    rest, up to 1, are defaults at level 1)."""
    raw: list[list] = []
    n_windows, n_halls = len(org.windows), len(org.halls)
    for w, window in enumerate(org.windows):
        hall_index = w // WINDOWS_PER_HALL
        d = hall_index // HALLS_PER_DEPARTMENT
        busy = 0.4 + 1.6 * _h01(1, w)
        bad = 0.3 + 2.2 * _h01(2, w) ** 2
        staff, alt = org.staff[w], org.staff[n_windows + w % EXTRA_STAFF]
        for j in range(3):
            slot = (w * 3 + j) % ITEMS_PER_DEPARTMENT
            raw.append(["device", org.items[d * ITEMS_PER_DEPARTMENT + slot], org.halls[hall_index], window,
                        staff, alt, None, busy / (1 + j), bad])  # fmt: skip
        if w % 2 == 0:
            slot = (w * 3) % ITEMS_PER_DEPARTMENT
            raw.append(["qr", org.items[d * ITEMS_PER_DEPARTMENT + slot], org.halls[hall_index], window,
                        staff, alt, None, busy, bad])  # fmt: skip
    for d, dept in enumerate(org.departments):
        for slot in range(ITEMS_PER_DEPARTMENT):
            item = org.items[d * ITEMS_PER_DEPARTMENT + slot]
            popular = 1 / (1 + slot) ** 0.8
            for channel in ("web", "app", "miniprogram", "hotline"):
                raw.append([channel, item, dept, None, None, None, org.platforms[channel],
                            popular * (0.5 + _h01(3, d, slot)), 0.6 + 0.8 * _h01(4, d, slot)])  # fmt: skip
            if slot < 3:
                raw.append(["sms", item, dept, None, None, None, None, popular, 1.0])
    for h in range(n_halls):
        d = h // HALLS_PER_DEPARTMENT
        for slot in range(2):
            raw.append(["kiosk", org.items[d * ITEMS_PER_DEPARTMENT + slot], org.halls[h], None, None, None,
                        None, 1.0, 0.8])  # fmt: skip
    total = {c: sum(r[7] for r in raw if r[0] == c) for c in CHANNEL_SHARE}
    result = []
    for n, (channel, item, unit, window, staff, alt, platform, weight, bad) in enumerate(raw):
        group = "onsite" if channel in ONSITE else "hotline" if channel == "hotline" else "online"
        bad_share = min(0.25, 0.05 * bad * (1.6 if channel == "hotline" else 1.0))
        default_share = 0.15 if channel in ("web", "app", "miniprogram") else 0.0
        c1 = 1.0 - default_share - bad_share - 0.09  # levels 2 and 3: 7 % and 2 %
        c3 = c1 + 0.07 + 0.02
        shares = (c1, c1 + 0.07, c3, c3 + 0.6 * bad_share, 1.0 - default_share)
        result.append((
            n, channel, group, item.pk, unit.pk, window.pk if window else None, staff.pk if staff else None,
            alt.pk if alt else None, platform.pk if platform else None,
            org.promise[item.pk],
            # weight within the channel, scaled so each channel gets its share of the whole
            CHANNEL_SHARE[channel] * weight / total[channel] * len(raw), *shares,
        ))  # fmt: skip
    return result


# --- rollups ----------------------------------------------------------------------------------------------


def _exec(cur, sql: str, params: list | None = None) -> int:
    cur.execute(sql, params or [])
    return cur.rowcount


def _rand(*keys: str) -> str:
    """SQL: a deterministic number in [0, 1) from integer expressions."""
    expr = "0::bigint"
    for i, key in enumerate(keys):
        expr = f"hashint8extended(({key})::bigint + ({expr}), {i + 17})"
    return f"(({expr}) & 1048575)::float8 / 1048576"


def _columns(model, given: dict[str, str]) -> tuple[str, str, list]:
    """INSERT column list and SELECT list for `model`'s table: `given` column → SQL, every other concrete
    column (e.g. one added since this was written) from the field's default. Raises if one has none."""
    names, exprs, params = [], [], []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        names.append(f.column)
        if f.column in given:
            exprs.append(given[f.column])
        elif f.has_default():
            exprs.append("%s")
            params.append(f.get_default())
        else:
            raise RuntimeError(f"{model.__name__}.{f.name}: the bench generator does not know this column")
    unknown = set(given) - set(names)
    if unknown:
        raise RuntimeError(f"{model.__name__} has no column(s) {sorted(unknown)}")
    return ", ".join(names), ", ".join(exprs), params


# On about one day in seven a window's stand-in (one of the 120 extra staff) serves instead of its own staff.
STAND_IN = f"CASE WHEN {_rand('x.dn', 'coalesce(c.window_id, 0)', '3')} < 0.15 THEN c.alt_staff_id ELSE c.staff_id END"


def write_rollups(org: Org, *, ratings: int, today: date, result: Generated) -> None:
    from tenants.insight.models import (
        CaseRollup,
        RatingDayRollup,
        RatingHourRollup,
        RatingRollup,
        TransactionDayRollup,
        TransactionRollup,
    )

    first = today - timedelta(days=DAYS - 1)
    cell_rows = cells(org)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL work_mem = '256MB'")
        for table in TABLES:
            cur.execute(f"TRUNCATE {table}")
        # cells, days and the hour profiles as temporary tables
        cur.execute(
            "CREATE TEMP TABLE b_cell (cell int PRIMARY KEY, channel text, grp text, item_id bigint, "
            "unit_id bigint, window_id bigint, staff_id bigint, alt_staff_id bigint, platform_id bigint, "
            "promise_type text, weight float8, c1 float8, c2 float8, c3 float8, c4 float8, c5 float8, "
            "lo float8[], hi float8[]) ON COMMIT DROP"
        )
        columns = list(zip(*cell_rows, strict=True))
        cur.execute(
            "INSERT INTO b_cell SELECT *, ARRAY[0, c1, c2, c3, c4, c5], ARRAY[c1, c2, c3, c4, c5, 1] "
            "FROM unnest(%s::int[], %s::text[], %s::text[], %s::bigint[], %s::bigint[], %s::bigint[], "
            "%s::bigint[], %s::bigint[], %s::bigint[], %s::text[], %s::float8[], %s::float8[], %s::float8[], "
            "%s::float8[], %s::float8[], %s::float8[]) AS u(cell, channel, grp, item_id, unit_id, window_id, "
            "staff_id, alt_staff_id, platform_id, promise_type, weight, c1, c2, c3, c4, c5)",
            [list(c) for c in columns],
        )
        cur.execute(
            "CREATE TEMP TABLE b_weekday (grp text, dow int, factor float8) ON COMMIT DROP; "
            "CREATE TEMP TABLE b_hour (grp text, hour int, lo float8, hi float8) ON COMMIT DROP"
        )
        cur.execute(
            "INSERT INTO b_weekday SELECT * FROM unnest(%s::text[], %s::int[], %s::float8[])",
            [
                [g for g in WEEKDAY for _ in range(7)],
                [d + 1 for _ in WEEKDAY for d in range(7)],
                [f for g in WEEKDAY for f in WEEKDAY[g]],
            ],
        )
        hour_rows = []
        for grp, profile in HOURS.items():
            total, cum = sum(profile.values()), 0.0
            hours = sorted(profile)
            for i, hour in enumerate(hours):
                lo = cum
                cum = 1.0 if i == len(hours) - 1 else cum + profile[hour] / total
                hour_rows.append((grp, hour, lo, cum))
        cur.execute(
            "INSERT INTO b_hour SELECT * FROM unnest(%s::text[], %s::int[], %s::float8[], %s::float8[])",
            [list(c) for c in zip(*hour_rows, strict=True)],
        )

        # 1. Every day × cell's ratings: integer weights, shared out by cumulative sums (exact total).
        start = time.perf_counter()
        noise = _rand("d.dn", "c.cell")
        cur.execute(
            f"""
            CREATE TEMP TABLE b_dc ON COMMIT DROP AS
            WITH days AS (
                SELECT day::date, %(today)s::date - day::date AS age, day::date - %(first)s::date AS dn,
                       extract(isodow FROM day)::int AS dow
                FROM generate_series(%(first)s::date, %(today)s::date, interval '1 day') AS day
            ), weighted AS (
                SELECT d.day, d.age, d.dn, c.cell,
                       round({WEIGHT_SCALE} * c.weight * wd.factor
                             * (1 + 0.12 * sin(2 * pi() * (d.dn + 40) / 365.0))  -- a yearly wave
                             * (0.85 + 0.3 * d.dn / {DAYS})                      -- growth over the year
                             * (0.6 + 0.8 * {noise}))::bigint AS w
                FROM days d CROSS JOIN b_cell c JOIN b_weekday wd ON wd.grp = c.grp AND wd.dow = d.dow
            ), cumulative AS (
                SELECT *, (sum(w) OVER (ORDER BY dn, cell))::bigint AS cw, (sum(w) OVER ())::bigint AS tw
                FROM weighted
            )
            SELECT day, age, dn, cell, w::float8 * %(n)s / tw AS expected,
                   ((%(n)s::bigint * cw + tw / 2) / tw
                    - (%(n)s::bigint * (cw - w) + tw / 2) / tw)::int AS n,
                   {_rand("dn", "cell", "7")} AS u,  -- the level split's offset
                   {_rand("dn", "cell", "11")} AS u_txn,
                   {_rand("dn", "cell", "13")} AS v_txn
            FROM cumulative
            """,
            {"today": today, "first": first, "n": ratings},
        )
        cur.execute("ANALYZE b_dc")
        result.seconds["day_cells"] = time.perf_counter() - start

        # 2. The fine rating rollup: each day × cell split over five levels and "default" (systematic sampling
        # with the day × cell's offset u: exact per cell). Its unique key is built after the load, as a restore
        # does, from the model's own constraint: the same index in the end.
        start = time.perf_counter()
        (key,) = (c for c in RatingRollup._meta.constraints if c.name == "insight_rating_rollup_key")
        with connection.schema_editor(atomic=False) as editor:
            editor.remove_constraint(RatingRollup, key)
        names, exprs, params = _columns(
            RatingRollup,
            {
                "day": "x.day", "item_id": "x.item_id", "unit_id": "x.unit_id", "window_id": "x.window_id",
                "staff_id": "x.staff_id", "platform_id": "x.platform_id", "channel": "x.channel",
                "level": "x.level", "is_default": "x.is_default", "count": "x.cnt",
            },
        )  # fmt: skip
        cur.execute(
            f"""
            INSERT INTO insight_ratingrollup ({names})
            SELECT {exprs} FROM (
                SELECT x.day, c.item_id, c.unit_id, c.window_id, {STAND_IN} AS staff_id, c.platform_id,
                       c.channel, k.level, k.is_default,
                       (floor(x.n * c.hi[k.k] + x.u) - floor(x.n * c.lo[k.k] + x.u))::bigint AS cnt
                FROM b_dc x JOIN b_cell c USING (cell)
                CROSS JOIN (VALUES (1, 1, false), (2, 2, false), (3, 3, false), (4, 4, false), (5, 5, false),
                                   (6, 1, true)) AS k(k, level, is_default)
                WHERE x.n > 0
            ) x
            WHERE x.cnt > 0
            """,
            params,
        )
        with connection.schema_editor(atomic=False) as editor:
            editor.add_constraint(RatingRollup, key)
        result.seconds["fine"] = time.perf_counter() - start

        # 3. The day rollup (day × channel × level × default) sums the fine one; the hour rollup splits each
        # day × channel total over its channel's hours (systematic sampling again: exact per day × channel).
        start = time.perf_counter()
        names, exprs, params = _columns(
            RatingDayRollup,
            {"day": "day", "channel": "channel", "level": "level", "is_default": "is_default",
             "count": "sum(count)"},
        )  # fmt: skip
        cur.execute(
            f"INSERT INTO insight_ratingdayrollup ({names}) SELECT {exprs} FROM insight_ratingrollup "
            "GROUP BY day, channel, level, is_default ORDER BY day, channel, level, is_default",
            params,
        )
        u = _rand("t.dn", "hashtext(t.channel)", "5")
        names, exprs, params = _columns(
            RatingHourRollup, {"day": "t.day", "hour": "t.hour", "channel": "t.channel", "count": "t.cnt"}
        )
        cur.execute(
            f"""
            INSERT INTO insight_ratinghourrollup ({names})
            SELECT {exprs} FROM (
                SELECT t.day, t.channel, h.hour,
                       (floor(t.total * h.hi + t.u) - floor(t.total * h.lo + t.u))::bigint AS cnt
                FROM (
                    SELECT t.*, {u} AS u FROM (
                        SELECT day, day - %s::date AS dn, channel, sum(count) AS total
                        FROM insight_ratingdayrollup GROUP BY day, channel
                    ) t
                ) t
                JOIN (SELECT DISTINCT channel, grp FROM b_cell) g USING (channel)
                JOIN b_hour h ON h.grp = g.grp
            ) t
            WHERE t.cnt > 0
            ORDER BY t.day, t.hour, t.channel
            """,
            [*params, first],
        )
        result.seconds["day_hour"] = time.perf_counter() - start

        # 4. Transactions per day × cell (by the item's promise type): ratings ÷ participation.
        start = time.perf_counter()
        closed = (
            f"CASE WHEN x.age >= {RATING_PERIOD_DAYS} + CASE c.promise_type WHEN 'immediate' THEN 0 ELSE 8 END "
            "THEN 1 ELSE 0 END"
        )
        extra = "CASE c.channel " + " ".join(f"WHEN '{k}' THEN {v}" for k, v in UNRATED_PER_RATING.items())
        names, exprs, params = _columns(
            TransactionRollup,
            {
                "day": "x.day", "item_id": "c.item_id", "unit_id": "c.unit_id", "window_id": "c.window_id",
                "staff_id": STAND_IN,
                "platform_id": "c.platform_id", "channel": "c.channel", "promise_type": "c.promise_type",
                "transactions": "x.n + x.unrated", "rated": "x.n",
                "finished_closed": f"(x.n + x.unrated) * {closed}",
                "finished_unrated": f"x.unrated * {closed}",
            },
        )  # fmt: skip
        cur.execute(
            f"""
            INSERT INTO insight_transactionrollup ({names})
            SELECT {exprs} FROM (
                SELECT x.*, floor(x.expected * ({extra} END) * (0.7 + 0.6 * x.v_txn) + x.u_txn)::bigint AS unrated
                FROM b_dc x JOIN b_cell c USING (cell)
            ) x JOIN b_cell c USING (cell)
            WHERE x.n + x.unrated > 0
            """,
            params,
        )
        names, exprs, params = _columns(
            TransactionDayRollup,
            {
                "day": "day", "channel": "channel", "transactions": "sum(transactions)", "rated": "sum(rated)",
                "finished_closed": "sum(finished_closed)", "finished_unrated": "sum(finished_unrated)",
            },
        )  # fmt: skip
        cur.execute(
            f"INSERT INTO insight_transactiondayrollup ({names}) SELECT {exprs} "
            "FROM insight_transactionrollup GROUP BY day, channel ORDER BY day, channel",
            params,
        )
        result.seconds["transactions"] = time.perf_counter() - start

        # 5. Cases: one per bad review, closed after ~20 days; the closed-loop measures of a working hall.
        start = time.perf_counter()
        case_fields = {f.column for f in CaseRollup._meta.concrete_fields}

        def draw(salt: str) -> str:
            return _rand("b.dn", "b.unit_id", "b.item_id", "hashtext(b.channel)", salt)

        def part(share: float, salt: int, of: str = "b.n") -> str:
            return f"floor({of} * {share} + {draw(str(salt))})::bigint"

        closed_n = f"least(b.total, floor(b.total * b.age / {CASE_CLOSE_DAYS}.0 + {draw('1')}))::bigint"
        given = {
            "day": "b.day", "unit_id": "b.unit_id", "window_id": "b.window_id", "item_id": "b.item_id",
            "channel": "b.channel",
            "total": "b.n",
            "replied": f"CASE WHEN b.closed THEN b.n ELSE {part(0.3, 2)} END",
            "rectified": f"CASE WHEN b.closed THEN b.n - {part(0.03, 3)} ELSE 0 END",
            "satisfied": f"CASE WHEN b.closed THEN {part(0.86, 4)} ELSE 0 END",
            "verified": "CASE WHEN b.closed OR b.age >= 2 THEN b.n ELSE 0 END",
            "closed": "CASE WHEN b.closed THEN b.n ELSE 0 END",
            "verified_closed": "CASE WHEN b.closed THEN b.n ELSE 0 END",
            "on_time": f"CASE WHEN b.closed THEN b.n - {part(0.07, 5)} ELSE 0 END",
            "realname_total": "b.realname",
            "realname_done": f"CASE WHEN b.closed THEN b.realname - {part(0.01, 6, 'b.realname')} ELSE 0 END",
        }  # fmt: skip
        if "state" in case_fields:
            given["state"] = (
                "CASE WHEN b.closed THEN 'closed' WHEN b.age < 2 THEN 'contacted' ELSE 'ledger' END"
            )
        names, exprs, params = _columns(CaseRollup, given)
        cur.execute(
            f"""
            INSERT INTO insight_caserollup ({names})
            SELECT {exprs} FROM (
                SELECT b.*, s.closed, CASE WHEN s.closed THEN b.closed_n ELSE b.total - b.closed_n END AS n,
                       floor(CASE WHEN s.closed THEN b.closed_n ELSE b.total - b.closed_n END * 0.35
                             + {draw("s.closed::int + 8")})::bigint AS realname
                FROM (
                    SELECT b.*, {closed_n} AS closed_n FROM (
                        SELECT day, %s::date - day AS age, day - %s::date AS dn, unit_id, window_id, item_id,
                               channel, sum(count) AS total
                        FROM insight_ratingrollup WHERE level >= 4 AND NOT is_default
                        GROUP BY day, unit_id, window_id, item_id, channel
                    ) b
                ) b CROSS JOIN (VALUES (true), (false)) AS s(closed)
            ) b
            WHERE b.n > 0
            ORDER BY b.day, b.unit_id, b.item_id, b.channel
            """,
            [*params, today, first],
        )
        # the per-day case table, as the drain derives it from the fine one
        measures = [
            m
            for m in case_fields
            if m not in ("id", "day", "unit_id", "window_id", "item_id", "channel", "state")
        ]
        cur.execute(
            f"INSERT INTO insight_casedayrollup (day, channel, state, {', '.join(measures)}) "
            f"SELECT day, channel, state, {', '.join(f'sum({m})' for m in measures)} "
            "FROM insight_caserollup GROUP BY day, channel, state"
        )
        result.seconds["cases"] = time.perf_counter() - start

    start = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("ANALYZE " + ", ".join(TABLES))
    result.seconds["analyze"] = time.perf_counter() - start


def tally(result: Generated) -> None:
    """Row counts and sums of what was written, read back."""
    with connection.cursor() as cur:
        for table in TABLES:
            cur.execute(f"SELECT count(*) FROM {table}")
            result.rows[table] = cur.fetchone()[0]
        cur.execute(
            "SELECT coalesce(sum(count), 0), coalesce(sum(count) FILTER (WHERE level >= 4), 0), "
            "coalesce(sum(count) FILTER (WHERE is_default), 0) FROM insight_ratingrollup"
        )
        result.fine_sum, result.bad, result.defaults = (int(v) for v in cur.fetchone())
        cur.execute("SELECT coalesce(sum(count), 0) FROM insight_ratingdayrollup")
        result.day_sum = int(cur.fetchone()[0])
        cur.execute("SELECT coalesce(sum(count), 0) FROM insight_ratinghourrollup")
        result.hour_sum = int(cur.fetchone()[0])
        cur.execute(
            "SELECT coalesce(sum(transactions), 0), coalesce(sum(rated), 0) FROM insight_transactiondayrollup"
        )
        result.transactions, result.rated = (int(v) for v in cur.fetchone())
        cur.execute("SELECT coalesce(sum(total), 0) FROM insight_caserollup")
        result.cases = int(cur.fetchone()[0])
        cur.execute(
            "SELECT channel, sum(count) FROM insight_ratinghourrollup GROUP BY channel ORDER BY 2 DESC"
        )
        total = max(result.hour_sum, 1)
        result.channel_mix = {channel: round(int(n) / total, 3) for channel, n in cur.fetchall()}


def generate(*, ratings: int) -> Generated:
    """Provision the tenant, build its organisation, write a year of rollups; committed."""
    from django.utils import timezone

    from tenants.accounts.actors import Actor
    from tenants.services import (
        control_plane_ensure,
        tenant_domain_name,
        tenant_provision,
        tenant_template_ensure,
    )

    actor = Actor.system("bench")
    today = timezone.localdate()
    result = Generated(
        host=tenant_domain_name(SLUG),
        today=today,
        first_day=today - timedelta(days=DAYS - 1),
        ratings=ratings,
    )
    start = time.perf_counter()
    control_plane_ensure()
    tenant_template_ensure()
    tenant_provision(
        actor=actor,
        slug=SLUG,
        name="基准租户 分析概览",
        kind="agency",
        region_code="110000",
        admin_email=f"admin@{SLUG}.example",
    )
    result.seconds["provision"] = time.perf_counter() - start
    with schema_context(SLUG):
        start = time.perf_counter()
        org = build_org()
        result.seconds["organisation"] = time.perf_counter() - start
        result.departments = [u.code for u in org.departments]
        log(
            f"  organisation: {len(org.departments)} departments, {len(org.halls)} halls, {len(org.windows)} windows, "
            f"{len(org.staff)} staff, {len(org.items)} items in {result.seconds['organisation']:.1f} s"
        )
        start = time.perf_counter()
        write_rollups(org, ratings=ratings, today=today, result=result)
        result.seconds["rollups"] = time.perf_counter() - start
        tally(result)
    connection.set_schema_to_public()
    return result
