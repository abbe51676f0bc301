from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.accounts.roles import Role
from tenants.evaluations.models import Scale
from tenants.setup.services import INVITABLE_ROLES


class ScaleForm(forms.Form):
    scale = forms.ChoiceField(
        label=_("Wording of the five levels"),
        choices=Scale.choices,
        widget=forms.RadioSelect,
        help_text=_("Shown on rating pads, QR pages and paper forms, best level first."),
    )


class StaffInviteForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"), widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    display_name = forms.CharField(label=_("Name"), max_length=100, required=False)
    role = forms.ChoiceField(
        label=_("Role"), choices=[(r.value, Role(r).label) for r in INVITABLE_ROLES], initial=Role.OFFICER
    )
