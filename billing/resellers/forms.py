"""Fields only: the services check every rule again (and the tenant application's rules live in onboarding)."""

from decimal import Decimal

from control_plane.onboarding.forms import ApplicationForm
from django import forms
from django.utils.translation import gettext_lazy as _

from billing.models import BillingModel, Plan


class TenantForm(ApplicationForm):
    """The onboarding application, filled in by the reseller for its customer (the reseller is implied)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("reseller", None)
        self.fields["contact_email"].label = _("E-mail of the customer's first administrator")
        self.fields["contact_email"].help_text = _(
            "This person is invited by e-mail to set a password and becomes the workspace's first administrator."
        )


class PlanChoiceForm(forms.Form):
    plan = forms.ModelChoiceField(label=_("New plan"), queryset=Plan.objects.none(), empty_label=None)

    def __init__(self, *args, plans=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = Plan.objects.filter(pk__in=[p.plan.pk for p in plans])


class MonthForm(forms.Form):
    month = forms.CharField(
        label=_("Month"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "pattern": r"\d{4}-\d{2}", "placeholder": "2026-01"}),
        help_text=_("Year and month, e.g. 2026-01."),
    )


# --- national staff ---------------------------------------------------------------------------------------
class ResellerForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    slug = forms.CharField(
        label=_("Short name (slug)"),
        max_length=40,
        help_text=_("Lowercase letters and digits, starting with a letter; used in file names and themes."),
        widget=forms.TextInput(
            attrs={"autocapitalize": "none", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    contact_email = forms.EmailField(label=_("Contact e-mail"), required=False)
    billing_model = forms.ChoiceField(label=_("Billing model"), choices=BillingModel.choices)
    commission_percent = forms.DecimalField(
        label=_("Commission (%)"),
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=2,
        initial=Decimal(0),
        help_text=_("The reseller's share of what its directly paying tenants pay (direct billing)."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class StaffForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    display_name = forms.CharField(label=_("Name"), max_length=100, required=False)
    password = forms.CharField(
        label=_("Password (optional)"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Leave empty to e-mail a one-time invitation: the person then chooses their own password."
        ),
    )


class PricesForm(forms.Form):
    """One field per plan: the wholesale price per tenant and month in yuan; empty = the reseller does not sell
    the plan."""

    def __init__(self, *args, plans=(), current: dict[int, int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        current = current or {}
        self.plans = list(plans)
        for plan in self.plans:
            self.fields[f"plan_{plan.pk}"] = forms.DecimalField(
                label=plan.name,
                required=False,
                min_value=Decimal(0),
                max_value=Decimal(10_000_000),
                decimal_places=2,
                initial=(Decimal(current[plan.pk]) / 100) if plan.pk in current else None,
                help_text=_("Retail price: ¥%(price)s per month")
                % {"price": f"{plan.monthly_price / 100:.2f}"},
            )

    def prices(self) -> dict:
        """{plan: price in fen or None}."""
        result = {}
        for plan in self.plans:
            value = self.cleaned_data.get(f"plan_{plan.pk}")
            result[plan] = None if value is None else int((value * 100).to_integral_value())
        return result
