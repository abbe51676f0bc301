from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tenants.catalog.imports.columns import split_list
from tenants.catalog.models import ItemStatus, ItemType, PromiseType
from tenants.catalog.services import guide_problems
from tenants.organisation.models import Unit


class ListField(forms.CharField):
    """A list of texts typed one per line (a full-width “；” also separates)."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return split_list(super().to_python(value) or "")

    def validate(self, value):
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")

    def run_validators(self, value):
        for entry in value:
            super().run_validators(entry)


class UnitCodeField(forms.CharField):
    """A unit typed by its code (an organisation has tens of thousands: no drop-down)."""

    def __init__(self, *args, kinds: tuple[str, ...] = (), **kwargs):
        self.kinds = kinds
        kwargs.setdefault("max_length", 64)
        super().__init__(*args, **kwargs)

    def prepare_value(self, value):
        return value.code if isinstance(value, Unit) else value

    def clean(self, value):
        code = super().clean(value)
        if not code:
            return None
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            raise ValidationError(_("No unit has the code “%(code)s”.") % {"code": code}, code="unknown")
        if self.kinds and unit.kind not in self.kinds:
            raise ValidationError(
                _("“%(code)s” is a %(kind)s, not a window.")
                % {"code": code, "kind": unit.get_kind_display()},
                code="kind",
            )
        return unit


class ItemFilterForm(forms.Form):
    q = forms.CharField(label=_("Code or name contains"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *ItemStatus.choices]
    )


class ItemForm(forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=64, help_text=_("E.g. the national basic catalogue code.")
    )
    name = forms.CharField(label=_("Name"), max_length=300)
    item_type = forms.ChoiceField(label=_("Type"), choices=ItemType.choices)
    legal_basis = forms.CharField(
        label=_("Legal basis"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    responsible_unit = UnitCodeField(
        label=_("Responsible unit (code)"), required=False, help_text=_("The code of a unit, e.g. D01.")
    )


class GuideForm(forms.Form):
    accepting_unit = forms.CharField(label=_("Accepting unit"), max_length=200, required=False)
    channels = ListField(label=_("Service channels"), required=False, help_text=_("One per line."))
    conditions = forms.CharField(
        label=_("Conditions"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    materials = ListField(label=_("Required materials"), required=False, help_text=_("One per line."))
    steps = ListField(label=_("Procedure steps"), required=False, help_text=_("One per line, in order."))
    promise_type = forms.ChoiceField(
        label=_("Promise type"),
        choices=PromiseType.choices,
        widget=forms.RadioSelect,
        initial=PromiseType.PROMISED,
    )
    time_limit_days = forms.IntegerField(
        label=_("Time limit (working days)"),
        min_value=0,
        max_value=999,
        initial=0,
        help_text=_("Counted from the day after receipt; 0 for 即办件."),
    )
    fee_basis = forms.CharField(
        label=_("Fee basis"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    fee_standard = forms.CharField(
        label=_("Fee standard"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    evaluation_channels = ListField(
        label=_("Evaluation channels"),
        required=False,
        help_text=_("One per line, e.g. 窗口评价器, 扫码评价."),
    )

    def clean(self):
        data = super().clean()
        if not self.errors:
            for field, message in guide_problems(data).items():
                self.add_error(field, message)
        return data


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File (CSV or XLSX)"))
    valid_only = forms.BooleanField(
        label=_("Import only the valid rows"),
        required=False,
        help_text=_("Without this, nothing is imported when any row has an error."),
    )


class ItemImportForm(ImportForm):
    publish = forms.BooleanField(
        label=_("Publish the imported guides at once"),
        required=False,
        help_text=_("Without this, new and changed guides wait as drafts."),
    )
