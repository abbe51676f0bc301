from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.validators import control_characters_message, has_control_characters
from themes.models import SINGLE_LINE_FIELDS, Font

COLOUR_PATTERN = r"^#[0-9a-fA-F]{6}$"


def _colour(label, help_text):
    # A text input is the field (keyboard, screen readers, pasting "#1f5fbf"); the template adds a colour
    # picker beside it that fills it in. Empty = inherit.
    return forms.RegexField(
        label=label,
        regex=COLOUR_PATTERN,
        required=False,
        help_text=help_text,
        max_length=7,
        widget=forms.TextInput(attrs={"pattern": "#[0-9a-fA-F]{6}", "spellcheck": "false", "size": 8}),
        error_messages={"invalid": _("Use a colour like #1f5fbf.")},
    )


class ThemeForm(forms.Form):
    """Every field may stay empty: the value is then inherited from the level above."""

    display_name = forms.CharField(label=_("Display name"), max_length=200, required=False)
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG, JPEG or SVG, at most 200 KB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/svg+xml"}),
    )
    clear_logo = forms.BooleanField(label=_("Use the inherited logo instead"), required=False)
    favicon = forms.FileField(
        label=_("Favicon (the icon in the browser tab)"),
        required=False,
        help_text=_("PNG, ICO or SVG, at most 50 KB."),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/png,image/x-icon,image/vnd.microsoft.icon,image/svg+xml"}
        ),
    )
    clear_favicon = forms.BooleanField(label=_("Use the inherited favicon instead"), required=False)
    primary_color = _colour(_("Primary colour"), _("Header, buttons and links."))
    on_primary_color = _colour(
        _("Text colour on the primary colour"), _("Text on buttons and in the header.")
    )
    text_color = _colour(_("Text colour"), "")
    background_color = _colour(_("Background colour"), "")
    font = forms.ChoiceField(label=_("Font"), required=False, choices=[("", _("Inherit")), *Font.choices])
    footer_text = forms.CharField(label=_("Footer text"), max_length=300, required=False)
    contact_phone = forms.CharField(
        label=_("Contact phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    contact_email = forms.EmailField(label=_("Contact e-mail"), required=False)
    email_sender_name = forms.CharField(
        label=_("E-mail sender name"),
        max_length=100,
        required=False,
        help_text=_("The name in the From line of the e-mails sent in your name."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():  # the help under each label, which says what "empty" inherits
            if not name.startswith("clear_"):
                field.widget.attrs["aria-describedby"] = f"id_{name}-help"

    def clean(self):
        cleaned = super().clean()
        # They end up in e-mail headers (a line break there makes every e-mail fail) and one-line layouts.
        for name in SINGLE_LINE_FIELDS:
            if has_control_characters(cleaned.get(name)):
                self.add_error(name, control_characters_message(self.fields[name].label))
        return cleaned
