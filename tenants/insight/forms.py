"""The scope of a question (period and filters), read from a query string by pages and the API alike."""

from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.catalog.models import ItemType, ServiceItem
from tenants.evaluations.models import Channel
from tenants.insight.selectors import Scope
from tenants.organisation.models import Unit

MAX_DAYS = 3 * 366  # three years at most in one question
EARLIEST = date(2000, 1, 1)  # no rating is older; earlier dates (0001-01-01) would overflow date arithmetic
AHEAD = timedelta(days=366)  # the latest date one may ask about: a year from today (no overflow near 9999)


def date_bounds(today: date | None = None) -> tuple[date, date]:
    """The first and last day a question may name: 2000-01-01 and a year from today."""
    return EARLIEST, (today or timezone.localdate()) + AHEAD


class ScopeForm(forms.Form):
    """`from`/`to` (local dates, both included, from 2000-01-01 to a year from today) and optional `unit` (code:
    the unit and below), `item` (code), `channel`, `item_type`. Pages default to the last 30 days; the API
    requires both dates (`required=True`)."""

    unit = forms.CharField(label=_("Unit code"), required=False, max_length=64)
    item = forms.CharField(label=_("Item code"), required=False, max_length=64)
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("All channels")), *Channel.choices]
    )
    item_type = forms.ChoiceField(
        label=_("Item type"), required=False, choices=[("", _("All item types")), *ItemType.choices]
    )

    def __init__(self, data=None, *, dates_required: bool = False, **kwargs):
        super().__init__(data, **kwargs)
        # `from` and `to` are the query-string names (and Python keywords, hence not class attributes)
        period = {
            name: forms.DateField(
                label=label,
                required=dates_required,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            )
            for name, label in (("from", _("From")), ("to", _("To")))
        }
        self.fields = period | dict(self.fields)

    def clean_unit(self) -> Unit | None:
        code = self.cleaned_data["unit"]
        if not code:
            return None
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            raise forms.ValidationError(_("No unit has the code %(code)s."), params={"code": code})
        return unit

    def clean_item(self) -> ServiceItem | None:
        code = self.cleaned_data["item"]
        if not code:
            return None
        item = ServiceItem.objects.filter(code=code).first()
        if item is None:
            raise forms.ValidationError(_("No service item has the code %(code)s."), params={"code": code})
        return item

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        first, last = date_bounds(today)
        for name in ("from", "to"):
            value = data.get(name)
            if value is not None and not first <= value <= last:
                self.add_error(
                    name,
                    forms.ValidationError(
                        _("“%(field)s” must be on or after %(date)s.")
                        if value < first
                        else _("“%(field)s” must be on or before %(date)s."),
                        code="out_of_range",
                        params={"field": self.fields[name].label, "date": (first if value < first else last)},
                    ),
                )
        if self.errors:
            return data
        data["to"] = data.get("to") or today
        data["from"] = data.get("from") or data["to"] - timedelta(days=29)
        if data["to"] < data["from"]:
            self.add_error("to", _("The end of the period is before its start."))
        elif (data["to"] - data["from"]).days >= MAX_DAYS:
            self.add_error("to", _("A period is at most three years long."))
        return data

    def scope(self) -> Scope:
        d = self.cleaned_data
        return Scope(
            start=d["from"], end=d["to"], unit=d["unit"], item=d["item"],
            channel=d["channel"] or None, item_type=d["item_type"] or None,
        )  # fmt: skip
