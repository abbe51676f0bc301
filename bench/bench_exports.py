"""Exports: 1,000,000 evaluations to CSV with flat memory (issue "Exports").

Why: an export above EXPORT_SYNC_MAX_ROWS (100,000) rows is written by a worker; a province's year of ratings
is millions of rows, and the worker must not grow with them. The target: the peak memory of an export of
1,000,000 rows within 1.25× of one of 100,000 rows (flat), and the export's own figures (rows/s, seconds).

How: a tenant is provisioned with tenant_provision and given a hall, windows, staff and items through the
product's services. 1,000,000 transactions and their ratings (10,000 a day over 100 days, levels as in
practice, comments on some, every rating real-name) are inserted by INSERT … SELECT over generate_series,
with triggers left on (the rollup change rows are written too), plus a case for one bad rating in ten. The
evaluator and applicant identity are real Fernet tokens (tenants.privacy.crypto.encrypt) from a pool of
2,000 identities: nothing caches by token, so decrypting a pooled token costs what a unique one does. Each
export runs in a child process (`python -m bench.bench_exports --child`) as a background job through
`export_job_run` — the real path: count, server-side cursor, batch decryption and masking, CSV writer,
progress on a second connection, rename, audit, e-mail — over the first 10 days (100,000 rows) and over all
100 days (1,000,000). Its peak RSS comes from wait4() (the child's own ru_maxrss). The file is checked: as
many lines as rows, and no 11-digit phone or 18-character ID number in clear. The batch decryption is also
timed against tenants.privacy.crypto.decrypt token by token. --quick: 100,000 rows, exports of 20,000 and
100,000.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta

from bench.core import Context, Row, log

SLUG = "benchexports"
DAYS = 100
POOL = 2000  # distinct identities (real tokens)
FIRST_DAY = date(2025, 1, 1)
FLAT_TARGET = 1.25  # peak RSS of the large export ÷ the small one
PARALLEL = 2  # sessions inserting the data
CLEAR_PHONE = re.compile(rb"(?<![\d*])1[3-9]\d{9}(?![\d*])")
CLEAR_ID = re.compile(rb"(?<![\d*])\d{17}[\dX](?![\d*])")
COMMENTS = [
    "等了一个多小时",
    "窗口人员态度不好",
    "材料要求前后不一致",
    "系统老是出错",
    "跑了三趟才办完",
    "办事效率高，点赞",
]


class _Sizes:
    def __init__(self, quick: bool) -> None:
        self.rows = 100_000 if quick else 1_000_000
        self.small = 20_000 if quick else 100_000


@dataclass
class Measured:
    rows: int
    seconds: float  # the export's wall time (export_job_run)
    cpu_seconds: float  # the export's CPU time (its thread)
    mask_cpu_seconds: float  # of which decrypting and masking identity
    rss_mib: float  # the child's peak RSS (VmHWM: its own memory, start-up included)
    rss_before_mib: float  # the child's RSS once Django is set up, before the export
    ru_maxrss_mib: (
        float  # wait4()'s ru_maxrss of the child: includes the bench's RSS at spawn (see _peak_rss_mib)
    )
    process_cpu_seconds: float  # the child's CPU time, Django's start-up included (wait4)
    file_mib: float
    lines: int
    clear_hits: int


# --- data -------------------------------------------------------------------------------------------------
def _identities() -> dict[str, list[str]]:
    from tenants.privacy.crypto import encrypt, keyed_hash

    surnames, given = ["张", "王", "李", "欧阳", "赵", "陈", "刘", "杨"], ["晓明", "华", "丽娟", "国强", "敏"]
    pool: dict[str, list[str]] = {"name": [], "phone": [], "id_number": [], "hash": []}
    for k in range(POOL):
        phone = f"139{k:08d}"
        pool["name"].append(encrypt(surnames[k % len(surnames)] + given[k % len(given)]))
        pool["phone"].append(encrypt(phone))
        pool["id_number"].append(encrypt(f"1101051980{k % 12 + 1:02d}{k % 28 + 1:02d}{k % 1000:03d}X"))
        pool["hash"].append(keyed_hash(phone))
    return pool


# Both big inserts run on PARALLEL sessions over halves of the rows (two cores); triggers and indexes stay on.
_TRANSACTIONS = """
    INSERT INTO evaluations_transaction
        (number, item_id, unit_id, window_id, staff_id, channel, applicant_type, applicant_name,
         applicant_phone, applicant_id_type, applicant_id_number, status, promise_type, received_at,
         finished_at, created_at)
    SELECT 'BX' || lpad(i::text, 8, '0'),
           (%(items)s::bigint[])[1 + i %% cardinality(%(items)s::bigint[])], %(hall)s,
           (%(windows)s::bigint[])[1 + i %% cardinality(%(windows)s::bigint[])],
           (%(staff)s::bigint[])[1 + i %% cardinality(%(staff)s::bigint[])],
           (%(channels)s::text[])[1 + i %% cardinality(%(channels)s::text[])], 'person',
           (%(names)s::text[])[1 + i %% %(pool)s], (%(phones)s::text[])[1 + i %% %(pool)s], 'resident_id',
           (%(ids)s::text[])[1 + i %% %(pool)s], 'finished', 'promised', m - interval '20 minutes',
           m, m
    FROM generate_series(%(low)s, %(high)s - 1) AS i,
         LATERAL (SELECT (%(first)s::date + (i / %(per_day)s) * interval '1 day' + interval '08:30'
                          + (i %% %(per_day)s) * %(step)s * interval '1 second')::timestamp
                         AT TIME ZONE 'Asia/Shanghai' AS m) AS moment
