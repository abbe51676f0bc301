from django import forms
from django.utils.translation import gettext_lazy as _


class BrandingForm(forms.Form):
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=200,
        required=False,
        help_text=_("Shown at the top of every page. Leave empty to use the organisation's name."),
    )
    primary_color = forms.RegexField(
        label=_("Primary colour"),
        regex=r"^#[0-9a-fA-F]{6}$",
        widget=forms.TextInput(attrs={"type": "color"}),
        error_messages={"invalid": _("Use a colour like #1f5fbf.")},
    )
    logo = forms.FileField(label=_("Logo (PNG or JPEG, at most 200 KB)"), required=False)
