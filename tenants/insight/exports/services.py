"""Exports: count first, then either stream at once (up to EXPORT_SYNC_MAX_ROWS rows) or queue a job that a
Celery worker writes to a file and e-mails the requester about. Every export leaves an audit row (who, the
filters, how many rows); so does every download of a job's file.

A job's file lives under MEDIA_ROOT/exports/<schema>/ (web and worker share that directory), is written as
"<name>.part" and renamed when complete, and is deleted EXPORT_FILE_DAYS days after it was made
(`export_files_expire`, run by beat, which also deletes ".part" files untouched for six hours: a worker that
died while writing leaves one behind). The job's progress is written every EXPORT_PROGRESS_ROWS rows on a
second database connection, each update its own short transaction, while the main connection keeps the one
transaction its server-side cursor streams in.
"""

import logging
import os
import secrets
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tenants.accounts.actors import Actor
from tenants.accounts.roles import Role
from tenants.accounts.services import audit_record
from tenants.insight.exports.models import ExportFormat, ExportJob, ExportKind, ExportStatus
from tenants.insight.exports.selectors import ExportFilters, export_count, export_header, export_rows
from tenants.insight.exports.writers import csv_write, xlsx_write
from tenants.notify.models import NotifyChannel
from tenants.notify.services import notify_send

logger = logging.getLogger(__name__)

SYSTEM = Actor.system("exports")
PART_MAX_AGE = timedelta(hours=6)  # an unfinished file untouched this long was left by a crashed worker


def sync_max_rows() -> int:
    return int(getattr(settings, "EXPORT_SYNC_MAX_ROWS", 100_000))


def file_days() -> int:
    return int(getattr(settings, "EXPORT_FILE_DAYS", 7))


def progress_rows() -> int:
    return int(getattr(settings, "EXPORT_PROGRESS_ROWS", 10_000))


def export_directory() -> Path:
    """This tenant's folder of export files."""
    return Path(settings.MEDIA_ROOT) / "exports" / connection.schema_name


def export_filename(*, kind: str, file_format: str, filters: dict) -> str:
    """What the downloaded file is called, e.g. 评价_2025-01-01_2025-01-31.csv (`filters`: as_json())."""
    stem = _("evaluations") if kind == ExportKind.EVALUATIONS else _("cases")
    return f"{stem}_{filters.get('from', '')}_{filters.get('to', '')}.{file_format}"


def export_write(
    *,
    kind: str,
    file_format: str,
    filters: ExportFilters,
    path: Path,
    on_rows: Callable[[int], None] | None = None,
) -> int:
    """Write the export to `path` (flat memory whatever its size); returns the number of rows."""
    header, rows = export_header(kind=kind), export_rows(kind=kind, filters=filters)
    if file_format == ExportFormat.XLSX:
        title = _("Evaluations") if kind == ExportKind.EVALUATIONS else _("Cases")
        return xlsx_write(path, header, rows, title=str(title), on_rows=on_rows)
    return csv_write(path, header, rows, on_rows=on_rows)


def export_xlsx_temporary(*, kind: str, filters: ExportFilters):
    """A direct XLSX export: the workbook written to a temporary file, returned open for reading (the name is
    already unlinked, so nothing is left behind whatever happens to the response)."""
    descriptor, name = tempfile.mkstemp(suffix=".xlsx", prefix="export-")
    os.close(descriptor)
    try:
        export_write(kind=kind, file_format=ExportFormat.XLSX, filters=filters, path=Path(name))
        return open(name, "rb")  # closed by the FileResponse
    finally:
        os.unlink(name)


# --- request -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExportRequest:
    rows: int  # counted with the export's filters
    job: ExportJob | None  # None: small enough to stream in the response


def _check(kind: str, file_format: str) -> None:
    if kind not in ExportKind.values:
        raise ValidationError({"kind": [_("Choose what to export.")]})
    if file_format not in ExportFormat.values:
        raise ValidationError({"file_format": [_("Choose CSV or XLSX.")]})


@transaction.atomic
def export_request(
    *,
    actor: Actor,
    user,
    kind: str,
    file_format: str,
    filters: ExportFilters,
    base_url: str = "",
    language: str | None = None,
) -> ExportRequest:
    """Count the rows; up to EXPORT_SYNC_MAX_ROWS the caller streams them now, above it a job is queued (sent
    to a worker after commit). Audited either way."""
    _check(kind, file_format)
    rows = export_count(kind=kind, filters=filters)
    data = {"kind": kind, "format": file_format, "filters": filters.as_json(), "rows": rows}
    if rows <= sync_max_rows():
        audit_record(actor=actor, action=f"export.{kind}", data={**data, "mode": "direct"})
        return ExportRequest(rows=rows, job=None)
    job = ExportJob.objects.create(
        kind=kind,
        file_format=file_format,
        filters=filters.as_json(),
        requested_by=user,
        language=language or translation.get_language() or settings.LANGUAGE_CODE,
        base_url=base_url.rstrip("/")[:200],
        total=rows,
    )
    audit_record(actor=actor, action=f"export.{kind}", target=job, data={**data, "mode": "background"})
    transaction.on_commit(lambda: _enqueue(job.pk))
    return ExportRequest(rows=rows, job=job)


