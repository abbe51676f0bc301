"""The insight overview on a tenant with 10M ratings: p95 server time ≤ 150 ms (issue 5).

Why: supervisors open the overview first and change its period and filters all day; a year of a large
city's ratings must not make it slow. The overview reads only the rollups (tenants/insight/README.md).

How: bench.insight_data provisions the tenant `benchinsight` with tenant_provision, builds its organisation
(20 departments × 2 halls × 12 windows, 600 staff, 200 published items, 4 platforms) through the product's
services and writes the rollups of 10,000,000 ratings over the last 365 days directly with SQL (raw
evaluations, transactions and cases are not generated: the overview never reads them). gunicorn then
serves the product with the production configuration (infra/gunicorn.conf.py, settings base.py with static
files collected as in production) and a supervisor, signed in by a session made in the tenant's schema,
GETs the overview sequentially on one keep-alive connection after a warm-up: (a) the default period (last
30 days), (b) a whole year, (c) one department over 30 days. Latency is measured by the client on the
loopback (request sent → body read), which is the server's time plus well under a millisecond. Every
response must be a 200 that shows the period's number of ratings. So that a miss says where the time goes,
the selector is also timed in-process with the queries it runs (how many, the slowest, and its EXPLAIN
ANALYZE in results.json), and the whole page in-process (django.test.Client) with a cProfile split of
selector, panels and template rendering.
"""

from __future__ import annotations

import http.client
import os
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from bench.core import Context, Row, log, percentile
from bench.insight_data import SLUG, SUPERVISOR_EMAIL, Generated, generate
from bench.intake_load import gunicorn
from bench.tenancy import drop_tenants

SETTINGS = "bench.insight_settings"
TARGET_MS = 150.0
RATINGS = 10_000_000
QUICK_RATINGS = 300_000


class _Sizes:
    def __init__(self, quick: bool) -> None:
        self.ratings = QUICK_RATINGS if quick else RATINGS
        self.warm = 10 if quick else 20  # per scenario, not timed
        self.requests = 30 if quick else 200  # per scenario, timed
        self.in_process = 5 if quick else 15  # selector calls per scenario, timed in-process


@dataclass
class Scenario:
    key: str
    label: str
    query: dict[str, str]
    start: date
    end: date
    unit_code: str | None = None
    target: bool = True  # the target applies


@dataclass
class Timing:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    figure_missing: int = 0
    loadavg: float = 0.0  # 1-min load average when the scenario ended
    error_pages: int = 0
    bytes: int = 0

    def p(self, q: float) -> float:
        return percentile(self.latencies_ms, q)


# --- the overview, in-process -----------------------------------------------------------------------------


def overview_callable() -> tuple[str, Callable | None]:
    """The dashboards' overview selector when it is in the tree, else the §10 indicators (what exists)."""
    try:
        from tenants.insight.dashboards.selectors import overview
    except ImportError:
        from tenants.insight.selectors import indicators

        return "tenants.insight.selectors.indicators", lambda scope: indicators(scope)
    return "tenants.insight.dashboards.selectors.overview", lambda scope: overview(scope, granularity="day")


@contextmanager
def _persistent_connection():
    """The bench process runs config.settings.test (a new session per request); production keeps its sessions."""
    settings_dict = connection.settings_dict
    previous = settings_dict["CONN_MAX_AGE"]
    settings_dict["CONN_MAX_AGE"] = None
    connection.close()
    try:
        yield
    finally:
        settings_dict["CONN_MAX_AGE"] = previous
        connection.close()
        connection.set_schema_to_public()


def _scope(s: Scenario):
    from tenants.insight.selectors import Scope
    from tenants.organisation.models import Unit

    unit = Unit.objects.get(code=s.unit_code) if s.unit_code else None
    return Scope(start=s.start, end=s.end, unit=unit)


