"""Forms of the appeal pages: input parsing and labels only; the rules live in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.appeals.models import AppealState, AppellantKind
from tenants.appeals.services import (
    EVIDENCE_MAX_BYTES,
    EVIDENCE_MAX_FILES,
    STATEMENT_MAX_LENGTH,
    EvidenceUpload,
)

EVIDENCE_ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one <input type=file multiple>; an empty selection is an empty list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": EVIDENCE_ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else [data] if data else []
        if not files and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


def evidence_uploads(files) -> list[EvidenceUpload]:
    """Read the uploads for the service: one byte over the size limit is enough for it to refuse a file, and
    one file over the count limit enough to refuse the set (so a flood is never read into memory)."""
    return [
        EvidenceUpload(name=f.name, data=f.read(EVIDENCE_MAX_BYTES + 1))
        for f in files[: EVIDENCE_MAX_FILES + 1]
    ]


EVIDENCE_HELP = _("PDF, JPEG or PNG; at most 5 files of 5 MB each.")


class AppealForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Appeal on behalf of"), choices=AppellantKind.choices, widget=forms.RadioSelect
    )
    statement = forms.CharField(
        label=_("Why is this rating wrong?"),
        help_text=_("Describe what happened and what your evidence shows (at most 4,000 characters)."),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=STATEMENT_MAX_LENGTH,
    )
    evidence = MultipleFileField(
        label=_("Evidence files (optional)"), help_text=EVIDENCE_HELP, required=False
    )

    def __init__(self, *args, kinds: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, v) for k, v in AppellantKind.choices if k in kinds]
        self.fields["kind"].initial = kinds[0] if kinds else None
        if len(kinds) == 1:
            self.fields["kind"].widget = forms.HiddenInput()


class EvidenceForm(forms.Form):
    evidence = MultipleFileField(label=_("More evidence files"), help_text=EVIDENCE_HELP, required=True)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (AppealState.UPHELD, _("Uphold: exclude the rating from every indicator")),
            (AppealState.REJECTED, _("Reject: the rating stands")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Reason for the decision"),
        help_text=_("Shown to the appellant and recorded with the rating if it is excluded."),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
    )


class SettingsForm(forms.Form):
    filing_days = forms.IntegerField(
        label=_("Appeals accepted until (calendar days after the rating)"), min_value=1, max_value=366
    )
    decision_working_days = forms.IntegerField(
        label=_("Decision due within (working days after filing)"), min_value=1, max_value=60
    )