def _enqueue(job_id: int) -> None:
    from tenants.insight.exports.tasks import run_export_job

    try:
        run_export_job.delay(job_id)
    except Exception:  # the broker is down: say so on the page rather than leave the job waiting forever
        logger.exception("could not queue export job %s", job_id)
        ExportJob.objects.filter(pk=job_id, status=ExportStatus.QUEUED).update(
            status=ExportStatus.FAILED,
            message=_("The export could not be queued (the task queue is unavailable). Try again later."),
            finished_at=timezone.now(),
        )


# --- run ---------------------------------------------------------------------------------------------------
def _lock_key(job_id: int) -> list[int]:
    return [zlib.crc32(connection.schema_name.encode()) & 0x7FFFFFFF, job_id]


def _claim(job_id: int) -> ExportJob | None:
    """The job if it still has to run and no other process runs it (a session advisory lock per job). A job
    left "running" by a worker that died is run again from the start."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", _lock_key(job_id))
        if not cursor.fetchone()[0]:
            return None
    job = ExportJob.objects.select_related("requested_by").filter(pk=job_id).first()
    if job is None or job.finished:
        _release(job_id)
        return None
    return job


def _release(job_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", _lock_key(job_id))


@contextmanager
def _progress_reporter(job: ExportJob) -> Iterator[Callable[[int], None]]:
    """on_rows(n) for the writers: every EXPORT_PROGRESS_ROWS rows, the job's progress is updated on a second
    connection in its own short transaction (the main one is busy streaming inside its transaction).
    Best effort: a failed update is logged, the export goes on."""
    side = connections.create_connection(DEFAULT_DB_ALIAS)
    side.set_schema(connection.schema_name)
    table = connection.ops.quote_name(ExportJob._meta.db_table)
    every, last = progress_rows(), 0

    def report(rows: int) -> None:
        nonlocal last
        if rows - last < every:
            return
        last = rows
        percent = min(99, rows * 100 // job.total) if job.total else 0
        try:
            with side.cursor() as cursor:
                cursor.execute("SET lock_timeout = '2s'")
                cursor.execute(
                    f"UPDATE {table} SET row_count = %s, progress = %s WHERE id = %s",  # noqa: S608
                    [rows, percent, job.pk],
                )
        except DatabaseError:
            logger.warning("export job %s: progress not recorded", job.pk, exc_info=True)

    try:
        yield report
    finally:
        side.close()


def export_job_run(*, job_id: int) -> ExportJob | None:
    """Run a queued job to its end: the file, the job marked done, the audit row, the e-mail. Safe to call
    twice (a retried task): a finished job is left alone, one another process runs is skipped."""
    job = _claim(job_id)
    if job is None:
        return ExportJob.objects.filter(pk=job_id).first()
    files: list[Path] = []  # what the run wrote, removed if it fails
    try:
        with translation.override(job.language):
            _run(job, files)
    except Exception as exc:
        logger.exception("export job %s failed", job.pk)
        for path in files:
            path.unlink(missing_ok=True)
        message = "；".join(exc.messages) if isinstance(exc, ValidationError) else type(exc).__name__
        with translation.override(job.language):
            _finish_failed(job, message)
    finally:
        _release(job.pk)
    job.refresh_from_db()
    return job


def _run(job: ExportJob, files: list[Path]) -> None:
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.RUNNING, started_at=timezone.now(), progress=0, row_count=0, message=""
    )
    filters = ExportFilters.from_json(job.filters)
    directory = export_directory()
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{job.pk}-{secrets.token_hex(8)}.{job.file_format}"
    part, final = directory / f"{name}.part", directory / name
    files += [part, final]
    started = time.monotonic()
    with _progress_reporter(job) as report:
        rows = export_write(
            kind=job.kind, file_format=job.file_format, filters=filters, path=part, on_rows=report
        )
    part.rename(final)
    _finish_done(job, final, rows, time.monotonic() - started)


@transaction.atomic
def _finish_done(job: ExportJob, path: Path, rows: int, seconds: float) -> None:
    now = timezone.now()
    job.status, job.progress, job.row_count = ExportStatus.DONE, 100, rows
    job.file_path = str(path.relative_to(settings.MEDIA_ROOT))
    job.file_size = path.stat().st_size
    job.finished_at, job.expires_at, job.message = now, now + timedelta(days=file_days()), ""
    job.save(
        update_fields=[
            "status", "progress", "row_count", "file_path", "file_size", "finished_at", "expires_at", "message",
        ]
    )  # fmt: skip
    audit_record(
        actor=SYSTEM,
        action=f"export.{job.kind}_done",
        target=job,
        data={
            "requested_by": job.requested_by.email,
            "format": job.file_format,
            "filters": job.filters,
            "rows": rows,
            "bytes": job.file_size,
            "seconds": round(seconds, 1),
        },
    )
    _notify(job, ready=True)


@transaction.atomic
def _finish_failed(job: ExportJob, message: str) -> None:
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.FAILED, message=message[:2000], file_path="", finished_at=timezone.now()
    )
    job.status, job.message = ExportStatus.FAILED, message
    _notify(job, ready=False)


def export_job_link(job: ExportJob) -> str:
    """The absolute address of the job's download (the page when the job failed)."""
    if job.base_url:
        base = job.base_url
    else:
        from tenants.cases.services.feedback import tenant_base_url

        base = tenant_base_url()
    path = (
        reverse("insight-export-download", args=[job.pk])
        if job.status == ExportStatus.DONE
        else reverse("insight-exports")
    )
    return base.rstrip("/") + path


