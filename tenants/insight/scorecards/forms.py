"""Query-string controls of the scorecard pages (the period and filters come from insight.forms.ScopeForm)."""

import re
from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.insight.forms import date_bounds
from tenants.insight.scorecards.fairness import MIN_SAMPLE
from tenants.insight.scorecards.selectors import LEVELS, month_add, month_start


class RankingForm(forms.Form):
    level = forms.ChoiceField(label=_("Rank"), choices=list(LEVELS.items()), required=False)
    min_sample = forms.IntegerField(
        label=_("Minimum sample (ratings)"),
        min_value=1,
        max_value=100_000,
        required=False,
        help_text=_("Fewer ratings than this are listed apart (样本不足) and not ranked."),
    )
    exclude_defaults = forms.BooleanField(
        label=_("Only ratings the evaluators gave (without default ratings)"), required=False
    )

    def clean(self):
        data = super().clean()
        data["level"] = data.get("level") or "department"
        data["min_sample"] = data.get("min_sample") or MIN_SAMPLE
        return data


MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class MonthForm(forms.Form):
    """`month=YYYY-MM` (from 2000-01 to the month a year from today, as ScopeForm's dates); without it, the
    month `default_offset` months from the current one."""

    month = forms.CharField(
        label=_("Month"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "pattern": r"\d{4}-\d{2}"}),
    )

    def __init__(self, data=None, *, default_offset: int = 0, **kwargs):
        super().__init__(data, **kwargs)
        self.default_offset = default_offset

    def clean_month(self) -> date:
        value = (self.cleaned_data.get("month") or "").strip()
        if not value:
            return month_add(month_start(timezone.localdate()), self.default_offset)
        match = MONTH.match(value)
        if not match or not 1 <= int(match[2]) <= 12:
            raise forms.ValidationError(_("Give the month as YYYY-MM."))
        month = date(int(match[1]), int(match[2]), 1)
        first, last = (month_start(d) for d in date_bounds())
        if not first <= month <= last:  # 9999-12 would overflow the month after it
            raise forms.ValidationError(
                _("Give a month from %(first)s to %(last)s."),
                code="out_of_range",
                params={"first": f"{first:%Y-%m}", "last": f"{last:%Y-%m}"},
            )
        return month
