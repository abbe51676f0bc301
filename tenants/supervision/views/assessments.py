from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenants.accounts.roles import Perm
from tenants.accounts.views import add_service_errors, permission_required
from tenants.supervision.forms import AssessmentForm
from tenants.supervision.models import ThirdPartyAssessment
from tenants.supervision.services.assessments import REPORT_MAX_BYTES, assessment_create, assessment_delete
from tenants.supervision.views.common import can_manage


@permission_required(Perm.VIEW_EVALUATIONS)
def assessment_list(request):
    form = AssessmentForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if not can_manage(request.user):
            raise PermissionDenied
        if form.is_valid():
            data = dict(form.cleaned_data)
            upload = data.pop("report")
            try:
                assessment_create(
                    actor=request.user.actor,
                    **data,
                    report_name=upload.name if upload else "",
                    # One byte over the limit is enough for the service to refuse it.
                    report_data=upload.read(REPORT_MAX_BYTES + 1) if upload else None,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Assessment recorded."))
                return redirect("supervision-assessments")
        status = 400
    assessments = ThirdPartyAssessment.objects.defer("report_data")
    return render(
        request,
        "supervision/assessment_list.html",
        {"assessments": assessments, "form": form, "can_manage": can_manage(request.user)},
        status=status,
    )


@permission_required(Perm.VIEW_EVALUATIONS)
def assessment_report(request, pk: int):
    assessment = get_object_or_404(ThirdPartyAssessment, pk=pk)
    if not assessment.report_size:
        raise Http404
    response = HttpResponse(bytes(assessment.report_data), content_type=assessment.report_content_type)
    # The name is ASCII-filtered in the plain parameter and given in full as RFC 5987 UTF-8.
    ascii_name = assessment.report_name.encode("ascii", "ignore").decode() or f"report-{assessment.pk}"
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(assessment.report_name)}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@permission_required(Perm.RUN_SUPERVISION)
def assessment_delete_view(request, pk: int):
    assessment = get_object_or_404(ThirdPartyAssessment.objects.defer("report_data"), pk=pk)
    assessment_delete(actor=request.user.actor, assessment=assessment)
    messages.success(request, _("Assessment removed."))
    return redirect("supervision-assessments")