def _describe(job: ExportJob) -> str:
    what = ExportKind(job.kind).label
    return f"{what}, {job.filters.get('from', '')} – {job.filters.get('to', '')}, {job.file_format.upper()}"


def _notify(job: ExportJob, *, ready: bool) -> None:
    """E-mail the requester (tenants.notify; sent after commit). A refused address does not undo the job."""
    user = job.requested_by
    if ready:
        subject = _("Your export is ready (%(what)s)") % {"what": ExportKind(job.kind).label}
        body = _(
            "Your export (%(what)s) is ready: %(rows)s rows.\n\nDownload it within %(days)s days (sign in "
            "first; only you and the tenant administrators can download it):\n%(link)s\n\nEvaluator names, "
            "phone numbers and ID numbers in it are masked."
        ) % {"what": _describe(job), "rows": job.row_count, "days": file_days(), "link": export_job_link(job)}
    else:
        subject = _("Your export failed (%(what)s)") % {"what": ExportKind(job.kind).label}
        body = _("Your export (%(what)s) failed: %(message)s\n\nYou can request it again here:\n%(link)s") % {
            "what": _describe(job),
            "message": job.message,
            "link": export_job_link(job),
        }
    try:
        with transaction.atomic():
            notify_send(
                actor=SYSTEM,
                channel=NotifyChannel.EMAIL,
                to=user.email,
                subject=subject,
                body=body,
                reference=f"export:{job.pk}",
            )
    except ValidationError:
        logger.warning("export job %s: the requester cannot be e-mailed", job.pk)


# --- files -------------------------------------------------------------------------------------------------
def export_job_visible_to(job: ExportJob, user) -> bool:
    """Only the requester, or a tenant administrator, sees and downloads a job."""
    return job.requested_by_id == user.pk or user.role == Role.TENANT_ADMIN


def export_job_file(job: ExportJob) -> Path | None:
    """The job's file, if it is ready and still kept."""
    if job.status != ExportStatus.DONE or not job.file_path:
        return None
    if job.expires_at is not None and job.expires_at <= timezone.now():
        return None
    path = Path(settings.MEDIA_ROOT) / job.file_path
    return path if path.is_file() else None


def export_job_downloaded(*, actor: Actor, job: ExportJob) -> None:
    audit_record(
        actor=actor,
        action="export.file_download",
        target=job,
        data={"kind": job.kind, "format": job.file_format, "rows": job.row_count, "filters": job.filters},
    )


def _parts_remove(*, now: datetime) -> int:
    """Delete this tenant's unfinished files ("<name>.part") untouched for PART_MAX_AGE: left by a worker that
    died while writing (a running export writes to its file all along, so it is never that old)."""
    directory = export_directory()
    if not directory.is_dir():
        return 0
    cutoff = (now - PART_MAX_AGE).timestamp()
    removed = 0
    for part in directory.glob("*.part"):
        try:
            if part.is_file() and part.stat().st_mtime < cutoff:
                part.unlink()
                removed += 1
        except FileNotFoundError:  # gone meanwhile (renamed when complete, or removed by another sweep)
            continue
    if removed:
        logger.warning("removed %s unfinished export file(s) in %s", removed, directory)
    return removed


def export_files_expire(*, now: datetime | None = None) -> int:
    """Delete the files of jobs past their expiry and mark the jobs expired; returns how many. Also deletes
    unfinished files of crashed workers (`_parts_remove`)."""
    now = now or timezone.now()
    expired = 0
    for job in ExportJob.objects.filter(status=ExportStatus.DONE, expires_at__lte=now):
        if job.file_path:
            (Path(settings.MEDIA_ROOT) / job.file_path).unlink(missing_ok=True)
        ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.EXPIRED, file_path="")
        expired += 1
    parts = _parts_remove(now=now)
    if expired or parts:
        audit_record(actor=SYSTEM, action="export.expire", data={"jobs": expired, "unfinished_files": parts})
    return expired
