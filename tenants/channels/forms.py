"""The citizen's rating form (mobile page). Sizes and choices here; the domain rules (bad reviews need a
reason, comment length, identity) are checked again by the intake service, whose errors land on these
fields."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tenants.channels.selectors import RatingOptions
from tenants.channels.services import CitizenRating

# Where an intake error (keyed by EvaluationInput field) is shown on the form.
ERROR_FIELDS = {
    "level": "level",
    "reason_tags": "reason_tags",
    "comment": "comment",
    "evaluator.name": "name",
    "evaluator.phone": "phone",
    "evaluator": "name",
    "nonce": None,
}


PUBLISH_CONSENT = _(
    "I agree that my comment may be shown on the public evaluation portal, without personal information "
    "(同意在政务服务评价公开平台展示我的评价内容（不含个人信息）)"
)


class RatingForm(forms.Form):
    level = forms.TypedChoiceField(
        label=_("How was the service?"),
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "level-input"}),
        choices=(),
        error_messages={"required": _("Please choose one of the five ratings.")},
    )
    reason_tags = forms.MultipleChoiceField(
        label=_("What went wrong?"),
        help_text=_("Needed when you choose one of the last two ratings: pick at least one."),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=(),
    )
    comment = forms.CharField(
        label=_("Anything else you want to tell us (optional)"),
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    comment_public = forms.BooleanField(label=PUBLISH_CONSENT, required=False)
    name = forms.CharField(label=_("Your name (optional)"), required=False, max_length=50, strip=True)
    phone = forms.CharField(
        label=_("Your phone number (optional)"),
        required=False,
        max_length=20,
        strip=True,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )

    def __init__(self, *args, options: RatingOptions, **kwargs):
        super().__init__(*args, **kwargs)
        self.options = options
        self.fields["level"].choices = [(lv.level, lv.word) for lv in options.levels]
        self.fields["reason_tags"].choices = [(t.code, t.label) for t in options.tags]
        # The tenant's own limit: a field made now carries its validator and the maxlength attribute.
        self.fields["comment"] = forms.CharField(
            label=self.fields["comment"].label,
            required=False,
            strip=True,
            max_length=options.comment_max_length,
            widget=forms.Textarea(attrs={"rows": 4}),
        )
        self.fields["name"].widget.attrs["autocomplete"] = "name"

    def clean(self):
        cleaned = super().clean()
        level = cleaned.get("level")
        bad_levels = {lv.level for lv in self.options.levels if lv.is_bad}
        if level in bad_levels and not cleaned.get("reason_tags"):
            self.add_error(
                "reason_tags", ValidationError(_("Please pick at least one reason for a bad rating."))
            )
        return cleaned

    def rating(self) -> CitizenRating:
        data = self.cleaned_data
        return CitizenRating(
            level=data["level"],
            reason_tags=list(data.get("reason_tags") or []),
            comment=data.get("comment") or "",
            comment_public=bool(data.get("comment_public")),
            name=data.get("name") or "",
            phone=data.get("phone") or "",
        )

    def add_intake_errors(self, errors: dict) -> None:
        """Errors from the intake service, placed on the field the citizen can fix."""
        for key, messages in errors.items():
            field = ERROR_FIELDS.get(key)
            for message in messages:
                self.add_error(field if field in self.fields else None, message)

    @property
    def is_bad_level_chosen(self) -> bool:
        bad_levels = {str(lv.level) for lv in self.options.levels if lv.is_bad}
        return self.is_bound and self.data.get("level") in bad_levels
