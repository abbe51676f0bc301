"""The export form: what to export, in which format, and the period and filters of tenants.insight.forms."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.insight.exports.models import ExportFormat, ExportKind
from tenants.insight.exports.selectors import ExportFilters
from tenants.insight.forms import ScopeForm


class ExportForm(ScopeForm):
    kind = forms.ChoiceField(
        label=_("Data"), choices=ExportKind.choices, initial=ExportKind.EVALUATIONS, widget=forms.RadioSelect
    )
    file_format = forms.ChoiceField(
        label=_("Format"), choices=ExportFormat.choices, initial=ExportFormat.CSV, widget=forms.RadioSelect
    )
    current_only = forms.BooleanField(
        label=_("Current revisions only"),
        required=False,
        initial=True,
        help_text=_(
            "A re-rating supersedes the earlier rating of the same transaction; untick to list every revision "
            "(evaluations only)."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("from", "to"):  # <input type=date> takes ISO dates only, whatever the language's format
            self.fields[name].widget.format = "%Y-%m-%d"

    def filters(self) -> ExportFilters:
        return ExportFilters(scope=self.scope(), current_only=self.cleaned_data["current_only"])
