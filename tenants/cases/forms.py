"""Forms of the case pages (差评整改): input parsing and labels only; the rules live in tenants.cases.services."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tenants.cases.models import CallbackMethod, CaseState, Opinion, Outcome, SpotCheckResult, Verification
from tenants.cases.services.transitions import OUTCOMES_FOR
from tenants.organisation.models import Unit

YES_NO = [("yes", _("Yes")), ("no", _("No"))]
ANY_YES_NO = [("", pgettext_lazy("cases", "Any")), ("yes", _("Yes")), ("no", _("No"))]
MAX_STEPS = 5  # ledger steps offered on the page (the service allows more through the API)


def yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _note(label, *, required: bool = False, rows: int = 3, max_length: int = 4000, help_text=""):
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
    )


def _unit_by_code(code: str) -> Unit | None:
    code = (code or "").strip()
    if not code:
        return None
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        raise forms.ValidationError(_("No unit has the code “%(code)s”.") % {"code": code})
    return unit


# --- the list --------------------------------------------------------------------------------------------
class CaseFilterForm(forms.Form):
    """GET filters of the case list; every field optional."""

    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("Any state")), *CaseState.choices]
    )
    unit_code = forms.CharField(
        label=_("Unit code"),
        max_length=64,
        required=False,
        help_text=_("The unit and the units under it."),
        widget=forms.TextInput(attrs={"list": "case-unit-codes", "autocomplete": "off"}),
    )
    overdue = forms.ChoiceField(label=pgettext_lazy("cases", "Overdue"), required=False, choices=ANY_YES_NO)
    realname = forms.ChoiceField(label=_("Real-name rating"), required=False, choices=ANY_YES_NO)
    mine = forms.BooleanField(label=_("Only cases assigned to me"), required=False)
    start = forms.DateField(label=_("Opened from"), required=False, widget=DateInput())
    end = forms.DateField(label=_("Opened until"), required=False, widget=DateInput())

    def clean_unit_code(self):
        return _unit_by_code(self.cleaned_data.get("unit_code", ""))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end of the period comes after its start."))
        return data


# --- actions on one case -----------------------------------------------------------------------------------
class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Officer"),
        queryset=None,
        required=False,
        help_text=_("An officer whose unit contains the case's unit."),
    )
    note = _note(_("Note (optional)"), rows=2)

    def __init__(self, *args, officers, self_allowed: bool, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        field.queryset = officers
        field.empty_label = _("Me") if self_allowed else None
        field.required = not self_allowed
        field.label_from_instance = lambda user: f"{user} <{user.email}>" if user.display_name else user.email


class ReassignForm(forms.Form):
    unit_code = forms.CharField(
        label=_("New unit code"),
        max_length=64,
        widget=forms.TextInput(attrs={"list": "case-unit-codes", "autocomplete": "off"}),
    )
    note = _note(_("Why is it moved?"), required=True, rows=2)

    def clean_unit_code(self):
        return _unit_by_code(self.cleaned_data.get("unit_code", ""))


class ContactForm(forms.Form):
    at = forms.DateTimeField(
        label=_("Time of the callback"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    method = forms.ChoiceField(
        label=pgettext_lazy("cases", "Method"),
        choices=CallbackMethod.choices,
        widget=forms.RadioSelect,
        initial="phone",
    )
    reached = forms.ChoiceField(
        label=_("Was the evaluator reached?"), choices=YES_NO, widget=forms.RadioSelect
    )
    summary = _note(_("What was said"))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
        super().__init__(*args, **kwargs)


class VerifyForm(forms.Form):
    verification = forms.ChoiceField(
        label=_("Verification result"), choices=Verification.choices, widget=forms.RadioSelect
    )
    note = _note(
        _("How was it verified?"),
        help_text=_("Required when no callback reached the evaluator (anonymous ratings)."),
    )


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label=pgettext_lazy("cases", "Outcome"), choices=Outcome.choices, widget=forms.RadioSelect
    )
    note = _note(_("What was done, or the explanation given"), required=True)
    deadline = forms.DateField(
        label=_("Ledger deadline"),
        required=False,
        widget=DateInput(),
        help_text=_("Ledger only: the date the rectification is finished by."),
    )

    def __init__(self, *args, verification: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        allowed = OUTCOMES_FOR.get(verification)
        if allowed:
            self.fields["outcome"].choices = [(v, label) for v, label in Outcome.choices if v in allowed]
        for n in range(1, MAX_STEPS + 1):
            self.fields[f"step{n}_title"] = forms.CharField(
                label=_("Step %(n)d") % {"n": n}, max_length=200, required=False
            )
            self.fields[f"step{n}_due"] = forms.DateField(
                label=_("Step %(n)d due") % {"n": n}, required=False, widget=DateInput()
            )

    def steps(self) -> list[tuple[str, object]]:
        """The filled-in ledger steps as (title, due)."""
        data = self.cleaned_data
        return [
            (data.get(f"step{n}_title", ""), data.get(f"step{n}_due"))
            for n in range(1, MAX_STEPS + 1)
            if data.get(f"step{n}_title") or data.get(f"step{n}_due")
        ]

    def step_rows(self):
        return [(self[f"step{n}_title"], self[f"step{n}_due"]) for n in range(1, MAX_STEPS + 1)]

    # The service names errors "milestones[0].title": put them on the step's field.
    def service_field_map(self) -> dict[str, str]:
        mapping = {}
        for n in range(1, MAX_STEPS + 1):
            mapping[f"milestones[{n - 1}].title"] = f"step{n}_title"
            mapping[f"milestones[{n - 1}].due"] = f"step{n}_due"
        return mapping


class MilestoneDoneForm(forms.Form):
    milestone = forms.IntegerField(widget=forms.HiddenInput)
    note = _note(_("Note (optional)"), rows=2)


class LedgerCompleteForm(forms.Form):
    note = _note(_("Summary of the rectification"), required=True)


class ConfirmForm(forms.Form):
    confirm = forms.ChoiceField(
        label=pgettext_lazy("cases", "Decision"),
        choices=[
            ("yes", _("Confirm: the rating is not adopted")),
            ("no", _("Refuse: verify and resolve it again")),
        ],
        widget=forms.RadioSelect,
    )
    note = _note(pgettext_lazy("cases", "Reason"), required=True, rows=2)


class FeedbackForm(forms.Form):
    text = _note(
        _("Feedback to the evaluator"),
        required=True,
        rows=4,
        max_length=2000,
        help_text=_("What was found and what was done, in plain words. No staff names."),
    )


class OpinionForm(forms.Form):
    opinion = forms.ChoiceField(
        label=_("The evaluator's opinion of the rectification"),
        choices=Opinion.choices,
        widget=forms.RadioSelect,
    )
    note = _note(_("Note (optional)"), rows=2)


class CloseForm(forms.Form):
    note = _note(_("Note (optional)"), rows=2)


class ReopenForm(forms.Form):
    note = _note(_("Why is it reopened?"), required=True, rows=2)


class SpotCheckForm(forms.Form):
    result = forms.ChoiceField(label=_("Result"), choices=SpotCheckResult.choices, widget=forms.RadioSelect)
    note = _note(pgettext_lazy("cases", "Note"), rows=2, help_text=_("Required when a problem was found."))


class GuideDefectForm(forms.Form):
    note = _note(
        _("What is wrong in the guide?"),
        required=True,
        max_length=2000,
        help_text=_(
            "Opens a correction task for the item's responsible unit; publishing a corrected guide closes it."
        ),
    )


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you need to see it?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required. Your name, the time and this reason are written to the audit trail."),
    )


# --- spot checks -----------------------------------------------------------------------------------------
class SampleForm(forms.Form):
    start = forms.DateField(label=_("Closed from"), widget=DateInput())
    end = forms.DateField(label=_("Closed until"), widget=DateInput())
    mode = forms.ChoiceField(
        label=_("Draw"),
        choices=[("count", _("A number of cases")), ("percent", _("A percentage of the cases"))],
        widget=forms.RadioSelect,
        initial="count",
    )
    amount = forms.DecimalField(
        label=_("Number or percentage"), min_value=0, max_value=10000, max_digits=7, decimal_places=2
    )
    unit_code = forms.CharField(
        label=_("Unit code (optional)"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"list": "case-unit-codes", "autocomplete": "off"}),
    )
    seed = forms.CharField(
        label=_("Seed (optional)"),
        max_length=32,
        required=False,
        help_text=_("The same seed over the same closed cases draws the same sample. Empty: a random seed."),
    )

    def clean_unit_code(self):
        return _unit_by_code(self.cleaned_data.get("unit_code", ""))

    def clean(self):
        data = super().clean()
        start, end, mode, amount = data.get("start"), data.get("end"), data.get("mode"), data.get("amount")
        if start and end and start > end:
            self.add_error("end", _("The end of the period comes after its start."))
        if amount is not None and mode == "count" and (amount != int(amount) or amount > 500):
            self.add_error("amount", _("Draw a whole number of cases, at most 500."))
        if amount is not None and mode == "percent" and amount > 100:
            self.add_error("amount", _("A percentage is at most 100."))
        return data
