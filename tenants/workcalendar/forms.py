from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.workcalendar.models import WorkingHours


class WorkingHoursForm(forms.ModelForm):
    class Meta:
        model = WorkingHours
        fields = ["enabled", "morning_start", "morning_end", "afternoon_start", "afternoon_end"]
        widgets = {
            name: forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
            for name in ("morning_start", "morning_end", "afternoon_start", "afternoon_end")
        }
        help_texts = {
            "enabled": _(
                "Off: a deadline falls at the end of its last working day. On: deadlines count working time "
                "inside these hours."
            ),
            "afternoon_start": _("Leave both afternoon times empty for a single span."),
        }


class OverrideForm(forms.Form):
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    is_workday = forms.TypedChoiceField(
        label=_("This day is"),
        choices=[("0", _("an extra day off")), ("1", _("an extra working day"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Note"), max_length=100, required=False)
