"""Query-string controls of the league pages and the publish form."""

from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from control_plane.benchmarking.models import PeerGroup
from control_plane.benchmarking.selectors import Period, month_add, month_start
from tenants.insight.forms import date_bounds
from tenants.insight.scorecards.fairness import MIN_SAMPLE
from tenants.insight.selectors import INDICATORS

MAX_DAYS = 3 * 366  # three years at most in one league table
DEFAULT_GROUP = PeerGroup.PROVINCE.value
DEFAULT_INDICATOR = "good_rate"


def last_full_month(today: date | None = None) -> Period:
    first = month_add(month_start(today or timezone.localdate()), -1)
    return Period(first, month_start(today or timezone.localdate()) - timedelta(days=1))


def presets(today: date | None = None) -> list[tuple[str, Period]]:
    """Periods one click away: whole months, so that the previous period is whole months too."""
    today = today or timezone.localdate()
    this_month = month_start(today)
    before = this_month - timedelta(days=1)
    return [
        (_("Last month"), Period(month_add(this_month, -1), before)),
        (_("Last 3 months"), Period(month_add(this_month, -3), before)),
        (_("Last 12 months"), Period(month_add(this_month, -12), before)),
        (_("This year so far"), Period(date(today.year, 1, 1), today)),
        (_("Last year"), Period(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))),
    ]


class LeagueForm(forms.Form):
    """`group`, `indicator`, `from`/`to` (local dates, both included; default: the last whole month),
    `min_sample`, `exclude_defaults` and `include_trial` (trial tenants are left out unless ticked)."""

    group = forms.ChoiceField(label=_("Peer group"), choices=PeerGroup.choices, required=False)
    indicator = forms.ChoiceField(label=_("Indicator"), choices=list(INDICATORS.items()), required=False)
    min_sample = forms.IntegerField(
        label=_("Minimum sample"),
        min_value=1,
        max_value=10_000_000,
        required=False,
        help_text=_("A smaller denominator than this is listed apart (样本不足) and not ranked."),
    )
    exclude_defaults = forms.BooleanField(
        label=_("Good-review rate without default ratings (only ratings the evaluators gave)"), required=False
    )

    include_trial = forms.BooleanField(
        label=_("Include trial tenants (试用): self-registered, not verified; never published"),
        required=False,
    )

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        period = {
            name: forms.DateField(label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}))
            for name, label in (("from", _("From")), ("to", _("To")))
        }
        self.fields = dict(self.fields) | period

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        data["group"] = data.get("group") or DEFAULT_GROUP
        data["indicator"] = data.get("indicator") or DEFAULT_INDICATOR
        data["min_sample"] = data.get("min_sample") or MIN_SAMPLE
        if not data.get("to"):  # nothing given: the last whole month; only `from`: until today
            data["to"] = timezone.localdate() if data.get("from") else last_full_month().end
        data["from"] = data.get("from") or month_start(data["to"])
        earliest, latest = date_bounds()
        out_of_range = False
        for name in ("from", "to"):  # 0001-01-01 or 9999-12-31 would overflow the months' arithmetic
            if not earliest <= data[name] <= latest:
                out_of_range = True
                self.add_error(
                    name,
                    _("Choose a date from %(earliest)s to %(latest)s.")
                    % {"earliest": earliest.isoformat(), "latest": latest.isoformat()},
                )
        if out_of_range:
            return data
        if data["to"] < data["from"]:
            self.add_error("to", _("The end of the period is before its start."))
        elif (data["to"] - data["from"]).days >= MAX_DAYS:
            self.add_error("to", _("A period is at most three years long."))
        return data

    def period(self) -> Period:
        return Period(self.cleaned_data["from"], self.cleaned_data["to"])


class PublishForm(LeagueForm):
    title = forms.CharField(
        label=_("Title of the published ranking"),
        max_length=200,
        required=False,
        help_text=_("Left empty: the indicator, peer group and period."),
    )
