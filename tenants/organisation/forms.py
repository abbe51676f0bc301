from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.catalog.forms import UnitCodeField
from tenants.organisation.models import PlatformKind, UnitKind


class UnitForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=64)
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=UnitKind.choices)
    parent = UnitCodeField(
        label=_("Parent unit (code)"),
        required=False,
        help_text=_("Empty for a top-level unit. A window cannot contain other units."),
    )
    region_code = forms.CharField(
        label=_("Region code"),
        required=False,
        max_length=12,
        help_text=_("GB/T 2260, 6, 9 or 12 digits. Empty takes the parent's."),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class StaffFilterForm(forms.Form):
    q = forms.CharField(label=_("Staff number or name contains"), required=False, max_length=100)
    active = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("1", _("Working")), ("0", _("Left"))],
    )


class StaffForm(forms.Form):
    staff_no = forms.CharField(label=_("Staff number (工号)"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=100)
    unit = UnitCodeField(label=_("Unit (code)"))


class AssignForm(forms.Form):
    window = UnitCodeField(label=_("Window (code)"), kinds=(UnitKind.WINDOW,))
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(
        label=_("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty while the assignment lasts."),
    )


class EndAssignmentForm(forms.Form):
    ends_on = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))


class LeaveForm(forms.Form):
    left_on = forms.DateField(label=_("Left on"), widget=forms.DateInput(attrs={"type": "date"}))


class PlatformForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=64)
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=PlatformKind.choices)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class DeviceForm(forms.Form):
    code = forms.CharField(label=_("Device code"), max_length=64)
    name = forms.CharField(label=_("Name"), max_length=200, initial="评价器")
    window = UnitCodeField(label=_("Window (code)"), kinds=(UnitKind.WINDOW,))
