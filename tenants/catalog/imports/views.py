"""Import/export pages shared by the catalogue (/catalog/) and the organisation (/organisation/): the upload
form with the column documentation, template and export downloads, and the job page whose progress bar
polls a small JSON status view."""

from dataclasses import dataclass
from itertools import chain

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from tenants.accounts.roles import has_permission
from tenants.catalog.forms import ImportForm, ItemImportForm
from tenants.catalog.imports.files import MAX_UPLOAD_BYTES, csv_lines, xlsx_bytes
from tenants.catalog.imports.services import import_job_create, import_spec, progress_of
from tenants.catalog.imports.spec import ImportSpec
from tenants.catalog.models import ImportJob, ImportKind, ImportStatus
from tenants.catalog.selectors import import_jobs_recent

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Section:
    """Where the pages live: the kinds they handle and the URL name prefix ("catalog" or "org")."""

    kinds: tuple[str, ...]
    prefix: str

    def url(self, name: str, *args) -> str:
        return reverse(f"{self.prefix}-{name}", args=args)


def _spec(section: Section, kind: str) -> ImportSpec:
    if kind not in section.kinds:
        raise Http404
    return import_spec(kind)


def _require(request, perm: str) -> None:
    if not has_permission(request.user.role, perm):
        raise PermissionDenied


