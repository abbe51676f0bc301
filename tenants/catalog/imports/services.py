"""Import jobs: create one from an upload (checked enough to refuse a wrong file at once), then run it — in a
Celery worker (the task carries the tenant's schema) or in the command line, with progress either way.

How a run goes:
1. Check every row (cell formats, then the spec's rules against the database and across rows), chunk by
   chunk, spooling the rows to a temporary file so that an XLSX is parsed only once. Progress is written as
   it goes.
2. If any row is wrong, write the error file: the upload with an added 错误 column, same format.
3. All-or-nothing (the default): any wrong row → nothing is imported. Valid-only: the wrong rows are skipped.
4. Write the rows in chunks inside ONE database transaction (bulk inserts and updates, never a save per
   row), so a failure half-way leaves nothing behind. Progress inside the transaction is invisible to other
   connections, so it is published through the cache as well.
"""

import csv
import logging
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from tenants.accounts.actors import Actor
from tenants.accounts.services import audit_record
from tenants.catalog.imports.files import Table, csv_bytes, detect_format, xlsx_bytes
from tenants.catalog.imports.spec import ERROR_HEADER, ERROR_KEY, ImportSpec, Row, header_map
from tenants.catalog.models import ImportJob, ImportKind, ImportStatus

logger = logging.getLogger(__name__)

SPECS = {
    ImportKind.ITEMS: "tenants.catalog.imports.items.ItemImport",
    ImportKind.UNITS: "tenants.organisation.imports.UnitImport",
    ImportKind.STAFF: "tenants.organisation.imports.StaffImport",
}
CHUNK_ROWS = 2000
MAX_ROWS = 300_000
ERRORS_PREVIEW = 100
CHECK_SHARE = 40  # percent of the bar for checking; writing takes the rest
PROGRESS_TTL = 24 * 3600


def import_spec(kind: str) -> ImportSpec:
    if kind not in SPECS:
        raise ValidationError({"kind": [_("Unknown import kind “%(kind)s”.") % {"kind": kind}]})
    return import_string(SPECS[kind])()


@dataclass(frozen=True)
class Progress:
    job_id: int
    status: str
    done: int  # rows through the current stage
    total: int  # rows the current stage will go through
    percent: int


ProgressCallback = Callable[[Progress], None]


def _progress_key(job_id: int) -> str:
    return f"import-job:{job_id}:progress"  # the cache's key function adds the tenant's schema


def progress_of(job: ImportJob) -> Progress:
    """The newest progress of a job: the cache while it runs (writes happen inside a transaction), the row
    once it has finished."""
    if not job.finished:
        cached = cache.get(_progress_key(job.pk))
        if cached:
            return Progress(**cached)
    if job.finished:
        return Progress(job.pk, job.status, job.done, job.total, 100)
    if job.status == ImportStatus.IMPORTING:
        planned = job.total - (job.error_count if job.valid_only else 0)
        return Progress(job.pk, job.status, job.done, planned, _percent(job.status, job.done, planned))
    return Progress(job.pk, job.status, job.checked, job.total, _percent(job.status, job.checked, job.total))


def _percent(status: str, done: int, total: int) -> int:
    if status in ImportJob.FINISHED:
        return 100
    fraction = min(done / total, 1.0) if total else 0.0
    if status == ImportStatus.CHECKING:
        return int(CHECK_SHARE * fraction)
    if status == ImportStatus.IMPORTING:
        return min(CHECK_SHARE + int((100 - CHECK_SHARE) * fraction), 99)
    return 0


def _report(job: ImportJob, status: str, done: int, total: int, on_progress: ProgressCallback | None) -> None:
    progress = Progress(job.pk, status, done, total, _percent(status, done, total))
    cache.set(_progress_key(job.pk), progress.__dict__, PROGRESS_TTL)
    if on_progress is not None:
        on_progress(progress)


# --- create ------------------------------------------------------------------------------------------------
def _read_header(table: Table, spec: ImportSpec):
    rows = table.rows()
    header = next(rows, None)
    if header is None or not any(header):
        raise ValidationError(_("The file has no header row."), code="header")
    second = next(rows, None)
    return header, second, rows


