from django.shortcuts import render

from tenants.accounts.roles import Perm, has_permission
from tenants.accounts.views import permission_required
from tenants.supervision.models import CallbackSample, Survey, SurveyStatus, ThirdPartyAssessment
from tenants.supervision.views.common import can_manage


@permission_required(Perm.VIEW_EVALUATIONS)
def home(request):
    """Where supervision starts: questionnaires, surveys, callbacks, assessments and integrity signals."""
    return render(
        request,
        "supervision/home.html",
        {
            "open_surveys": Survey.objects.filter(status=SurveyStatus.OPEN).count(),
            "open_samples": CallbackSample.objects.filter(is_open=True).count(),
            "assessments": ThirdPartyAssessment.objects.count(),
            "can_manage": can_manage(request.user),
            "can_see_signals": has_permission(request.user.role, Perm.VIEW_AUDIT),
        },
    )
