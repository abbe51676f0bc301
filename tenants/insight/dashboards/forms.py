"""The dashboards' query strings: the scope (tenants.insight.forms.ScopeForm) plus what each page adds."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.insight.dashboards.selectors import DIMENSIONS, GRANULARITIES
from tenants.insight.forms import ScopeForm
from tenants.organisation.models import Unit

DAILY_UP_TO = 92  # days in a period whose trend is drawn per day unless asked otherwise
WEEKLY_UP_TO = 731  # … per week; longer periods per month


class OverviewForm(ScopeForm):
    granularity = forms.ChoiceField(
        label=_("Trend per"), required=False, choices=list(GRANULARITIES.items()), widget=forms.HiddenInput
    )

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("granularity"):
            # unless asked: as many points as a chart and its table can show legibly
            days = (data["to"] - data["from"]).days + 1
            data["granularity"] = (
                "day" if days <= DAILY_UP_TO else "week" if days <= WEEKLY_UP_TO else "month"
            )
        return data


class BreakdownForm(ScopeForm):
    by = forms.ChoiceField(
        label=_("Break down by"), required=False, choices=list(DIMENSIONS.items()), widget=forms.HiddenInput
    )
    parent = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def clean_by(self) -> str:
        return self.cleaned_data["by"] or "unit"

    def clean_parent(self) -> Unit | None:
        code = self.cleaned_data["parent"]
        if not code:
            return None
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            raise forms.ValidationError(_("No unit has the code %(code)s."), params={"code": code})
        return unit
