from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.evaluations.models import Channel


class EvaluationFilterForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("All channels")), *Channel.choices]
    )
    bad_only = forms.BooleanField(label=_("Bad reviews only"), required=False)
    q = forms.CharField(label=_("Transaction number"), required=False, max_length=64)


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you need to see the identity?"),
        min_length=4,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
