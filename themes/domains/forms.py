from django import forms
from django.utils.translation import gettext_lazy as _

from themes.domains.models import VerificationMethod


class DomainClaimForm(forms.Form):
    # Checked and normalised by services.domain_normalize (one rule for pages and anything else that claims).
    domain = forms.CharField(
        label=_("Domain"),
        max_length=253,
        help_text=_(
            "Your organisation's own name, e.g. pingjia.example.gov.cn (Chinese domain names work too)."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "url"}),
    )
    method = forms.ChoiceField(
        label=_("How will you prove the domain is yours?"),
        choices=VerificationMethod.choices,
        initial=VerificationMethod.DNS_TXT,
        widget=forms.RadioSelect,
    )
