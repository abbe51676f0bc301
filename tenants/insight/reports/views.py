"""Report pages: the list (status, progress bars that poll a small JSON view, downloads, publish toggle), the
request form and the schedules. Seeing and downloading needs VIEW_INSIGHT; requesting, publishing and
scheduling need MANAGE_REPORTS."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from tenants.accounts.roles import Perm, has_permission
from tenants.accounts.views import permission_required
from tenants.insight.reports.forms import ReportRequestForm, ScheduleForm
from tenants.insight.reports.models import Report, ReportSchedule, ReportStatus
from tenants.insight.reports.selectors import report_schedules, reports_recent
from tenants.insight.reports.services import (
    report_filename,
    report_publish,
    report_request,
    report_schedule_create,
    report_schedule_delete,
    report_schedule_set_active,
    unit_label,
)
from tenants.organisation.models import Unit, UnitKind

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
UNIT_CHOICES = 500  # suggestions in the unit box


def _unit_suggestions():
    kinds = [UnitKind.DEPARTMENT, UnitKind.HALL, UnitKind.CENTRE, UnitKind.STATION]
    return Unit.objects.filter(kind__in=kinds, active=True).only("code", "name")[:UNIT_CHOICES]


def _progress(report: Report) -> dict:
    return {
        "id": report.pk,
        "status": report.status,
        "status_label": str(ReportStatus(report.status).label),
        "progress": 100 if report.status == ReportStatus.DONE else report.progress,
        "finished": report.finished,
        "error": report.error if report.status == ReportStatus.FAILED else "",
    }


@permission_required(Perm.VIEW_INSIGHT)
def report_list(request):
    reports = list(reports_recent())
    return render(
        request,
        "insight/reports/list.html",
        {
            "rows": [{"report": r, "unit": unit_label(r.unit), "progress": _progress(r)} for r in reports],
            "can_manage": has_permission(request.user.role, Perm.MANAGE_REPORTS),
            "running": any(not r.finished for r in reports),
        },
    )


@permission_required(Perm.MANAGE_REPORTS)
def report_new(request):
    form = ReportRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            report = report_request(
                actor=request.user.actor, language=translation.get_language(), **form.service_arguments()
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                name = form.error_field(field)
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(
                request, _("The report “%(title)s” is being generated.") % {"title": report.title}
            )
            return redirect("insight-reports")
    return render(
        request,
        "insight/reports/request.html",
        {"form": form, "units": _unit_suggestions(), "can_manage": True},
        status=400 if request.method == "POST" else 200,
    )


def _report(pk: int) -> Report:
    return get_object_or_404(Report.objects.defer("pdf", "xlsx", "public_pdf").select_related("unit"), pk=pk)


@never_cache
@permission_required(Perm.VIEW_INSIGHT)
def report_progress(request, pk: int):
    return JsonResponse(_progress(_report(pk)))


@permission_required(Perm.VIEW_INSIGHT)
def report_download(request, pk: int, fmt: str):
    report = _report(pk)
    if report.status != ReportStatus.DONE:
        raise Http404
    content = Report.objects.values_list(fmt, flat=True).get(pk=report.pk)
    if not content:
        raise Http404
    response = HttpResponse(bytes(content), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=report_filename(report, fmt)
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@permission_required(Perm.MANAGE_REPORTS)
def report_publish_view(request, pk: int):
    report = _report(pk)
    publish = request.POST.get("published") == "1"
    try:
        report_publish(actor=request.user.actor, report=report, published=publish)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            (
                _("“%(title)s” is now on the public portal.")
                if publish
                else _("“%(title)s” was withdrawn from the portal.")
            )
            % {"title": report.title},
        )
    return redirect("insight-reports")


@permission_required(Perm.MANAGE_REPORTS)
def schedules(request):
    form = ScheduleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            report_schedule_create(actor=request.user.actor, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("The schedule was added."))
            return redirect("insight-report-schedules")
    rows = [{"schedule": s, "unit": unit_label(s.unit)} for s in report_schedules()]
    return render(
        request,
        "insight/reports/schedules.html",
        {"form": form, "rows": rows, "units": _unit_suggestions(), "can_manage": True},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@permission_required(Perm.MANAGE_REPORTS)
def schedule_change(request, pk: int):
    schedule = get_object_or_404(ReportSchedule, pk=pk)
    action = request.POST.get("action")
    if action == "delete":
        report_schedule_delete(actor=request.user.actor, schedule=schedule)
        messages.success(request, _("The schedule was deleted."))
    elif action in ("pause", "activate"):
        report_schedule_set_active(actor=request.user.actor, schedule=schedule, active=action == "activate")
    else:
        raise Http404
    return redirect("insight-report-schedules")
