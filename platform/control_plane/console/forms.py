from django import forms
from django.utils.translation import gettext_lazy as _

from control_plane.console.models import SUPPORT_MAX_MINUTES
from tenants.models import TenantKind, TenantStatus


class TenantFilterForm(forms.Form):
    q = forms.CharField(label=_("Name, subdomain or region code"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any")), *TenantStatus.choices]
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Any")), *TenantKind.choices])

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


class StatusActionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (recorded in the audit trail)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(label=_("I have checked the tenant and confirm this change"), required=True)


SUPPORT_DURATIONS = [(30, _("30 minutes")), (60, _("1 hour")), (120, _("2 hours")), (240, _("4 hours")),
                     (SUPPORT_MAX_MINUTES, _("8 hours"))]  # fmt: skip


class SupportRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Why you need access (the tenant's administrators read this)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    minutes = forms.TypedChoiceField(
        label=_("For how long, once approved"), choices=SUPPORT_DURATIONS, coerce=int, initial=60
    )


class SupportDecisionForm(forms.Form):
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=2000)


class SupportRevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), required=False, max_length=2000)
