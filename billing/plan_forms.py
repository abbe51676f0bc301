"""The plan edit form of national staff. Prices are typed in yuan and stored in fen; the service
(billing.plans.plan_update) checks everything again."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.models import Plan
from billing.plans import EDITABLE, LIMIT_FIELDS, MAX_COUNT, SWITCH_FIELDS

LIMIT_HELP = _("A whole number of 0 or more; empty means unlimited.")


def _limit(label) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, required=False, min_value=0, max_value=MAX_COUNT, help_text=LIMIT_HELP
    )


class PlanForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    audience = forms.CharField(label=_("For whom"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Description"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    max_halls = _limit(_("Halls"))
    max_windows = _limit(_("Windows"))
    max_devices = _limit(_("Rating devices"))
    max_staff = _limit(_("Staff seats"))
    api_access = forms.BooleanField(label=_("API access"), required=False)
    reports = forms.BooleanField(label=_("Reports"), required=False)
    public_portal = forms.BooleanField(label=_("Public portal"), required=False)
    national_feed = forms.BooleanField(label=_("National feed participation"), required=False)
    trial_days = forms.IntegerField(label=_("Trial days"), min_value=0, max_value=3650)
    monthly_price_yuan = forms.DecimalField(
        label=_("Monthly price (yuan)"), min_value=0, max_digits=12, decimal_places=2
    )
    price_per_rating = forms.DecimalField(
        label=_("Metered price per rating (fen)"),
        required=False,
        min_value=0,
        max_digits=8,
        decimal_places=4,
        help_text=_("Empty: no metered part."),
    )
    stripe_price_id = forms.CharField(label=_("Stripe price id (monthly)"), max_length=64, required=False)
    stripe_metered_price_id = forms.CharField(
        label=_("Stripe price id (metered)"), max_length=64, required=False
    )
    is_public = forms.BooleanField(label=_("Shown on the public site"), required=False)
    highlighted = forms.BooleanField(label=_("Highlighted on the public site"), required=False)
    sort_order = forms.IntegerField(label=_("Order on the public site"), min_value=0, max_value=32767)

    limit_fields = LIMIT_FIELDS
    switch_fields = SWITCH_FIELDS

    @classmethod
    def initial_for(cls, plan: Plan) -> dict:
        initial = {field: getattr(plan, field) for field in EDITABLE if field != "monthly_price"}
        initial["monthly_price_yuan"] = Decimal(plan.monthly_price) / 100
        return initial

    def service_arguments(self) -> dict:
        data = dict(self.cleaned_data)
        data["monthly_price"] = int(data.pop("monthly_price_yuan") * 100)
        return data

    service_field_names = {"monthly_price": "monthly_price_yuan"}  # for add_service_errors