@transaction.atomic
def import_job_create(
    *,
    actor: Actor,
    kind: str,
    filename: str,
    data: bytes,
    valid_only: bool = False,
    publish: bool = False,
    language: str | None = None,
    enqueue: bool = True,
) -> ImportJob:
    """Store an upload as a queued job and (after commit) hand it to a worker. A file that cannot be read or
    lacks required columns is refused here, with the reason, and no job is made."""
    spec = import_spec(kind)
    file_format = detect_format(filename, data)
    table = Table(data, file_format)
    try:
        header, second, rest = _read_header(table, spec)
        mapping = header_map(spec, header, second)
        if (second is None or mapping.key_row) and next(rest, None) is None:
            raise ValidationError(_("The file has a header but no rows to import."), code="no_rows")
    finally:
        table.close()
    job = ImportJob.objects.create(
        kind=kind,
        filename=(filename or f"upload.{file_format}")[-255:],
        file_format=file_format,
        encoding=table.encoding if file_format == "csv" else "",
        data=zlib.compress(data, 1),  # CSV shrinks ~8x; the row stays small while the job waits
        valid_only=valid_only,
        publish=publish and kind == ImportKind.ITEMS,
        language=language or translation.get_language() or "zh-hans",
        created_by=actor.label[:254],
        created_by_kind=actor.kind,
        created_by_id=actor.id,
        created_by_role=actor.role,
    )
    audit_record(
        actor=actor,
        action=f"{kind}.import_start",
        target=job,
        data={"file": job.filename, "valid_only": valid_only, "publish": job.publish},
    )
    if enqueue:
        # Sent after commit (the worker reads the committed job); the task carries this connection's schema.
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from tenants.catalog.tasks import run_import_job

    try:
        run_import_job.delay(job_id)
    except Exception:  # the broker is down: say so on the job page rather than leave it waiting forever
        logger.exception("could not queue import job %s", job_id)
        ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
            status=ImportStatus.FAILED,
            message=_("The job could not be queued (the task queue is unavailable). Upload the file again."),
            data=b"",
            finished_at=timezone.now(),
        )


