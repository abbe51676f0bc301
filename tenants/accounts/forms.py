from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.accounts.roles import MACHINE_ROLES, Role


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("Where the key is used, e.g. “Hall 1, window A01 rating pad”."),
    )
    role = forms.ChoiceField(
        label=_("Role"), choices=[(r.value, r.label) for r in Role if r in MACHINE_ROLES]
    )
