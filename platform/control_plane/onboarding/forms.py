from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from billing.models import Reseller
from control_plane.onboarding.models import SIGNUP_KINDS
from tenants.models import TenantKind


class ApplicationForm(forms.Form):
    """Fields only; every rule lives in validation.py (the service checks again)."""

    organisation_name = forms.CharField(
        label=_("Organisation name"),
        max_length=200,
        help_text=_("The full official name, e.g. 深圳市政务服务和数据管理局."),
    )
    kind = forms.ChoiceField(
        label=_("Kind of organisation"),
        choices=[(k.value, TenantKind(k).label) for k in SIGNUP_KINDS],
        help_text=_(
            "A province, city or county government, or an agency (e.g. a tax or social-security bureau)."
        ),
    )
    region_code = forms.CharField(
        label=_("Region code (行政区划代码)"),
        max_length=6,
        help_text=_(
            "The 6-digit GB/T 2260 code of your area: 440000 for a province, 440300 for a city, 440305 for a "
            "county or district."
        ),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    slug = forms.CharField(
        label=_("Desired subdomain"),
        max_length=30,
        widget=forms.TextInput(
            attrs={"autocapitalize": "none", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    contact_name = forms.CharField(label=_("Contact name"), max_length=100)
    contact_phone = forms.CharField(
        label=_("Contact phone"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    contact_email = forms.EmailField(
        label=_("Contact e-mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    reseller = forms.ModelChoiceField(
        label=_("Reseller (optional)"),
        queryset=Reseller.objects.none(),
        required=False,
        empty_label=_("None: the national team reviews the application"),
        help_text=_(
            "If a reseller sells you the service, choose it: its staff review your application and support "
            "your workspace."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        resellers = Reseller.objects.filter(is_active=True).order_by("name")
        if resellers.exists():
            self.fields["reseller"].queryset = resellers
        else:  # nothing to choose from: no field
            del self.fields["reseller"]
        self.fields["slug"].help_text = _(
            "2–30 lowercase letters and digits, starting with a letter. It becomes your address, e.g. "
            "szgov.%(domain)s."
        ) % {"domain": settings.BASE_DOMAIN}


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the rejection"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The requester reads it on their application and in an e-mail."),
    )
