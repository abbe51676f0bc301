import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from tenants.accounts.roles import Perm
from tenants.accounts.views import add_service_errors, permission_required
from tenants.supervision.forms import ItemQuestionFormSet, QuestionnaireCreateForm, QuestionnaireSettingsForm
from tenants.supervision.models import Questionnaire
from tenants.supervision.selectors.questionnaires import (
    default_questions,
    questionnaire_results,
    questionnaires_list,
    version_has_answers,
)
from tenants.supervision.services.questionnaires import questionnaire_create, questionnaire_edit
from tenants.supervision.views.common import can_manage


@permission_required(Perm.VIEW_EVALUATIONS)
def questionnaire_list(request):
    """The default questionnaire and the items' own; a new one starts as a copy of the default's questions."""
    form = QuestionnaireCreateForm(request.POST or None)
    if request.method == "POST":
        if not can_manage(request.user):
            raise PermissionDenied
        if form.is_valid():
            try:
                questionnaire = questionnaire_create(
                    actor=request.user.actor,
                    item=form.cleaned_data["item_code"],
                    title=form.cleaned_data["title"],
                    questions=default_questions(),
                )
            except ValidationError as exc:
                add_service_errors(form, exc, {"item": "item_code"})
            else:
                messages.success(request, _("Questionnaire created. Adjust its questions below."))
                return redirect("supervision-questionnaire", pk=questionnaire.pk)
    return render(
        request,
        "supervision/questionnaire_list.html",
        {"questionnaires": questionnaires_list(), "form": form, "can_manage": can_manage(request.user)},
        status=400 if request.method == "POST" else 200,
    )


_QUESTION_ERROR = re.compile(r"^questions\[(\d+)\]\.(\w+)$")


def _rows(formset) -> tuple[list[dict], list]:
    """The questions kept (not removed, not blank), and the form each came from."""
    kept = [
        f
        for f in formset.forms
        if f.cleaned_data
        and not f.cleaned_data.get("remove")
        and (f.cleaned_data.get("key") or f.cleaned_data.get("text"))
    ]
    return [{k: f.cleaned_data.get(k) for k in ("key", "text", "kind", "required")} for f in kept], kept


def _show_errors(exc: ValidationError, settings_form, kept_forms) -> None:
    """Put `questions[i].field` errors on the row they belong to."""
    for key, errors in exc.message_dict.items():
        match = _QUESTION_ERROR.match(key)
        if match and int(match.group(1)) < len(kept_forms):
            kept_forms[int(match.group(1))].add_error(match.group(2), errors)
        else:
            settings_form.add_error(key if key in settings_form.fields else None, errors)


@permission_required(Perm.VIEW_EVALUATIONS)
def questionnaire_detail(request, pk: int):
    """Edit the questions. Once evaluators have answered the current version, saving makes a new version."""
    questionnaire = get_object_or_404(Questionnaire.objects.select_related("item", "current_version"), pk=pk)
    current = questionnaire.current_version
    initial = list(current.questions) if current else []
    settings_form = QuestionnaireSettingsForm(
        request.POST or None,
        initial={"title": questionnaire.title, "active": questionnaire.active},
    )
    formset = ItemQuestionFormSet(request.POST or None, initial=initial, prefix="q")
    status = 200
    if request.method == "POST":
        if not can_manage(request.user):
            raise PermissionDenied
        if settings_form.is_valid() and formset.is_valid():
            questions, kept_forms = _rows(formset)
            try:
                version = questionnaire_edit(
                    actor=request.user.actor,
                    questionnaire=questionnaire,
                    title=settings_form.cleaned_data["title"],
                    active=settings_form.cleaned_data["active"],
                    questions=questions,
                )
            except ValidationError as exc:
                _show_errors(exc, settings_form, kept_forms)
            else:
                messages.success(
                    request, _("Saved. Evaluators now answer version %(n)d.") % {"n": version.number}
                )
                return redirect("supervision-questionnaire", pk=questionnaire.pk)
        status = 400
    versions = questionnaire.versions.order_by("-number")
    answered_total, summaries = questionnaire_results(current) if current else (0, [])
    return render(
        request,
        "supervision/questionnaire_detail.html",
        {
            "questionnaire": questionnaire,
            "current": current,
            "locked": current is not None and version_has_answers(current),
            "settings_form": settings_form,
            "formset": formset,
            "versions": versions,
            "answered_total": answered_total,
            "summaries": summaries,
            "can_manage": can_manage(request.user),
        },
        status=status,
    )
