"""Export pages: the form (a direct download up to EXPORT_SYNC_MAX_ROWS rows, a background job above), the
person's jobs with progress bars polling a small JSON view, and the download of a job's file. Only the
requester, or a tenant administrator, sees a job; anyone else gets 404."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from tenants.accounts.roles import Perm, Role
from tenants.accounts.views import add_service_errors, permission_required
from tenants.insight.exports.forms import ExportForm
from tenants.insight.exports.models import ExportFormat, ExportJob, ExportStatus
from tenants.insight.exports.selectors import ExportFilters, export_header, export_jobs_of, export_rows
from tenants.insight.exports.services import (
    export_filename,
    export_job_downloaded,
    export_job_file,
    export_job_visible_to,
    export_request,
    export_xlsx_temporary,
    file_days,
    sync_max_rows,
)
from tenants.insight.exports.writers import csv_blocks

CONTENT_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _direct(kind: str, file_format: str, filters: ExportFilters):
    """The file in this response: CSV streamed as it is read, XLSX written to a temporary file first."""
    name = export_filename(kind=kind, file_format=file_format, filters=filters.as_json())
    if file_format == ExportFormat.CSV:
        response = StreamingHttpResponse(
            csv_blocks(export_header(kind=kind), export_rows(kind=kind, filters=filters)),
            content_type=CONTENT_TYPES[ExportFormat.CSV],
        )
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    else:
        response = FileResponse(
            export_xlsx_temporary(kind=kind, filters=filters),
            as_attachment=True,
            filename=name,
            content_type=CONTENT_TYPES[ExportFormat.XLSX],
        )
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@permission_required(Perm.EXPORT_DATA)
def exports_page(request):
    if request.method == "POST":
        form = ExportForm(request.POST)
        if form.is_valid():
            kind, file_format = form.cleaned_data["kind"], form.cleaned_data["file_format"]
            filters = form.filters()
            try:
                result = export_request(
                    actor=request.user.actor,
                    user=request.user,
                    kind=kind,
                    file_format=file_format,
                    filters=filters,
                    base_url=request.build_absolute_uri("/"),
                    language=translation.get_language(),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                if result.job is None:
                    return _direct(kind, file_format, filters)
                messages.success(
                    request,
                    _(
                        "%(rows)s rows: the export runs in the background. You will get an e-mail with the "
                        "download link when it is ready; its progress is shown below."
                    )
                    % {"rows": f"{result.rows:,}"},
                )
                return redirect("insight-exports")
    else:
        today = timezone.localdate()
        form = ExportForm(initial={"from": today - timedelta(days=29), "to": today})
    everyone = request.user.role == Role.TENANT_ADMIN
    return render(
        request,
        "insight/exports/page.html",
        {
            "form": form,
            "jobs": export_jobs_of(user=request.user, everyone=everyone),
            "everyone": everyone,
            "sync_max_rows": sync_max_rows(),
            "file_days": file_days(),
        },
        status=400 if request.method == "POST" else 200,
    )


def _job(request, pk: int) -> ExportJob:
    job = get_object_or_404(ExportJob.objects.select_related("requested_by"), pk=pk)
    if not export_job_visible_to(job, request.user):
        raise Http404
    return job


@never_cache
@permission_required(Perm.EXPORT_DATA)
def export_job_status(request, pk: int):
    job = _job(request, pk)
    return JsonResponse(
        {
            "id": job.pk,
            "status": job.status,
            "status_label": str(ExportStatus(job.status).label),
            "percent": 100 if job.finished else job.progress,
            "rows": job.row_count,
            "total": job.total,
            "finished": job.finished,
            "download_url": reverse("insight-export-download", args=[job.pk])
            if job.status == ExportStatus.DONE
            else "",
        }
    )


@permission_required(Perm.EXPORT_DATA)
def export_job_download(request, pk: int):
    job = _job(request, pk)
    path = export_job_file(job)
    if path is None:
        raise Http404(_("This export has no file (not ready yet, failed or expired)."))
    export_job_downloaded(actor=request.user.actor, job=job)
    name = export_filename(kind=job.kind, file_format=job.file_format, filters=job.filters)
    response = FileResponse(
        path.open("rb"), as_attachment=True, filename=name, content_type=CONTENT_TYPES[job.file_format]
    )
    response["Cache-Control"] = "no-store"
    return response