def in_process(scenarios: list[Scenario], calls: int) -> dict[str, dict]:
    """Per scenario: the selector's wall time over `calls` calls, its queries, the slowest one explained."""
    name, fn = overview_callable()
    found: dict[str, dict] = {}
    with schema_context(SLUG), _persistent_connection():
        connection.set_schema(SLUG)
        for s in scenarios:
            scope = _scope(s)
            fn(scope)  # warm: connection, plans, buffers
            seconds = []
            for _ in range(calls):
                start = time.perf_counter()
                fn(scope)
                seconds.append(time.perf_counter() - start)
            with CaptureQueriesContext(connection) as captured:
                fn(scope)
            queries = [(float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries]
            slowest_ms, slowest_sql = max(queries, default=(0.0, ""))
            plan = ""
            if slowest_sql:
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest_sql)
                    plan = "\n".join(row[0] for row in cursor.fetchall())
            found[s.key] = {
                "selector": name,
                "median_ms": round(1000 * statistics.median(seconds), 1),
                "p95_ms": round(1000 * percentile(seconds, 95), 1),
                "queries": len(queries),
                "queries_ms": round(sum(ms for ms, _ in queries), 1),
                "slowest_ms": round(slowest_ms, 1),
                "slowest_sql": slowest_sql[:4000],
                "slowest_plan": plan,
                "all_queries_ms": [round(ms, 1) for ms, _ in queries],
            }
    return found


# Functions whose cumulative (wall) time splits an in-process request: (label, file suffix, function name).
_PROFILE_PARTS = [
    ("request (WSGI handler, all middleware)", "django/core/handlers/base.py", "get_response"),
    ("view", "insight/dashboards/views.py", "overview_page"),
    ("  overview() selector", "insight/dashboards/selectors.py", "overview"),
    ("  panels (tables, cards)", "insight/dashboards/panels.py", "overview_panels"),
    ("  kpi_cards", "insight/dashboards/panels.py", "kpi_cards"),
    ("  charts_json", "insight/dashboards/panels.py", "charts_json"),
    ("  figures_as_of", "insight/dashboards/selectors.py", "figures_as_of"),
    ("  template render", "django/shortcuts.py", "render"),
    ("SQL execute (client side, all queries)", "django/db/backends/utils.py", "_execute"),
]


class _QueryTimes:
    """A database execute wrapper that keeps each query's wall time (ms)."""

    def __init__(self) -> None:
        self.ms: list[float] = []

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.ms.append((time.perf_counter() - start) * 1000)


