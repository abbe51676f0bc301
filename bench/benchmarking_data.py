"""The national rollups of the benchmarking bench, written directly: 1,000 tenants (31 provinces, 300 cities,
600 counties, 69 agencies) × 365 days of TenantDayStats whose ratings add up to exactly 100,000,000, then
their month rows by the product's own services.month_stats_rebuild.

Only Tenant rows are made, bulk-inserted, without schemas or domains: league tables read nothing but the
public schema's Tenant, TenantDayStats and TenantMonthStats (control_plane.benchmarking.selectors), so a
schema per tenant would only slow the fill. In production the rows come from the feed relay
(control_plane.feed._national_days); here one INSERT … SELECT over generate_series writes them, with
per-tenant quality drawn from a seeded generator and daily noise from PostgreSQL's seeded random().

Every figure is consistent the way the relay's are (numerators never above their denominators): good + bad =
ratings, given = ratings − defaults, given_good = max(0, good − defaults), rated = ratings ≤ transactions,
cases = bad reviews, replied/rectified/closed ≤ cases, satisfied ≤ rectified, on_time ≤ closed, realname_done
≤ realname_total ≤ cases; the channel mix sums to the ratings.

Not named bench_*.py: `python -m bench` would take it for a benchmark module.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection, transaction
from django.utils import timezone

from bench.core import log

PREFIX = "bmk"  # bench tenants: bmkp001 (provinces), bmkc001, bmkx001 (counties), bmka001 (agencies)
NATIONAL_EMAIL = "bench-national@benchmarking.example"
MAINLAND = ["11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42",
            "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65"]  # fmt: skip


@dataclass(frozen=True)
class Sizes:
    provinces: int
    cities: int
    counties: int
    agencies: int
    days: int
    ratings: int

    @property
    def tenants(self) -> int:
        return self.provinces + self.cities + self.counties + self.agencies


FULL = Sizes(provinces=31, cities=300, counties=600, agencies=69, days=365, ratings=100_000_000)
QUICK = Sizes(provinces=5, cities=15, counties=30, agencies=10, days=365, ratings=2_000_000)


@dataclass
class Generated:
    sizes: Sizes
    first_day: date
    last_day: date
    tenant_ids: list[int] = field(default_factory=list)
    day_rows: int = 0
    month_rows: int = 0
    ratings: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def _tenants(sizes: Sizes, rng: random.Random) -> list[tuple[str, str, str, str]]:
    """(slug, name, kind, region code): provinces by their code, cities and counties below them, agencies."""
    found = []
    provinces = MAINLAND[: sizes.provinces]
    for i, prefix in enumerate(provinces, start=1):
        found.append((f"{PREFIX}p{i:03d}", f"基准省{i:03d}", "province", f"{prefix}0000"))
    cities = []
    for i in range(1, sizes.cities + 1):
        prefix = provinces[(i - 1) % len(provinces)]
        code = f"{prefix}{(i - 1) // len(provinces) + 1:02d}00"
        cities.append(code)
        found.append((f"{PREFIX}c{i:03d}", f"基准市{i:03d}", "city", code))
    for i in range(1, sizes.counties + 1):
        city = cities[(i - 1) % len(cities)]
        found.append(
            (f"{PREFIX}x{i:03d}", f"基准县{i:03d}", "county", f"{city[:4]}{(i - 1) // len(cities) + 1:02d}")
        )
    for i in range(1, sizes.agencies + 1):
        found.append((f"{PREFIX}a{i:03d}", f"基准机构{i:03d}", "agency", f"{rng.choice(provinces)}0000"))
    return found


def _profile(kind: str, rng: random.Random) -> dict:
    """A tenant's size and quality: provinces rate most, some agencies very little (small samples)."""
    size = {"province": 8.0, "city": 2.5, "county": 1.0, "agency": 0.3}[kind] * math.exp(rng.gauss(0, 0.8))
    if kind == "agency" and rng.random() < 0.3:
        size *= 0.002  # a handful of ratings a month: listed, not ranked
    return {
        "weight": size,
        "good": min(0.999, max(0.80, rng.gauss(0.975, 0.02))),
        "defaults": rng.uniform(0.0, 0.35),
        "participation": rng.uniform(0.55, 0.95),
        "unrated": rng.uniform(0.02, 0.3),
        "immediate": rng.uniform(0.1, 0.7),
        "reply": rng.uniform(0.7, 1.0),
        "rectified": rng.uniform(0.5, 0.98),
        "satisfied": rng.uniform(0.6, 0.99),
        "closed": rng.uniform(0.6, 1.0),
        "on_time": rng.uniform(0.7, 1.0),
        "realname": rng.uniform(0.8, 1.0),
        "device": rng.uniform(0.3, 0.8),
        "qr": rng.uniform(0.05, 0.3),
        "web": rng.uniform(0.02, 0.2),
    }


