import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.assisted.models import SocialSource
from tenants.assisted.services.paper import SCAN_MAX_BYTES, PaperEntryInput
from tenants.assisted.services.social import SocialCommentInput
from tenants.privacy.identity import ID_TYPES

ID_TYPE_LABELS = {
    "resident_id": _("Resident identity card"),
    "passport": _("Passport"),
    "hk_macao_permit": _("Hong Kong/Macao travel permit"),
    "taiwan_permit": _("Taiwan travel permit"),
    "credit_code": _("Unified social credit code (enterprise)"),
    "other": _("Other"),
}


class PaperEntryForm(forms.Form):
    """A filled paper form, field for field; the rating rules themselves are checked by the service."""

    entry_token = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)
    window_code = forms.CharField(
        label=_("Window code"),
        max_length=64,
        required=False,
        help_text=_("Printed on the form, for example W01. Needed when there is no transaction number."),
    )
    level = forms.TypedChoiceField(label=_("Ticked rating"), coerce=int, widget=forms.RadioSelect)
    reason_tags = forms.MultipleChoiceField(
        label=_("Ticked reasons"), required=False, widget=forms.CheckboxSelectMultiple
    )
    transaction = forms.CharField(
        label=_("Transaction number"),
        max_length=64,
        required=False,
        help_text=_("As written on the form. Leave empty if there is none and give the item and window."),
    )
    item_code = forms.CharField(
        label=_("Service item code"),
        max_length=64,
        required=False,
        help_text=_("Needed when there is no transaction number."),
    )
    comment = forms.CharField(
        label=_("Comments written on the form"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    name = forms.CharField(label=_("Name (if written)"), max_length=50, required=False)
    phone = forms.CharField(label=_("Phone (if written)"), max_length=20, required=False)
    id_type = forms.ChoiceField(label=_("ID type (if written)"), required=False)
    id_number = forms.CharField(label=_("ID number (if written)"), max_length=40, required=False)
    form_date = forms.DateField(label=_("Date on the form"), widget=forms.DateInput(attrs={"type": "date"}))
    scan = forms.FileField(
        label=_("Scan of the form (PDF, PNG or JPEG, at most 5 MB; optional)"),
        required=False,
    )

    def __init__(self, *args, scale_words: tuple[str, ...], tags: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [(n, f"{n} {w}") for n, w in enumerate(scale_words, start=1)]
        self.fields["reason_tags"].choices = [
            (code, f"{n}. {label}") for n, (code, label) in enumerate(tags, start=1)
        ]
        self.fields["id_type"].choices = [("", "—")] + [(t, ID_TYPE_LABELS.get(t, t)) for t in ID_TYPES]
        if not self.is_bound:
            self.initial.setdefault("entry_token", uuid.uuid4().hex)
            self.initial.setdefault("form_date", timezone.localdate())

    def clean_scan(self):
        scan = self.cleaned_data.get("scan")
        if scan and scan.size > SCAN_MAX_BYTES:
            raise forms.ValidationError(_("A scan is at most 5 MB."))
        return scan

    def clean(self):
        data = super().clean()
        if not data.get("transaction") and not (data.get("item_code") and data.get("window_code")):
            self.add_error(None, _("Give the transaction number, or the service item and the window."))
        return data

    def entry_input(self) -> PaperEntryInput:
        d = self.cleaned_data
        evaluator = {key: d.get(key, "").strip() for key in ("name", "phone", "id_number")}
        if evaluator["id_number"]:
            evaluator["id_type"] = d.get("id_type", "")
        return PaperEntryInput(
            form_date=d["form_date"],
            level=d["level"],
            transaction=d.get("transaction", "").strip(),
            item_code=d.get("item_code", "").strip(),
            window_code=d.get("window_code", "").strip(),
            reason_tags=list(d.get("reason_tags") or []),
            comment=d.get("comment", ""),
            evaluator={k: v for k, v in evaluator.items() if v},
            entry_token=d.get("entry_token", ""),
        )

    # The service names the unit it derives from the window, and the identity fields "evaluator.<key>".
    service_fields = {
        "unit_code": "window_code",
        "evaluator.name": "name",
        "evaluator.phone": "phone",
        "evaluator.id_type": "id_type",
        "evaluator.id_number": "id_number",
    }


class SocialCommentForm(forms.Form):
    source_kind = forms.ChoiceField(label=_("Source"), choices=SocialSource.choices)
    received_at = forms.DateTimeField(
        label=_("Received at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    text = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 5}))
    contact = forms.CharField(
        label=_("Contact (phone, e-mail or name; optional)"), max_length=254, required=False
    )
    external_id = forms.CharField(
        label=_("Reference (ticket or letter number; optional)"),
        max_length=250,
        required=False,
        help_text=_("A comment with the same source and reference is recorded only once."),
    )
    window_code = forms.CharField(label=_("Window code (optional)"), max_length=64, required=False)
    unit_code = forms.CharField(label=_("Hall or department code (optional)"), max_length=64, required=False)
    staff_no = forms.CharField(label=_("Staff number (optional)"), max_length=32, required=False)
    item_code = forms.CharField(label=_("Service item code (optional)"), max_length=64, required=False)
    platform_code = forms.CharField(label=_("Platform code (optional)"), max_length=64, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("received_at", timezone.localtime().replace(second=0, microsecond=0))

    def comment_input(self) -> SocialCommentInput:
        d = self.cleaned_data
        return SocialCommentInput(**{k: (v.strip() if isinstance(v, str) else v) for k, v in d.items()})


class MailUploadForm(forms.Form):
    mail = forms.FileField(label=_("E-mail file (.eml or mbox, at most 10 MB)"))

    def clean_mail(self):
        upload = self.cleaned_data["mail"]
        if upload.size > 10 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return upload