def request_profile(host: str, cookie: str, scenarios: list[Scenario], n: int) -> dict[str, dict]:
    """The whole page in-process (django.test.Client, persistent DB session, the bench process's test settings):
    wall time per request, queries per request, and how the time splits (cProfile with a wall clock, so waits on
    PostgreSQL count; cProfile inflates call-heavy Python, so the split is a guide, not a measurement)."""
    import cProfile
    import pstats

    from django.conf import settings
    from django.test import Client as DjangoClient

    found: dict[str, dict] = {}
    client = DjangoClient(HTTP_HOST=host)
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie
    with _persistent_connection():
        for s in scenarios:
            path = _path("/insight/", s.query)
            response = client.get(path)
            if response.status_code == 404:  # the overview page is not in the tree
                return {}
            if response.status_code != 200:
                raise RuntimeError(f"in-process GET {path}: {response.status_code}")
            for _ in range(2):
                client.get(path)
            seconds = []
            for _ in range(n):
                start = time.perf_counter()
                client.get(path)
                seconds.append(time.perf_counter() - start)
            queries = _QueryTimes()
            with connection.execute_wrapper(queries):  # CaptureQueriesContext is reset by request_started
                client.get(path)
            profiler = cProfile.Profile(time.perf_counter)
            profiler.enable()
            for _ in range(max(3, n // 3)):
                client.get(path)
            profiler.disable()
            cumulative: Counter = Counter()
            for (filename, _line, name), (_cc, _nc, _tt, ct, _callers) in pstats.Stats(
                profiler
            ).stats.items():  # type: ignore[attr-defined]
                for label, suffix, function in _PROFILE_PARTS:
                    if name == function and filename.endswith(suffix):
                        cumulative[label] += ct
            total = cumulative[_PROFILE_PARTS[0][0]] or 1.0
            found[s.key] = {
                "median_ms": round(1000 * statistics.median(seconds), 1),
                "queries": len(queries.ms),
                "queries_ms": round(sum(queries.ms), 1),
                "share_of_request": {
                    label: round(cumulative[label] / total, 3) for label, *_ in _PROFILE_PARTS
                },
            }
    return found


# --- the overview, through HTTP ---------------------------------------------------------------------------


def signed_in_cookie(host: str) -> str:
    """A supervisor's session, made in the tenant's schema as signing in would: the `sessionid` cookie value."""
    from django.conf import settings
    from django.test import Client as DjangoClient

    from tenants.accounts.actors import Actor
    from tenants.accounts.services import user_create

    with schema_context(SLUG):
        user = user_create(actor=Actor.system("bench"), email=SUPERVISOR_EMAIL, role="supervisor")
        client = DjangoClient(HTTP_HOST=host)
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    connection.set_schema_to_public()
    return cookie


def collect_static(ctx: Context, root: str) -> None:
    subprocess.run(
        [sys.executable, str(ctx.root / "manage.py"), "collectstatic", "--noinput", "-v0"],
        env={**ctx.env, "DJANGO_SETTINGS_MODULE": SETTINGS, "BENCH_STATIC_ROOT": root},
        cwd=ctx.root,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )


def _path(base: str, query: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return f"{base}?{urlencode(query)}" if query else base


def figure_patterns(n: int) -> list[str]:
    """How the number of ratings may be written on the page."""
    return [f"{n:,}", str(n), f"{n:,}".replace(",", "\u202f"), f"{n:,}".replace(",", "\u00a0")]


ERROR_MARKERS = ("Traceback", "Server Error (500)", "<title>Page not found")


def measure(
    port: int, host: str, cookie: str, path: str, *, warm: int, count: int, expect: list[str]
) -> Timing:
    headers = {"Host": host, "Cookie": f"sessionid={cookie}", "Accept": "text/html"}
    timing = Timing()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        for i in range(warm + count):
            start = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            elapsed = (time.perf_counter() - start) * 1000
            if i < warm:
                if response.status != 200:
                    raise RuntimeError(f"GET {path}: {response.status} {body[:500]!r}")
                continue
            timing.latencies_ms.append(elapsed)
            timing.statuses[response.status] += 1
            timing.bytes = len(body)
            text = body.decode(errors="replace")
            if any(marker in text for marker in ERROR_MARKERS):
                timing.error_pages += 1
            if expect and not any(p in text for p in expect):
                timing.figure_missing += 1
    finally:
        conn.close()
    return timing


def ratings_in(s: Scenario) -> int:
    """The scenario's number of ratings as the rollups hold it (what the page must show)."""
    from django.db.models import Sum

    from tenants.insight.selectors import rating_rollups

    with schema_context(SLUG):
        total = rating_rollups(_scope(s)).aggregate(n=Sum("count"))["n"] or 0
    connection.set_schema_to_public()
    return int(total)


def page_exists(port: int, host: str, cookie: str) -> tuple[bool, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", "/insight/", headers={"Host": host, "Cookie": f"sessionid={cookie}"})
        response = conn.getresponse()
        response.read()
        return response.status == 200, response.status
    finally:
        conn.close()


# --- the benchmark ----------------------------------------------------------------------------------------


def _drop_leftover() -> None:
    from tenants.models import Tenant

    if Tenant.objects.filter(schema_name=SLUG).exists():
        log(f"dropping the tenant {SLUG} left by an earlier run")
        drop_tenants([SLUG])


def run(ctx: Context) -> list[Row]:
    sizes = _Sizes(ctx.quick)
    details: dict = ctx.details.setdefault("insight", {})
    if not ctx.embedded:
        _drop_leftover()
        ctx.at_exit(lambda: drop_tenants([SLUG]))
    try:
        return _run(ctx, sizes, details)
    finally:
        connection.set_schema_to_public()


def _scenarios(gen: Generated, department: str) -> list[Scenario]:
    today = gen.today
    month = today - timedelta(days=29)
    year = today - timedelta(days=365)
    return [
        Scenario("default", "overview, last 30 days", {}, month, today),
        Scenario(
            "year",
            "overview, a whole year",
            {"from": year.isoformat(), "to": today.isoformat()},
            year,
            today,
        ),
        Scenario(
            "department",
            f"overview, one department ({department}), 30 days",
            {"unit": department},
            month,
            today,
            unit_code=department,
            target=False,
        ),
    ]


def _run(ctx: Context, sizes: _Sizes, details: dict) -> list[Row]:
    log(f"generating the insight tenant: organisation and the rollups of {sizes.ratings:,} ratings …")
    start = time.perf_counter()
    gen = generate(ratings=sizes.ratings)
    generation_s = time.perf_counter() - start
    log(f"  generated in {generation_s:.1f} s ({_seconds(gen)}); {gen.summary()}")
    details["generation"] = {
        "ratings": gen.ratings,
        "seconds": round(generation_s, 1),
        "phases_s": {k: round(v, 1) for k, v in gen.seconds.items()},
        "rows": gen.rows,
        "fine_sum": gen.fine_sum,
        "day_sum": gen.day_sum,
        "hour_sum": gen.hour_sum,
        "transactions": gen.transactions,
        "rated": gen.rated,
        "cases": gen.cases,
        "bad": gen.bad,
        "defaults": gen.defaults,
        "channel_mix": gen.channel_mix,
        "days": [gen.first_day.isoformat(), gen.today.isoformat()],
        "table_bytes": _table_bytes(),
    }
    department = gen.departments[4]
    scenarios = _scenarios(gen, department)
    expected = {s.key: ratings_in(s) for s in scenarios}
    details["expected_ratings"] = expected

    selector, _fn = overview_callable()
    log(f"in-process: {selector} …")
    inproc = in_process(scenarios, sizes.in_process)
    details["in_process"] = inproc

    cookie = signed_in_cookie(gen.host)
    log("in-process: the whole page (django.test.Client) …")
    page = request_profile(gen.host, cookie, scenarios, sizes.in_process)
    details["in_process_page"] = page
    static_root = ctx.workdir / "insight-static"
    log("collectstatic (as the production image does) …")
    collect_static(ctx, str(static_root))
    log_path = ctx.workdir / "insight-gunicorn.log"
    log("starting gunicorn (infra/gunicorn.conf.py) …")
    timings: dict[str, Timing] = {}
    with gunicorn(
        {**ctx.env, "BENCH_STATIC_ROOT": str(static_root)}, settings=SETTINGS, log_path=log_path
    ) as server:
        port = server.port  # type: ignore[attr-defined]
        exists, status = page_exists(port, gen.host, cookie)
        base = "/insight/" if exists else "/api/v1/indicators"
        if not exists:
            log(
                f"  /insight/ answers {status}: the overview page is not in the tree; nothing to measure over HTTP"
            )
        else:
            # warm every worker (each has its own connection, caches and template loader)
            for _ in range(3):
                for s in scenarios:
                    measure(port, gen.host, cookie, _path(base, s.query), warm=0, count=3, expect=[])
            for s in scenarios:
                log(f"  GET {_path(base, s.query)} × {sizes.requests} …")
                timings[s.key] = measure(
                    port,
                    gen.host,
                    cookie,
                    _path(base, s.query),
                    warm=sizes.warm,
                    count=sizes.requests,
                    expect=figure_patterns(expected[s.key]),
                )
                t = timings[s.key]
                t.loadavg = os.getloadavg()[0]
                log(
                    f"    p50 {t.p(50):.1f} ms, p95 {t.p(95):.1f} ms, max {max(t.latencies_ms):.1f} ms; {dict(t.statuses)}"
                )
        server_log = log_path.read_text(errors="replace")
    details["gunicorn_log_tail"] = server_log[-2000:]
    details["http"] = {
        key: {
            "requests": len(t.latencies_ms),
            "p50_ms": round(t.p(50), 1),
            "p90_ms": round(t.p(90), 1),
            "p95_ms": round(t.p(95), 1),
            "p99_ms": round(t.p(99), 1),
            "max_ms": round(max(t.latencies_ms, default=0), 1),
            "statuses": dict(t.statuses),
            "figure_missing": t.figure_missing,
            "error_pages": t.error_pages,
            "page_bytes": t.bytes,
            "loadavg_1min_at_end": t.loadavg,
        }
        for key, t in timings.items()
    }
    details["loadavg"] = os.getloadavg()

    return _rows(gen, generation_s, scenarios, timings, inproc, page, expected)


def _what(sql: str) -> str:
    """What the slowest query reads (its table, and what it groups by), for the table's note."""
    table = re.search(r'FROM "(\w+)"', sql)
    if not table:
        return ""
    grouped = " GROUP BY " in sql
    columns = re.findall(r'\."(\w+)" AS', sql.split("COALESCE")[0]) if grouped else []
    by = f" by {', '.join(columns)}" if columns else (" grouped" if grouped else "")
    return f" ({table[1].removeprefix('insight_')}{by})"


def _seconds(gen: Generated) -> str:
    return ", ".join(f"{k} {v:.1f} s" for k, v in gen.seconds.items())


def _table_bytes() -> dict[str, int]:
    from bench.insight_data import TABLES

    with schema_context(SLUG), connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, pg_total_relation_size(c.oid) FROM pg_class c "
            "WHERE c.relnamespace = %s::regnamespace AND relname = ANY(%s)",
            [SLUG, list(TABLES)],
        )
        sizes = dict(cursor.fetchall())
    connection.set_schema_to_public()
    return sizes


def _rows(
    gen: Generated,
    generation_s: float,
    scenarios: list[Scenario],
    timings: dict[str, Timing],
    inproc: dict[str, dict],
    page: dict[str, dict],
    expected: dict[str, int],
) -> list[Row]:
    short = {t: t.removeprefix("insight_").removesuffix("rollup") for t in gen.rows}
    rows = [
        Row(
            "generate: tenant + rollups of 10M ratings"
            if gen.ratings == RATINGS
            else f"generate: tenant + rollups of {gen.ratings:,} ratings",
            generation_s,
            note=f"rollups written directly with SQL (raw rows NOT generated); fine sum {gen.fine_sum:,}, day sum "
            f"{gen.day_sum:,}, hour sum {gen.hour_sum:,}; rows "
            + ", ".join(f"{short[t]} {n:,}" for t, n in gen.rows.items()),
        )
    ]
    for s in scenarios:
        ip = inproc[s.key]
        pg = page[s.key]
        render = (
            pg["share_of_request"]["  template render"] + pg["share_of_request"]["  panels (tables, cards)"]
        )
        where = (
            f"in-process: page {pg['median_ms']:.1f} ms ({pg['queries']} queries; ~{100 * render:.0f} % panels + "
            f"template), {ip['selector'].rsplit('.', 1)[1]}() {ip['median_ms']:.1f} ms, "
            f"{ip['queries']} queries ({ip['queries_ms']:.1f} ms) slowest {ip['slowest_ms']:.1f} ms"
            f"{_what(ip['slowest_sql'])}"
        )
        t = timings.get(s.key)
        if t is None:
            rows.append(
                Row(
                    f"{s.label} p95",
                    None,
                    unit="ms",
                    target=f"≤ {TARGET_MS:g} ms" if s.target else "",
                    passed=None,
                    note=f"NOT MEASURED over HTTP: /insight/ is not in the tree yet; {where}",
                )
            )
            continue
        ok = t.statuses.get(200, 0) == len(t.latencies_ms) and not t.error_pages and not t.figure_missing
        rows.append(Row(f"{s.label} p50", t.p(50), unit="ms", note=f"{len(t.latencies_ms)} sequential GETs"))
        rows.append(
            Row(
                f"{s.label} p95",
                t.p(95),
                unit="ms",
                target=f"≤ {TARGET_MS:g} ms" if s.target else "",
                passed=(t.p(95) <= TARGET_MS and ok) if s.target else (None if ok else False),
                note=f"{where}; {expected[s.key]:,} ratings shown"
                + (
                    ""
                    if ok
                    else f"; BAD RESPONSES {dict(t.statuses)}, error pages {t.error_pages}, "
                    f"figure missing {t.figure_missing}"
                ),
            )
        )
    return rows