# One row per (tenant, day): the tenant's expected daily ratings × weekday factor × noise. Written day after
# day, as the relay appends them in production (a day's rows lie together on disk).
_INSERT = """
INSERT INTO control_plane_tenantdaystats (tenant_id, day, revision, ratings, good, bad, given, given_good, defaults,
    transactions, rated, finished_closed, finished_unrated, immediate, cases, replied, rectified, satisfied,
    verified, closed, verified_closed, on_time, realname_total, realname_done, channels)
SELECT p.tenant_id, d.day, 1, r.ratings, g.good, r.ratings - g.good, r.ratings - g.defaults,
       greatest(0, g.good - g.defaults), g.defaults,
       t.transactions, r.ratings, t.finished, floor(t.finished * p.unrated)::bigint,
       floor(t.transactions * p.immediate)::bigint,
       r.ratings - g.good, floor((r.ratings - g.good) * p.reply)::bigint, c.rectified,
       floor(c.rectified * p.satisfied)::bigint, r.ratings - g.good, c.closed, c.closed,
       floor(c.closed * p.on_time)::bigint, c.realname, floor(c.realname * p.realname)::bigint,
       jsonb_build_object('device', ch.device, 'qr', ch.qr, 'web', ch.web,
                          'app', r.ratings - ch.device - ch.qr - ch.web)
FROM bench_profiles p
CROSS JOIN generate_series(%(first)s::date, %(last)s::date, interval '1 day') AS d(day)
CROSS JOIN LATERAL (
    SELECT floor(p.daily * (CASE WHEN extract(isodow FROM d.day) > 5 THEN 0.35 ELSE 1.2 END)
                 * (0.7 + 0.6 * random()) + random())::bigint AS ratings
) r
CROSS JOIN LATERAL (
    SELECT least(r.ratings, floor(r.ratings * least(1.0, p.good + 0.01 * (random() - 0.5)) + random()))::bigint AS good,
           floor(r.ratings * p.defaults)::bigint AS defaults
) g
CROSS JOIN LATERAL (
    SELECT ceil(r.ratings / p.participation)::bigint AS transactions,
           floor(ceil(r.ratings / p.participation) * 0.9)::bigint AS finished
) t
CROSS JOIN LATERAL (
    SELECT floor((r.ratings - g.good) * p.rectified)::bigint AS rectified,
           floor((r.ratings - g.good) * p.closed)::bigint AS closed,
           floor((r.ratings - g.good) * 0.6)::bigint AS realname
) c
CROSS JOIN LATERAL (
    SELECT floor(r.ratings * p.device)::bigint AS device, floor(r.ratings * p.qr)::bigint AS qr,
           floor(r.ratings * p.web)::bigint AS web
) ch
ORDER BY d.day, p.tenant_id
"""


