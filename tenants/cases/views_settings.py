"""The tenant's closed-loop settings page (差评整改时限): deadlines, reminders, escalation, fallback unit."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenants.accounts.roles import Perm
from tenants.accounts.views import add_service_errors, permission_required
from tenants.cases.models import CaseSettings
from tenants.cases.services.sla import LIMITS, case_settings_set
from tenants.organisation.models import Unit, UnitKind


class UnitChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return f"{obj.name} ({obj.code})"


class CaseSettingsForm(forms.Form):
    contact_days = forms.IntegerField(
        label=gettext_lazy("Contact the evaluator within (working days)"),
        min_value=LIMITS["contact_days"][0],
        max_value=LIMITS["contact_days"][1],
        help_text=gettext_lazy("The callback (回访) after a bad review. Local rule: 1 working day."),
    )
    feedback_days = forms.IntegerField(
        label=gettext_lazy("Feed back to the evaluator within (working days)"),
        min_value=LIMITS["feedback_days"][0],
        max_value=LIMITS["feedback_days"][1],
        help_text=gettext_lazy("From the opening of the case to the feedback. Local rule: 5 working days."),
    )
    rectify_days = forms.IntegerField(
        label=gettext_lazy("Rectify within (working days)"),
        min_value=LIMITS["rectify_days"][0],
        max_value=LIMITS["rectify_days"][1],
        help_text=gettext_lazy(
            "The limit for a ledger (台账) rectification; the officer's own ledger deadline falls within it. "
            "Local rule: 15 working days."
        ),
    )
    remind_before_hours = forms.IntegerField(
        label=gettext_lazy("Remind this many working hours before a deadline"),
        min_value=LIMITS["remind_before_hours"][0],
        max_value=LIMITS["remind_before_hours"][1],
        help_text=gettext_lazy(
            "The assigned officer (or, while nobody is assigned, the unit's officers) gets one reminder per "
            "deadline. Nights, days off and breaks do not count. 0 sends no reminders."
        ),
    )
    escalate_management_days = forms.IntegerField(
        label=gettext_lazy("Escalate to the management level after (working days overdue)"),
        min_value=LIMITS["escalate_management_days"][0],
        max_value=LIMITS["escalate_management_days"][1],
        help_text=gettext_lazy(
            "An overdue case goes to the supervisors at once, and to the tenant administrators when it is "
            "still overdue this many working days after the deadline."
        ),
    )
    fallback_unit = UnitChoice(
        label=gettext_lazy("Unit for cases no rule routes"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=gettext_lazy("The top of the organisation"),
        help_text=gettext_lazy(
            "A case goes to the unit that handled the transaction, else to the item's responsible unit, "
            "else here."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fallback_unit"].queryset = (
            Unit.objects.filter(active=True).exclude(kind=UnitKind.WINDOW).order_by("path", "code")
        )


def _initial(settings: CaseSettings) -> dict:
    names = [
        "contact_days",
        "feedback_days",
        "rectify_days",
        "remind_before_hours",
        "escalate_management_days",
    ]
    return {name: getattr(settings, name) for name in names} | {"fallback_unit": settings.fallback_unit_id}


@permission_required(Perm.CONFIGURE_CASES)
def case_settings_page(request):
    """Deadlines, reminders, escalation and the fallback unit; changes apply to cases opened afterwards."""
    settings = CaseSettings.current()
    if request.method == "POST":
        form = CaseSettingsForm(request.POST)
        if form.is_valid():
            try:
                case_settings_set(actor=request.user.actor, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Case settings saved. They apply to cases opened from now on."))
                return redirect("case-settings")
        status = 400
    else:
        form, status = CaseSettingsForm(initial=_initial(settings)), 200
    return render(request, "cases/settings.html", {"form": form, "settings": settings}, status=status)