"""
_RATINGS = """
    INSERT INTO evaluations_evaluation
        (transaction_id, stage, revision, is_current, channel, level, is_bad, reason_tags, comment,
         comment_public, answers, anonymous, evaluator_type, evaluator_name, evaluator_phone,
         evaluator_id_type, evaluator_id_number, evaluator_hash, is_default, is_supplementary,
         excluded, excluded_reason, source, rated_at, created_at)
    SELECT t.id, 'finished', 1, true, t.channel, l.level, l.level >= 4,
           CASE WHEN l.level >= 4 THEN ARRAY['attitude', 'long_wait']::varchar(32)[] ELSE '{}' END,
           CASE WHEN l.level >= 4 OR t.id %% 7 = 0
                THEN (%(comments)s::text[])[1 + t.id %% cardinality(%(comments)s::text[])] ELSE '' END,
           false, '{}', false, 'person', (%(names)s::text[])[1 + t.id %% %(pool)s],
           (%(phones)s::text[])[1 + t.id %% %(pool)s], 'resident_id',
           (%(ids)s::text[])[1 + t.id %% %(pool)s], (%(hashes)s::text[])[1 + t.id %% %(pool)s],
           false, false, false, '', 'bench', t.finished_at + interval '2 minutes', t.finished_at
    FROM evaluations_transaction t,
         LATERAL (SELECT CASE WHEN t.id * 7919 %% 100 < 60 THEN 1 WHEN t.id * 7919 %% 100 < 87 THEN 2
                              WHEN t.id * 7919 %% 100 < 92 THEN 3 WHEN t.id * 7919 %% 100 < 97 THEN 4
                              ELSE 5 END AS level) AS l
    WHERE t.number LIKE 'BX%%' AND t.id >= %(low)s AND t.id < %(high)s
"""
_CASES = """
    INSERT INTO cases_case
        (number, source, source_ref, evaluation_id, transaction_id, stage, summary, unit_id, state,
         verification, outcome, resolution_note, realname, reason_tags, opened_at, contact_due,
         feedback_due, rectify_due, feedback_text, evaluator_opinion, opinion_source, reopened_count,
         escalation_level, head_hash, last_seq, updated_at)
    SELECT 'BC' || lpad(e.id::text, 9, '0'), 'rating', '', e.id, e.transaction_id, e.stage, '', %(hall)s,
           'new', '', '', '', true, e.reason_tags, e.rated_at, e.rated_at + interval '1 day',
           e.rated_at + interval '5 days', e.rated_at + interval '15 days', '', '', '', 0, 0, '', 0,
           e.rated_at
    FROM evaluations_evaluation e WHERE e.is_bad AND hashtext(e.id::text) %% 10 = 0
