from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenants.accounts.roles import Perm
from tenants.accounts.views import add_service_errors, permission_required
from tenants.workcalendar.forms import OverrideForm, WorkingHoursForm
from tenants.workcalendar.models import CalendarOverride, WorkingHours
from tenants.workcalendar.selectors import national_days
from tenants.workcalendar.services import (
    calendar_override_delete,
    calendar_override_set,
    national_schedule_known,
    working_hours_set,
)


def _page(request, *, hours_form=None, override_form=None, status=200):
    today = timezone.localdate()
    years = [today.year, today.year + 1]
    return render(
        request,
        "workcalendar/calendar.html",
        {
            "hours_form": hours_form or WorkingHoursForm(instance=WorkingHours.current()),
            "override_form": override_form or OverrideForm(),
            "overrides": CalendarOverride.objects.filter(day__gte=date(today.year - 1, 1, 1)),
            "years": [(year, national_schedule_known(year), national_days(year)) for year in years],
        },
        status=status,
    )


@permission_required(Perm.CONFIGURE_CASES)
def calendar_page(request):
    """Working hours, the tenant's own days off and working days, and the national schedule for reference."""
    if request.method != "POST":
        return _page(request)
    form = WorkingHoursForm(request.POST, instance=WorkingHours.current())
    if form.is_valid():
        try:
            working_hours_set(actor=request.user.actor, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Working hours saved."))
            return redirect("workcalendar")
    return _page(request, hours_form=form, status=400)


@require_POST
@permission_required(Perm.CONFIGURE_CASES)
def override_add(request):
    form = OverrideForm(request.POST)
    if form.is_valid():
        calendar_override_set(actor=request.user.actor, **form.cleaned_data)
        messages.success(request, _("Saved %(day)s.") % {"day": form.cleaned_data["day"].isoformat()})
        return redirect("workcalendar")
    return _page(request, override_form=form, status=400)


@require_POST
@permission_required(Perm.CONFIGURE_CASES)
def override_delete(request, day: str):
    try:
        parsed = date.fromisoformat(day)
    except ValueError as exc:
        raise Http404 from exc
    if not calendar_override_delete(actor=request.user.actor, day=parsed):
        raise Http404
    messages.success(request, _("%(day)s follows the national schedule again.") % {"day": parsed.isoformat()})
    return redirect("workcalendar")
