"""The report request form (a month, a quarter, or two periods to compare; a unit or the whole tenant) and the
schedule form. The services check periods again (tenants.insight.reports.services.report_period_check)."""

import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.insight.reports.models import ReportKind, ScheduleKind
from tenants.insight.reports.services import last_ended_period, month_bounds, quarter_bounds
from tenants.organisation.models import Unit

MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
DATE = {"widget": forms.DateInput(attrs={"type": "date"}), "required": False}


def _unit_field() -> forms.CharField:
    return forms.CharField(
        label=_("Unit code"),
        required=False,
        max_length=64,
        help_text=_("A department, hall or region; leave empty for the whole tenant (全辖)."),
        widget=forms.TextInput(attrs={"list": "report-units", "autocomplete": "off"}),
    )


def _clean_unit(code: str) -> Unit | None:
    code = (code or "").strip()
    if not code:
        return None
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        raise forms.ValidationError(_("No unit has the code %(code)s."), params={"code": code})
    return unit


class ReportRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of report"), choices=ReportKind.choices, widget=forms.RadioSelect)
    month = forms.CharField(
        label=_("Month (monthly report)"),
        required=False,
        max_length=7,
        help_text=_("As YYYY-MM."),
        widget=forms.TextInput(attrs={"type": "month", "pattern": r"\d{4}-\d{2}", "placeholder": "2026-01"}),
    )
    year = forms.IntegerField(
        label=_("Year (quarterly report)"), required=False, min_value=2000, max_value=2100
    )
    quarter = forms.TypedChoiceField(
        label=_("Quarter (quarterly report)"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[
            (1, _("Q1 (January–March)")),
            (2, _("Q2 (April–June)")),
            (3, _("Q3 (July–September)")),
            (4, _("Q4 (October–December)")),
        ],
    )
    before_start = forms.DateField(label=_("Before: from"), **DATE)
    before_end = forms.DateField(label=_("Before: to"), **DATE)
    period_start = forms.DateField(label=_("After: from"), **DATE)
    period_end = forms.DateField(label=_("After: to"), **DATE)
    unit = _unit_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        month_start, _end = last_ended_period(ScheduleKind.MONTHLY, today)
        quarter_start, _end = last_ended_period(ScheduleKind.QUARTERLY, today)
        self.fields["kind"].initial = ReportKind.MONTHLY
        self.fields["month"].initial = f"{month_start:%Y-%m}"
        self.fields["year"].initial = quarter_start.year
        self.fields["quarter"].initial = (quarter_start.month - 1) // 3 + 1

    def clean_unit(self) -> Unit | None:
        return _clean_unit(self.cleaned_data["unit"])

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == ReportKind.MONTHLY:
            match = MONTH.match(data.get("month") or "")
            if not match or not 1 <= int(match.group(2)) <= 12:
                self.add_error("month", _("Give the month as YYYY-MM."))
            else:
                data["period_start"], data["period_end"] = month_bounds(
                    int(match.group(1)), int(match.group(2))
                )
        elif kind == ReportKind.QUARTERLY:
            if not data.get("year") or not data.get("quarter"):
                self.add_error("quarter", _("Give the year and the quarter."))
            else:
                data["period_start"], data["period_end"] = quarter_bounds(data["year"], data["quarter"])
        return data

    def service_arguments(self) -> dict:
        d = self.cleaned_data
        comparison = d["kind"] == ReportKind.COMPARISON
        return {
            "kind": d["kind"],
            "period_start": d.get("period_start"),
            "period_end": d.get("period_end"),
            "before_start": d.get("before_start") if comparison else None,
            "before_end": d.get("before_end") if comparison else None,
            "unit": d.get("unit"),
        }

    def error_field(self, name: str) -> str:
        """Where a service error about `name` shows on this form."""
        kind = self.cleaned_data.get("kind")
        if name in ("period_start", "period_end") and kind == ReportKind.MONTHLY:
            return "month"
        if name in ("period_start", "period_end") and kind == ReportKind.QUARTERLY:
            return "quarter"
        return name


class ScheduleForm(forms.Form):
    kind = forms.ChoiceField(label=_("Every"), choices=ScheduleKind.choices, widget=forms.RadioSelect)
    unit = _unit_field()
    recipients = forms.CharField(
        label=_("E-mail the PDF to"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One address per line (or separated by commas)."),
    )

    def clean_unit(self) -> Unit | None:
        return _clean_unit(self.cleaned_data["unit"])

    def clean_recipients(self) -> list[str]:
        return [a for a in re.split(r"[\s,;，；]+", self.cleaned_data["recipients"]) if a]