def _download(content: bytes, filename: str, fmt: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


def _columns(spec: ImportSpec) -> list[dict]:
    return [
        {
            "header": c.header,
            "key": c.key,
            "required": c.required,
            "format": c.format_hint(),
            "help": str(c.help),
            "example": c.example,
        }
        for c in spec.columns
    ]


def _notes(spec: ImportSpec) -> list[str]:
    return [
        _(
            "Columns are found by their Chinese header in the first row (a * marks a required column) or by "
            "the English key in the second row, which the templates keep hidden. Other columns, like the 错误 "
            "column of an error file, are ignored, so a corrected error file can be uploaded as it is."
        ),
        _("Lists are written one entry per line inside the cell, or separated by a full-width “；”."),
        _(
            "CSV files may be UTF-8 or GB18030 (as Excel saves them); XLSX files are read from the first sheet."
        ),
        *[str(n) for n in spec.notes],
    ]


@login_required
def import_page(request, *, section: Section, kind: str | None = None):
    kind = kind or request.GET.get("kind") or section.kinds[0]
    spec = _spec(section, kind)
    _require(request, spec.permission)
    form_class = ItemImportForm if kind == ImportKind.ITEMS else ImportForm
    form = form_class(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            form.add_error(
                "file", _("The file is larger than %(mb)s MB.") % {"mb": MAX_UPLOAD_BYTES // 2**20}
            )
        else:
            try:
                job = import_job_create(
                    actor=request.user.actor,
                    kind=kind,
                    filename=upload.name,
                    data=upload.read(),
                    valid_only=form.cleaned_data["valid_only"],
                    publish=form.cleaned_data.get("publish", False),
                    language=translation.get_language(),
                )
            except ValidationError as exc:
                form.add_error("file", exc.messages)
            else:
                return redirect(section.url("import-job", job.pk))
    return render(
        request,
        "catalog/imports/page.html",
        {
            "section": section,
            "spec": spec,
            "kind": kind,
            "kinds": [(k, import_spec(k).title) for k in section.kinds],
            "form": form,
            "columns": _columns(spec),
            "notes": _notes(spec),
            "jobs": import_jobs_recent(kinds=[kind]),
            "can_export": has_permission(request.user.role, _export_permission(spec)),
        },
        status=400 if request.method == "POST" else 200,
    )


def _export_permission(spec: ImportSpec) -> str:
    return getattr(spec, "export_permission", spec.permission)


def _sheets(spec: ImportSpec, rows, *, with_notes: bool) -> list[dict]:
    sheets = [
        {
            "title": spec.sheet_title,
            "header": [c.template_header for c in spec.columns],
            "keys": [c.key for c in spec.columns],
            "rows": rows,
            "widths": [24 if c.kind in ("list", "text") else 14 for c in spec.columns],
        }
    ]
    if with_notes:
        docs = [
            [c["header"], c["key"], "是" if c["required"] else "", c["format"], c["help"], c["example"]]
            for c in _columns(spec)
        ]
        sheets.append(
            {
                "title": "填写说明",
                "header": [_("Column"), _("Key"), _("Required"), _("Format"), _("Meaning"), _("Example")],
                "keys": None,
                "rows": [*docs, [], *[[note] for note in _notes(spec)]],
                "widths": [20, 20, 8, 36, 48, 36],
            }
        )
    return sheets


@login_required
def import_template(request, *, section: Section, kind: str, fmt: str):
    spec = _spec(section, kind)
    _require(request, spec.permission)
    name = f"{spec.sheet_title}导入模板.{fmt}"
    if fmt == "csv":
        header = [c.template_header for c in spec.columns]
        return _download(
            b"".join(s.encode("utf-8") for s in csv_lines([header, [c.key for c in spec.columns]])), name, fmt
        )
    return _download(xlsx_bytes(_sheets(spec, [], with_notes=True)), name, fmt)


@login_required
def export_file(request, *, section: Section, kind: str, fmt: str):
    """Everything, in the import format (export, edit, import back). CSV streams with flat memory."""
    spec = _spec(section, kind)
    _require(request, _export_permission(spec))
    name = f"{spec.sheet_title}-{timezone.localdate().isoformat()}.{fmt}"
    if fmt == "csv":
        header = [c.template_header for c in spec.columns]
        rows = chain([header, [c.key for c in spec.columns]], spec.export_rows())
        response = StreamingHttpResponse(csv_lines(rows), content_type=CONTENT_TYPES[fmt])
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
        return response
    return _download(xlsx_bytes(_sheets(spec, spec.export_rows(), with_notes=False)), name, fmt)


def _job(request, section: Section, pk: int) -> tuple[ImportJob, ImportSpec]:
    job = get_object_or_404(ImportJob.objects.defer("data"), pk=pk, kind__in=section.kinds)
    spec = import_spec(job.kind)
    _require(request, spec.permission)
    return job, spec


def _status_body(job: ImportJob) -> dict:
    progress = progress_of(job)
    return {
        "id": job.pk,
        "status": progress.status,
        "status_label": str(ImportStatus(progress.status).label),
        "done": progress.done,
        "total": progress.total,
        "percent": progress.percent,
        "finished": progress.status in ImportJob.FINISHED,
        "error_count": job.error_count,
    }


@login_required
def job_page(request, pk: int, *, section: Section):
    job, spec = _job(request, section, pk)
    return render(
        request,
        "catalog/imports/job.html",
        {
            "section": section,
            "job": job,
            "spec": spec,
            "progress": _status_body(job),
            "status_url": section.url("import-job-status", job.pk),
            "errors_url": section.url("import-job-errors", job.pk) if job.errors_file else "",
            "import_url": section.url("import") + f"?kind={job.kind}",
            "result": _result_lines(job),
        },
    )


@never_cache
@login_required
def job_status(request, pk: int, *, section: Section):
    job, _unused = _job(request, section, pk)
    return JsonResponse(_status_body(job))


@login_required
def job_errors(request, pk: int, *, section: Section):
    job, _unused = _job(request, section, pk)
    if not job.errors_file:
        raise Http404
    stem = job.filename.rsplit(".", 1)[0]
    return _download(bytes(job.errors_file), f"{stem}-错误.{job.file_format}", job.file_format)


def _result_lines(job: ImportJob) -> list[tuple[str, int]]:
    labels = {
        "created": _("Created"),
        "updated": _("Updated"),
        "new_versions": _("New guide versions (drafts)"),
        "drafts_updated": _("Draft guides updated"),
        "unchanged": _("Unchanged"),
        "published": _("Published"),
        "moved": _("Moved"),
        "assigned": _("New window assignments"),
        "left": _("Marked as left"),
    }
    return [(labels[k], job.result[k]) for k in labels if k in (job.result or {})]