# --- run ---------------------------------------------------------------------------------------------------
def _claim(job_id: int) -> ImportJob | None:
    """The job, if it is not finished and no other process runs it (a session advisory lock per job)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_lock(%s, %s)",
            [zlib.crc32(connection.schema_name.encode()) & 0x7FFFFFFF, job_id],
        )
        if not cursor.fetchone()[0]:
            return None
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.finished:
        _release(job_id)
        return None
    return job


def _release(job_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_unlock(%s, %s)",
            [zlib.crc32(connection.schema_name.encode()) & 0x7FFFFFFF, job_id],
        )


def _save(job: ImportJob, **fields) -> None:
    for name, value in fields.items():
        setattr(job, name, value)
    ImportJob.objects.filter(pk=job.pk).update(**fields)


def _chunks(iterator, size: int) -> Iterator[list]:
    while chunk := list(islice(iterator, size)):
        yield chunk


def import_job_run(*, job_id: int, on_progress: ProgressCallback | None = None) -> ImportJob | None:
    """Run a queued job to its end. Safe to call twice (a retried task): a finished job is left alone, and a
    job another process is running is skipped."""
    job = _claim(job_id)
    if job is None:
        return ImportJob.objects.filter(pk=job_id).first()
    try:
        with translation.override(job.language):
            _run(job, import_spec(job.kind), on_progress)
    except ValidationError as exc:
        _save(
            job,
            status=ImportStatus.FAILED,
            message="；".join(exc.messages),
            data=b"",
            finished_at=timezone.now(),
        )
    except Exception as exc:
        logger.exception("import job %s failed", job.pk)
        _save(
            job,
            status=ImportStatus.FAILED,
            message=_("The import stopped on an unexpected error; nothing was imported. (%(error)s)")
            % {"error": type(exc).__name__},
            data=b"",
            finished_at=timezone.now(),
        )
    finally:
        _release(job.pk)
        cache.delete(_progress_key(job.pk))
    return job


def _run(job: ImportJob, spec: ImportSpec, on_progress: ProgressCallback | None) -> None:
    _save(job, status=ImportStatus.CHECKING, started_at=timezone.now(), checked=0, done=0, error_count=0)
    data = zlib.decompress(job.data)
    job.data = b""  # one copy of the upload in memory, not two
    table = Table(data, job.file_format, job.encoding)
    try:
        estimate = max(table.estimated_rows() - 1, 1)
        _save(job, total=estimate)
        with tempfile.SpooledTemporaryFile(
            max_size=32 * 1024 * 1024, mode="w+", newline="", encoding="utf-8"
        ) as spool:
            header, second, errors = _check(job, spec, table, spool, estimate, on_progress)
            if errors:
                spool.seek(0)
                _save(
                    job,
                    error_count=len(errors),
                    errors_preview=[
                        [n, "；".join(m)] for n, m in islice(sorted(errors.items()), ERRORS_PREVIEW)
                    ],
                    errors_file=_error_file(job, header, second, spool, errors),
                )
            if errors and not job.valid_only:
                _save(job, status=ImportStatus.REJECTED, data=b"", finished_at=timezone.now())
                _report(job, job.status, job.total, job.total, on_progress)
                return
            spool.seek(0)
            planned = job.total - len(errors)
            _save(job, status=ImportStatus.IMPORTING)
            _report(job, ImportStatus.IMPORTING, 0, planned, on_progress)
            result = _write(job, spec, header, spool, errors, planned, on_progress)
    finally:
        table.close()
    _save(job, status=ImportStatus.SUCCEEDED, result=result, data=b"", finished_at=timezone.now())
    _report(job, job.status, job.done, job.done, on_progress)


def _check(job, spec, table, spool, estimate, on_progress):
    rows = table.rows()
    header = next(rows)
    second = next(rows, None)
    mapping = header_map(spec, header, second)
    numbered = enumerate(rows, start=3)
    if second is not None and not mapping.key_row:
        numbered = _prepend((2, second), numbered)
    writer = csv.writer(spool)
    state = spec.new_state(job)
    errors: dict[int, list[str]] = {}
    checked = 0
    for chunk in _chunks((pair for pair in numbered if any(pair[1])), CHUNK_ROWS):
        batch = []
        for number, cells in chunk:
            writer.writerow([number, *cells])
            batch.append(Row(number=number, cells=_cells(mapping.keys, cells)))
        for row in batch:
            spec.parse(row)
        spec.check(batch, state)
        errors.update({row.number: row.errors for row in batch if row.errors})
        checked += len(batch)
        if checked > MAX_ROWS:
            raise ValidationError(
                _("The file has more than %(n)s rows; split it into several files.") % {"n": MAX_ROWS}
            )
        total = max(estimate, checked)
        _save(job, checked=checked, total=total)
        _report(job, ImportStatus.CHECKING, checked, total, on_progress)
    for number, messages in spec.finish_check(state).items():
        errors.setdefault(number, []).extend(messages)
    if checked == 0:
        raise ValidationError(_("The file has a header but no rows to import."))
    _save(job, checked=checked, total=checked)
    spool.flush()
    return (header, second if mapping.key_row else None, errors)


def _prepend(first, rest):
    yield first
    yield from rest


def _cells(keys: list[str | None], cells: list[str]) -> dict[str, str]:
    return {key: cells[i] if i < len(cells) else "" for i, key in enumerate(keys) if key}


def _spooled(spool) -> Iterator[tuple[int, list[str]]]:
    for record in csv.reader(spool):
        yield int(record[0]), record[1:]


def _write(job, spec, header, spool, errors, planned, on_progress) -> dict:
    keys = header_map(spec, header, None).keys
    actor = Actor(
        kind=job.created_by_kind, id=job.created_by_id, label=job.created_by, role=job.created_by_role
    )
    done = 0
    with transaction.atomic():
        state = spec.new_state(job)
        state["actor"] = actor
        valid = ((n, cells) for n, cells in _spooled(spool) if n not in errors)
        for chunk in _chunks(valid, CHUNK_ROWS):
            batch = [Row(number=n, cells=_cells(keys, cells)) for n, cells in chunk]
            for row in batch:
                spec.parse(row)
            spec.write(batch, state)
            done += len(batch)
            job.done = done  # the row is saved after the commit; meanwhile the cache carries it
            _report(job, ImportStatus.IMPORTING, done, planned, on_progress)
        result = spec.finish_write(state)
        result = {**result, "rows": done, "skipped": len(errors)}
        audit_record(
            actor=actor, action=f"{job.kind}.import", target=job, data={"file": job.filename, **result}
        )
        ImportJob.objects.filter(pk=job.pk).update(done=done)
    return result


def _error_file(job, header, key_row, spool, errors) -> bytes:
    """The upload again, every row, with a 错误 column saying what is wrong (empty on good rows)."""
    width = len(header)

    def rows():
        for number, cells in _spooled(spool):
            padded = cells + [""] * (width - len(cells))
            yield [*padded[:width], "；".join(errors.get(number, []))]

    full_header = [*header, ERROR_HEADER]
    keys = [*(key_row + [""] * (width - len(key_row)))[:width], ERROR_KEY] if key_row else None
    if job.file_format == "xlsx":
        return xlsx_bytes(
            [
                {
                    "title": "导入结果",
                    "header": full_header,
                    "keys": keys,
                    "rows": rows(),
                    "widths": [18] * width + [60],
                    "error_column": width,
                }
            ]
        )
    lines = [full_header, *([keys] if keys else []), *rows()]
    return csv_bytes(lines, encoding=job.encoding or "utf-8-sig")
