"""Forms of the comment analysis pages: the scope (with a staff member), a spike onto the ledger, resolving."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.insight.forms import ScopeForm
from tenants.insight.textmining.services import DEFAULT_DEADLINE_DAYS, MAX_DEADLINE_DAYS
from tenants.organisation.models import Staff


class CommentScopeForm(ScopeForm):
    """The dashboards' scope (period, unit, item, channel, item type) and a staff number."""

    staff = forms.CharField(label=_("Staff number"), required=False, max_length=32)

    def clean_staff(self) -> Staff | None:
        number = self.cleaned_data["staff"].strip()
        if not number:
            return None
        staff = Staff.objects.filter(staff_no=number).first()
        if staff is None:
            raise forms.ValidationError(_("No staff member has the number %(no)s."), params={"no": number})
        return staff


class LedgerCreateForm(forms.Form):
    """A spike (unit code, term, the last day of its recent window) onto the ledger."""

    unit = forms.CharField(max_length=64, widget=forms.HiddenInput)
    term = forms.CharField(max_length=64, widget=forms.HiddenInput)
    today = forms.DateField(required=False, widget=forms.HiddenInput)
    title = forms.CharField(label=_("Title"), max_length=200)
    deadline_days = forms.IntegerField(
        label=_("Deadline (working days)"),
        min_value=1,
        max_value=MAX_DEADLINE_DAYS,
        initial=DEFAULT_DEADLINE_DAYS,
    )


class LedgerResolveForm(forms.Form):
    note = forms.CharField(
        label=_("What was done"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
