"""Forms of the supervision pages: input parsing and labels only; the rules live in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.catalog.models import ServiceItem
from tenants.organisation.models import Unit
from tenants.supervision.models import (
    CallbackMethod,
    ItemQuestionKind,
    SampleMode,
    SurveyQuestionKind,
    SurveyTopic,
)

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class _CodeLookups:
    """Unit and item by code (a province has tens of thousands; a select would not do)."""

    def clean_unit_code(self):
        code = self.cleaned_data.get("unit_code", "").strip()
        if not code:
            return None
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            raise forms.ValidationError(_("No unit has the code “%(code)s”.") % {"code": code})
        return unit

    def clean_item_code(self):
        code = self.cleaned_data.get("item_code", "").strip()
        if not code:
            return None
        item = ServiceItem.objects.filter(code=code).first()
        if item is None:
            raise forms.ValidationError(_("No service item has the code “%(code)s”.") % {"code": code})
        return item


# --- questionnaires ------------------------------------------------------------------------------------
class QuestionnaireCreateForm(_CodeLookups, forms.Form):
    item_code = forms.CharField(
        label=_("Service item code"),
        max_length=64,
        required=False,
        help_text=_("Leave empty for the default questionnaire of all items."),
    )
    title = forms.CharField(label=_("Title"), max_length=200)


class QuestionnaireSettingsForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    active = forms.BooleanField(label=_("Offer this questionnaire to evaluators"), required=False)


class ItemQuestionForm(forms.Form):
    key = forms.CharField(
        label=_("Question key"),
        max_length=40,
        required=False,
        help_text=_("Lower-case letters, digits and _."),
    )
    text = forms.CharField(label=_("Question"), max_length=200, required=False)
    kind = forms.ChoiceField(label=_("Answer"), choices=ItemQuestionKind.choices, required=False)
    required = forms.BooleanField(label=_("Required"), required=False)
    remove = forms.BooleanField(label=_("Remove this question"), required=False)


ItemQuestionFormSet = forms.formset_factory(ItemQuestionForm, extra=2, max_num=20, absolute_max=40)


# --- surveys -------------------------------------------------------------------------------------------
class SurveyForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Introduction"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    topic = forms.ChoiceField(label=_("Topic"), choices=SurveyTopic.choices)
    collect_contact = forms.BooleanField(
        label=_("Let respondents leave a name and phone number (optional for them)"),
        required=False,
        initial=True,
    )
    max_per_minute = forms.IntegerField(
        label=_("Most answers accepted per minute"), min_value=1, max_value=10000, initial=120
    )


class SurveyQuestionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of question"), choices=SurveyQuestionKind.choices)
    text = forms.CharField(label=_("Question"), max_length=300)
    help_text = forms.CharField(label=_("Hint (optional)"), max_length=300, required=False)
    options = forms.CharField(
        label=_("Options, one per line (choice questions)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    required = forms.BooleanField(label=_("An answer is required"), required=False)


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you need to see it?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required. Your name, the time and this reason are written to the audit trail."),
    )


# --- callbacks -----------------------------------------------------------------------------------------
class SampleForm(_CodeLookups, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    period_start = forms.DateField(label=_("Rated from"), widget=DateInput())
    period_end = forms.DateField(label=_("Rated until"), widget=DateInput())
    mode = forms.ChoiceField(label=_("Draw"), choices=SampleMode.choices, widget=forms.RadioSelect)
    amount = forms.DecimalField(label=_("Percentage or number"), min_value=0, max_digits=9, decimal_places=2)
    unit_code = forms.CharField(
        label=_("Unit code (optional)"),
        max_length=64,
        required=False,
        help_text=_("Only evaluations of this unit and the units under it."),
    )
    item_code = forms.CharField(label=_("Service item code (optional)"), max_length=64, required=False)
    contactable_only = forms.BooleanField(
        label=_("Only evaluations with a phone number"), required=False, initial=True
    )
    seed = forms.IntegerField(
        label=_("Seed (optional)"),
        min_value=0,
        max_value=2**63 - 1,
        required=False,
        help_text=_("The same seed over the same evaluations draws the same sample. Empty: a random seed."),
    )


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Assign to"), queryset=None, required=False, empty_label=_("Nobody")
    )
    tasks = forms.TypedMultipleChoiceField(label=_("Tasks"), coerce=int, choices=())

    def __init__(self, *args, users, task_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = users
        self.fields["tasks"].choices = [(pk, pk) for pk in task_ids]


class OutcomeForm(forms.Form):
    called_at = forms.DateTimeField(
        label=_("Time of the callback"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    method = forms.ChoiceField(label=_("Method"), choices=CallbackMethod.choices, widget=forms.RadioSelect)
    reached = forms.ChoiceField(
        label=_("Was the evaluator reached?"), choices=YES_NO, widget=forms.RadioSelect
    )
    confirmed = forms.ChoiceField(
        label=_("Did the evaluator confirm the rating?"),
        choices=YES_NO,
        widget=forms.RadioSelect,
        required=False,
    )
    freely_given = forms.ChoiceField(
        label=_("Was the rating given freely, without pressure or interference?"),
        choices=YES_NO,
        widget=forms.RadioSelect,
        required=False,
    )
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )


# --- assessments ---------------------------------------------------------------------------------------
class AssessmentForm(forms.Form):
    organisation = forms.CharField(label=_("Assessing organisation"), max_length=200)
    scope = forms.CharField(label=_("Scope"), widget=forms.Textarea(attrs={"rows": 3}))
    period_start = forms.DateField(label=_("Period from"), widget=DateInput())
    period_end = forms.DateField(label=_("Period until"), widget=DateInput())
    score = forms.DecimalField(label=_("Score (optional)"), required=False, max_digits=6, decimal_places=2)
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    report = forms.FileField(
        label=_("Report (PDF, DOCX or XLSX, at most 10 MB; optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx,.xlsx"}),
    )


# --- signals -------------------------------------------------------------------------------------------
class SignalsForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=DateInput())
    end = forms.DateField(label=_("Until"), widget=DateInput())
    burst_gap_seconds = forms.IntegerField(
        label=_("Quick rating: seconds after the transaction finished"),
        min_value=1,
        max_value=3600,
        required=False,
    )
    burst_span_seconds = forms.IntegerField(
        label=_("Burst: within this many seconds"), min_value=10, max_value=86400, required=False
    )
    burst_min_count = forms.IntegerField(
        label=_("Burst: at least this many quick ratings"), min_value=2, max_value=100000, required=False
    )
    streak_min_length = forms.IntegerField(
        label=_("Streak: at least this many good ratings in a row"),
        min_value=2,
        max_value=1000000,
        required=False,
    )
    rate_min_transactions = forms.IntegerField(
        label=_("Rating rate: windows with at least this many transactions"),
        min_value=1,
        max_value=1000000,
        required=False,
    )
    rate_z = forms.FloatField(
        label=_("Rating rate: robust z-score at least"), min_value=1, max_value=100, required=False
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", _("The period ends on or after the day it starts."))
        if start and end and (end - start).days > 366:
            self.add_error("end", _("Look at one year at most."))
        return cleaned