"""


def _parallel(sql: str, params: dict, ranges: list[tuple[int, int]]) -> None:
    """`sql` once per (low, high) range, each on a session of its own in the bench tenant, concurrently."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection
    from django_tenants.utils import schema_context

    def one(bounds: tuple[int, int]) -> None:
        try:
            with schema_context(SLUG), connection.cursor() as cursor:
                cursor.execute(sql, {**params, "low": bounds[0], "high": bounds[1]})
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(ranges)) as pool:
        list(pool.map(one, ranges))


def build(rows: int) -> dict:
    """The tenant, its organisation (through the services), then `rows` rated transactions in SQL."""
    from django.db import connection
    from django_tenants.utils import schema_context

    from tenants.accounts.actors import Actor
    from tenants.accounts.services import user_create
    from tenants.catalog.services import item_create
    from tenants.organisation.models import UnitKind
    from tenants.organisation.services import staff_create, unit_create
    from tenants.services import control_plane_ensure, tenant_provision, tenant_template_ensure

    actor = Actor.system("bench")
    control_plane_ensure()
    tenant_template_ensure()
    tenant_provision(
        actor=actor,
        slug=SLUG,
        name="基准租户 导出",
        kind="agency",
        region_code="110000",
        admin_email=f"admin@{SLUG}.example",
    )
    timings: dict[str, float] = {}
    with schema_context(SLUG):
        department = unit_create(actor=actor, code="ED01", name="市场监督管理局", kind=UnitKind.DEPARTMENT)
        hall = unit_create(
            actor=actor, code="EH01", name="市民中心政务服务大厅", kind=UnitKind.HALL, parent=department
        )
        windows = [
            unit_create(
                actor=actor,
                code=f"EW{n:02d}",
                name=f"A{n:02d} 综合受理窗口",
                kind=UnitKind.WINDOW,
                parent=hall,
            )
            for n in range(1, 17)
        ]
        staff = [
            staff_create(actor=actor, staff_no=f"ES{n:03d}", name=f"工作人员{n:03d}", unit=hall)
            for n in range(1, 33)
        ]
        items = [
            item_create(
                actor=actor,
                code=f"EITEM-{n:03d}",
                name=f"食品经营许可证核发（{n}）",
                item_type="licensing",
                responsible_unit=department,
                time_limit_days=5,
                promise_type="promised",
            )
            for n in range(1, 41)
        ]
        user = user_create(actor=actor, email=f"supervisor@{SLUG}.example", role="supervisor")
        pool = _identities()
        per_day = rows // DAYS
        params = {
            "n": rows,
            "per_day": per_day,
            "step": 36_000 / per_day,  # seconds between ratings: a day's ratings in 08:30–18:30
            "first": FIRST_DAY.isoformat(),
            "items": [i.pk for i in items],
            "hall": hall.pk,
            "windows": [w.pk for w in windows],
            "staff": [s.pk for s in staff],
            "channels": ["device"] * 6 + ["web", "app", "miniprogram", "qr"],
            "pool": POOL,
            "names": pool["name"],
            "phones": pool["phone"],
            "ids": pool["id_number"],
            "hashes": pool["hash"],
            "comments": COMMENTS,
        }
        start = time.perf_counter()
        _parallel(
            _TRANSACTIONS,
            params,
            [(k * rows // PARALLEL, (k + 1) * rows // PARALLEL) for k in range(PARALLEL)],
        )
        timings["insert_transactions_s"] = time.perf_counter() - start
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT min(id), max(id) + 1 FROM evaluations_transaction WHERE number LIKE 'BX%%'"
            )
            low, high = cursor.fetchone()
        start = time.perf_counter()
        _parallel(
            _RATINGS,
            params,
            [
                (low + k * (high - low) // PARALLEL, low + (k + 1) * (high - low) // PARALLEL)
                for k in range(PARALLEL)
            ],
        )
        timings["insert_evaluations_s"] = time.perf_counter() - start
        with connection.cursor() as cursor:
            start = time.perf_counter()
            cursor.execute(_CASES, params)
            timings["insert_cases_s"] = time.perf_counter() - start
            start = time.perf_counter()
            cursor.execute("ANALYZE evaluations_transaction, evaluations_evaluation, cases_case")
            timings["analyze_s"] = time.perf_counter() - start
            cursor.execute("SELECT count(*) FROM evaluations_evaluation")
            stored = cursor.fetchone()[0]
        user_pk = user.pk
    connection.set_schema_to_public()
    return {"user": user_pk, "stored": stored, "timings": timings, "per_day": per_day}


def queue_job(user_pk: int, days: int) -> int:
    """An export job of the first `days` days (as the page makes one above the threshold; not sent to a
    worker: the child process runs it)."""
    from django.db import connection
    from django_tenants.utils import schema_context

    from tenants.insight.exports.models import ExportJob

    with schema_context(SLUG):
        filters = {
            "from": FIRST_DAY.isoformat(),
            "to": (FIRST_DAY + timedelta(days=days - 1)).isoformat(),
            "unit": "",
            "item": "",
            "channel": "",
            "item_type": "",
            "current_only": True,
        }
        job = ExportJob.objects.create(
            kind="evaluations",
            file_format="csv",
            filters=filters,
            requested_by_id=user_pk,
            language="zh-hans",
        )
        pk = job.pk
    connection.set_schema_to_public()
    return pk


# --- the child: one export, as the worker runs it --------------------------------------------------------
def _rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_rss_mib() -> float:
    """The kernel's high-water mark of this process's own memory (VmHWM). getrusage()'s ru_maxrss is not
    that: at exec() Linux folds the RSS of the address space being replaced — the parent's, which the child
    shares under vfork or copies under fork — into the new process's maxrss, so a child's ru_maxrss (and the
    parent's wait4/RUSAGE_CHILDREN view of it) is at least the bench process's own RSS at spawn time."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def child(schema: str, job_id: int) -> None:
    """One export job as the worker runs it; prints its figures as JSON. The CPU time of the identity
    decryption and masking is this thread's (time.thread_time), so other load on the machine does not count;
    RSS is sampled twice a second to show how memory moves during the export."""
    import resource
    import threading

    import django

    django.setup()
    from django_tenants.utils import schema_context

    from tenants.insight.exports import selectors
    from tenants.insight.exports.services import export_job_run

    masking = [0.0]
    timed_mask = selectors.masked_identities

    def measured(rows):
        start = time.thread_time()
        try:
            return timed_mask(rows)
        finally:
            masking[0] += time.thread_time() - start

    samples: list[tuple[float, float]] = []
    done = threading.Event()

    def sample() -> None:
        begin = time.perf_counter()
        while not done.wait(0.5):
            samples.append((round(time.perf_counter() - begin, 1), round(_rss_mib(), 1)))

    selectors.masked_identities = measured
    sampler = threading.Thread(target=sample, daemon=True)

    with schema_context(schema):
        rss_before, peak_before = _rss_mib(), _peak_rss_mib()
        sampler.start()
        start, cpu_start = time.perf_counter(), time.thread_time()
        job = export_job_run(job_id=job_id)
        seconds, cpu = time.perf_counter() - start, time.thread_time() - cpu_start
        done.set()
        peak_after = _peak_rss_mib()
    sampler.join()
    step = max(1, len(samples) // 20)
    print(
        json.dumps(
            {
                "vm_hwm_mib": round(_peak_rss_mib(), 1),  # the child's own peak RSS
                "ru_maxrss_self_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "rss_before_export_mib": round(rss_before, 1),
                "peak_before_export_mib": round(peak_before, 1),
                "peak_after_export_mib": round(peak_after, 1),
                "rss_samples_mib": samples[::step],
                "status": job.status,
                "message": job.message,
                "rows": job.row_count,
                "file": job.file_path,
                "seconds": seconds,
                "cpu_seconds": cpu,
                "mask_cpu_seconds": masking[0],
            }
        )
    )


def export_in_child(ctx: Context, job_id: int, media: str) -> tuple[dict, float, float]:
    """Run the job in a child process; (its JSON, wait4()'s ru_maxrss in MiB, CPU seconds of the child)."""
    env = {**ctx.env, "MEDIA_ROOT": media, "LOG_LEVEL": "WARNING"}
    out_path, err_path = ctx.workdir / f"export-{job_id}.out", ctx.workdir / f"export-{job_id}.err"
    with out_path.open("w") as out, err_path.open("w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.bench_exports", "--child", SLUG, str(job_id)],
            cwd=ctx.root,
            env=env,
            stdout=out,
            stderr=err,
        )
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    if process.returncode != 0:
        raise RuntimeError(f"export child failed ({process.returncode}): {err_path.read_text()[-2000:]}")
    result = json.loads(out_path.read_text().strip().splitlines()[-1])
    if result["status"] != "done":
        raise RuntimeError(f"export job {job_id} ended {result['status']}: {result['message']}")
    return result, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def check_file(path: str) -> tuple[int, int, float]:
    """(lines, clear phone/ID matches, MiB) of an export file, read in blocks."""
    lines = hits = size = 0
    tail = b""
    with open(path, "rb") as source:
        while block := source.read(8 << 20):
            size += len(block)
            lines += block.count(b"\n")
            cut = block.rfind(b"\n") + 1
            chunk, tail = tail + block[:cut], block[cut:]
            hits += len(CLEAR_PHONE.findall(chunk)) + len(CLEAR_ID.findall(chunk))
        hits += len(CLEAR_PHONE.findall(tail)) + len(CLEAR_ID.findall(tail))
    return lines, hits, size / 2**20


def decrypt_speed(n: int = 30_000) -> tuple[float, float]:
    """CPU µs per token (this thread's, best of three): crypto.decrypt one by one, and the exports' batch
    decryption in chunks of 6,000 (an export's 2,000 rows × 3 fields)."""
    from tenants.insight.exports.identity import decrypt_many
    from tenants.privacy.crypto import decrypt, encrypt

    tokens = [encrypt(v) for i in range(n // 3) for v in ("欧阳娜娜", f"139{i:08d}", "11010519491231002X")]

    def best(fn) -> tuple[float, list[str]]:
        times, result = [], []
        for _ in range(3):
            start = time.thread_time()
            result = fn()
            times.append(time.thread_time() - start)
        return 1e6 * min(times) / len(tokens), result

    single, one_by_one = best(lambda: [decrypt(t) for t in tokens])
    batch, batched = best(
        lambda: [v for i in range(0, len(tokens), 6000) for v in decrypt_many(tokens[i : i + 6000])]
    )
    assert batched == one_by_one
    return single, batch


# --- the benchmark -------------------------------------------------------------------------------------------
def _drop_leftover() -> None:
    from bench.tenancy import drop_tenants
    from tenants.models import Tenant

    if Tenant.objects.filter(schema_name=SLUG).exists():
        log(f"dropping the tenant {SLUG} left by an earlier run")
        drop_tenants([SLUG])


def _forget_queues() -> None:
    """The million synthetic ratings queued rollup changes and national-feed outbox rows in this tenant: empty
    them, so the modules after this one (the feed's lag) do not first relay a bench's artefact."""
    from django.db import connection
    from django_tenants.utils import schema_context

    with schema_context(SLUG), connection.cursor() as cursor:
        for table in (
            "feed_feedoutbox",
            "insight_ratingchange",
            "insight_transactionchange",
            "insight_casechange",
        ):
            cursor.execute(f"DELETE FROM {table}")


def run(ctx: Context) -> list[Row]:
    from django.db import connection

    from bench.tenancy import drop_tenants

    sizes = _Sizes(ctx.quick)
    details: dict = ctx.details.setdefault("exports", {})
    if not ctx.embedded:
        _drop_leftover()
        ctx.at_exit(lambda: drop_tenants([SLUG]))
    started = time.monotonic()
    try:
        log(f"exports: provisioning {SLUG} and inserting {sizes.rows:,} rated transactions (SQL) …")
        world = build(sizes.rows)
        details["data"] = world
        log(f"  inserted: {world['timings']}")
        media = str(ctx.workdir / "media")
        measured: dict[int, Measured] = {}
        samples: dict[int, list] = {}
        for rows in (sizes.small, sizes.rows):
            job = queue_job(world["user"], rows // world["per_day"])
            log(f"  exporting {rows:,} rows (CSV, background writer, child process) …")
            result, rss, cpu = export_in_child(ctx, job, media)
            lines, hits, mib = check_file(os.path.join(media, result["file"]))
            measured[rows] = Measured(
                rows=result["rows"],
                seconds=result["seconds"],
                cpu_seconds=result["cpu_seconds"],
                mask_cpu_seconds=result["mask_cpu_seconds"],
                rss_mib=result["vm_hwm_mib"],
                rss_before_mib=result["rss_before_export_mib"],
                ru_maxrss_mib=round(rss, 1),
                process_cpu_seconds=cpu,
                file_mib=mib,
                lines=lines,
                clear_hits=hits,
            )
            samples[rows] = result["rss_samples_mib"]
            os.remove(os.path.join(media, result["file"]))
            log(f"    {measured[rows]}")
        single_us, batch_us = decrypt_speed(6000 if ctx.quick else 30_000)
    finally:
        _forget_queues()
        connection.set_schema_to_public()
    elapsed = time.monotonic() - started
    small, large = measured[sizes.small], measured[sizes.rows]
    ratio = large.rss_mib / small.rss_mib
    details.update(
        {
            "measured": {str(k): v.__dict__ for k, v in measured.items()},
            "rss_samples_mib": {str(k): v for k, v in samples.items()},  # (seconds into the export, MiB)
            "decrypt_us_per_token": {
                "crypto.decrypt": round(single_us, 2),
                "decrypt_many": round(batch_us, 2),
            },
            "elapsed_s": round(elapsed, 1),
        }
    )
    rows: list[Row] = [
        Row(
            "data: rated transactions inserted",
            world["stored"],
            unit="",
            note=f"INSERT … SELECT, triggers on: transactions {world['timings']['insert_transactions_s']:.1f} s, "
            f"ratings {world['timings']['insert_evaluations_s']:.1f} s, cases "
            f"{world['timings']['insert_cases_s']:.1f} s",
        )
    ]
    for m in (small, large):
        rows += [
            Row(
                f"CSV export {m.rows:,} rows",
                m.seconds,
                note=f"{m.rows / m.seconds:,.0f} rows/s; export CPU {m.cpu_seconds:.1f} s, of it identity "
                f"decrypt+mask {m.mask_cpu_seconds:.1f} s ({100 * m.mask_cpu_seconds / m.cpu_seconds:.0f}%); "
                f"{m.file_mib:.0f} MiB",
            ),
            Row(
                f"CSV export {m.rows:,} rows: peak RSS",
                round(m.rss_mib, 1),
                unit="MiB",
                note=f"the export's process, VmHWM; {m.rss_before_mib:.0f} MiB with Django loaded, before the "
                f"export (getrusage ru_maxrss {m.ru_maxrss_mib:.0f} MiB counts the bench's own RSS at spawn)",
            ),
        ]
    rows += [
        Row(
            f"peak RSS {large.rows:,} ÷ {small.rows:,} rows",
            ratio,
            unit="x",
            target=f"≤ {FLAT_TARGET:g}× (flat)",
            passed=ratio <= FLAT_TARGET,
        ),
        Row(
            "export files complete and masked",
            sum(m.clear_hits for m in measured.values()),
            unit="clear IDs",
            target="0, all rows",
            passed=all(m.clear_hits == 0 and m.lines == m.rows + 1 for m in measured.values())
            and large.rows == sizes.rows
            and small.rows == sizes.small,
            note="; ".join(f"{m.rows:,} rows → {m.lines - 1:,} lines" for m in measured.values())
            + "; no 11-digit phone or 18-character ID number in clear",
        ),
        Row(
            "identity decryption per token",
            round(batch_us, 2),
            unit="µs",
            note=f"CPU; batched, every HMAC verified (exports) vs {single_us:.1f} µs with crypto.decrypt one "
            f"by one ({single_us / batch_us:.1f}× less)",
        ),
        Row("exports bench elapsed", elapsed, note="data, both exports and the checks"),
    ]
    return rows


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "--child":
    child(sys.argv[2], int(sys.argv[3]))