def generate(sizes: Sizes, *, seed: int = 6) -> Generated:
    from control_plane.benchmarking.services import month_stats_rebuild

    from tenants.models import Tenant, TenantStatus

    rng = random.Random(seed)
    last = timezone.localdate() - timedelta(days=1)
    gen = Generated(sizes=sizes, first_day=last - timedelta(days=sizes.days - 1), last_day=last)
    start = time.perf_counter()
    rows = _tenants(sizes, rng)
    with transaction.atomic():
        tenants = Tenant.objects.bulk_create(
            Tenant(
                schema_name=slug,
                slug=slug,
                name=name,
                kind=kind,
                region_code=region,
                status=TenantStatus.ACTIVE,
            )
            for slug, name, kind, region in rows
        )
    gen.tenant_ids = [t.pk for t in tenants]
    gen.seconds["tenants"] = time.perf_counter() - start

    profiles = [(t.pk, _profile(t.kind, rng)) for t in tenants]
    total_weight = sum(p["weight"] for _pk, p in profiles)
    # expected daily ratings so that the year adds up to about the target (weekdays 1.2, weekends 0.35)
    per_day = sizes.ratings / sizes.days / ((5 * 1.2 + 2 * 0.35) / 7)
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_profiles (tenant_id bigint, daily float8, good float8, defaults float8,"
            " participation float8, unrated float8, immediate float8, reply float8, rectified float8,"
            " satisfied float8, closed float8, on_time float8, realname float8, device float8, qr float8,"
            " web float8) ON COMMIT DROP"
        )
        cursor.executemany(
            "INSERT INTO bench_profiles VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (pk, per_day * p["weight"] / total_weight, p["good"], p["defaults"], p["participation"],
                 p["unrated"], p["immediate"], p["reply"], p["rectified"], p["satisfied"], p["closed"],
                 p["on_time"], p["realname"], p["device"], p["qr"], p["web"])
                for pk, p in profiles
            ],
        )  # fmt: skip
        cursor.execute("SELECT setseed(%s)", [seed / 1000])
        cursor.execute(_INSERT, {"first": gen.first_day, "last": gen.last_day})
        gen.day_rows = cursor.rowcount
        _exact_total(cursor, sizes.ratings, gen)
    gen.seconds["day_rows"] = time.perf_counter() - start
    log(f"  {gen.day_rows:,} day rows in {gen.seconds['day_rows']:.1f} s")

    start = time.perf_counter()
    gen.month_rows = month_stats_rebuild()
    gen.seconds["month_rows"] = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tenants_tenant, control_plane_tenantdaystats, benchmarking_tenantmonthstats")
        cursor.execute(
            "SELECT sum(ratings) FROM control_plane_tenantdaystats WHERE tenant_id = ANY(%s)",
            [gen.tenant_ids],
        )
        gen.ratings = int(cursor.fetchone()[0])
    return gen


def _exact_total(cursor, target: int, gen: Generated) -> None:
    """Make the ratings add up to exactly `target`: the difference goes to (or comes from) the largest day
    rows, as good reviews (or the good and the figures derived from it, kept consistent)."""
    cursor.execute(
        "SELECT sum(ratings) FROM control_plane_tenantdaystats WHERE tenant_id = ANY(%s)", [gen.tenant_ids]
    )
    missing = target - int(cursor.fetchone()[0])
    cursor.execute(
        "SELECT id, ratings, good, defaults FROM control_plane_tenantdaystats WHERE tenant_id = ANY(%s) "
        "ORDER BY ratings DESC LIMIT 200",
        [gen.tenant_ids],
    )
    largest = cursor.fetchall()
    step = math.ceil(abs(missing) / len(largest)) if missing else 0
    for pk, ratings, good, defaults in largest:
        if missing == 0:
            break
        # removing: never below the figures derived from the good reviews
        change = min(step, missing) if missing > 0 else -min(step, -missing, good - defaults, ratings // 4)
        if change == 0:
            continue
        # added or removed ratings are good, active and on the device channel (the other figures stand)
        cursor.execute(
            "UPDATE control_plane_tenantdaystats SET ratings = ratings + %s, good = good + %s, given = given + %s,"
            " given_good = given_good + %s, rated = rated + %s, transactions = transactions + greatest(0, %s),"
            " channels = jsonb_set(channels, '{device}', to_jsonb((channels->>'device')::bigint + %s))"
            " WHERE id = %s",
            [change, change, change, change, change, change, change, pk],
        )
        missing -= change
    if missing:
        raise RuntimeError(f"could not make the ratings add up: {missing} left")


def drop() -> None:
    """Remove the bench's tenants (their day and month rows go with them) and its national user."""
    from tenants.accounts.models import User
    from tenants.models import Tenant

    connection.set_schema_to_public()
    Tenant.objects.filter(slug__startswith=PREFIX, schema_name__startswith=PREFIX).delete()
    User.objects.filter(email=NATIONAL_EMAIL).delete()
