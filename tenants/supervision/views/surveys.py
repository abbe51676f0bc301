import csv
import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenants.accounts.roles import Perm
from tenants.accounts.views import add_service_errors, permission_required
from tenants.evaluations.models import SCALE_WORDS
from tenants.evaluations.selectors import intake_config
from tenants.supervision.forms import RevealForm, SurveyForm, SurveyQuestionForm
from tenants.supervision.models import Survey, SurveyQuestion, SurveyResponse
from tenants.supervision.selectors.surveys import (
    survey_export_rows,
    survey_public_slug,
    survey_responses_with_contact,
    survey_results,
    surveys_list,
)
from tenants.supervision.services.reveal import survey_contact_reveal
from tenants.supervision.services.surveys import (
    survey_close,
    survey_create,
    survey_publish,
    survey_question_add,
    survey_question_delete,
    survey_question_move,
    survey_question_update,
    survey_update,
)
from tenants.supervision.views.common import can_manage, can_reveal, no_store


def _scale_words() -> tuple[str, ...]:
    return SCALE_WORDS[intake_config().scale]


@permission_required(Perm.VIEW_EVALUATIONS)
def survey_list(request):
    form = SurveyForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not can_manage(request.user):
            raise PermissionDenied
        if form.is_valid():
            try:
                survey = survey_create(actor=request.user.actor, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Survey created. Add its questions."))
                return redirect("supervision-survey", pk=survey.pk)
        status = 400
    return render(
        request,
        "supervision/survey_list.html",
        {"surveys": surveys_list(), "form": form, "can_manage": can_manage(request.user)},
        status=status,
    )


def _public_url(request, survey: Survey) -> str:
    return request.build_absolute_uri(reverse("supervision-survey-public", args=[survey_public_slug(survey)]))


@permission_required(Perm.VIEW_EVALUATIONS)
def survey_detail(request, pk: int):
    """The builder: settings, questions (add, edit, reorder, remove while a draft), publish and close."""
    survey = get_object_or_404(Survey, pk=pk)
    settings_form = SurveyForm(
        request.POST if request.POST.get("form") == "settings" else None,
        initial={
            "title": survey.title,
            "description": survey.description,
            "topic": survey.topic,
            "collect_contact": survey.collect_contact,
            "max_per_minute": survey.max_per_minute,
        },
    )
    question_form = SurveyQuestionForm(request.POST if request.POST.get("form") == "question" else None)
    status = 200
    if request.method == "POST":
        if not can_manage(request.user):
            raise PermissionDenied
        form = settings_form if request.POST.get("form") == "settings" else question_form
        if form.is_valid():
            try:
                if form is settings_form:
                    survey_update(actor=request.user.actor, survey=survey, **form.cleaned_data)
                    messages.success(request, _("Survey settings saved."))
                else:
                    survey_question_add(actor=request.user.actor, survey=survey, **form.cleaned_data)
                    messages.success(request, _("Question added."))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect("supervision-survey", pk=survey.pk)
        status = 400
    return render(
        request,
        "supervision/survey_detail.html",
        {
            "survey": survey,
            "questions": survey.questions.order_by("position", "id"),
            "settings_form": settings_form,
            "question_form": question_form,
            "public_url": _public_url(request, survey) if not survey.is_draft else "",
            "response_count": survey.responses.count(),
            "can_manage": can_manage(request.user),
        },
        status=status,
    )


@permission_required(Perm.RUN_SUPERVISION)
def survey_question_edit(request, pk: int, question_id: int):
    question = get_object_or_404(
        SurveyQuestion.objects.select_related("survey"), pk=question_id, survey_id=pk
    )
    form = SurveyQuestionForm(
        request.POST or None,
        initial={
            "kind": question.kind,
            "text": question.text,
            "help_text": question.help_text,
            "options": "\n".join(question.options),
            "required": question.required,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            survey_question_update(actor=request.user.actor, question=question, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Question saved."))
            return redirect("supervision-survey", pk=pk)
    return render(
        request,
        "supervision/survey_question.html",
        {"survey": question.survey, "question": question, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def _action(request, pk: int, do) -> HttpResponse:
    try:
        do()
    except ValidationError as exc:
        for errors in exc.message_dict.values():
            for error in errors:
                messages.error(request, error)
    return redirect("supervision-survey", pk=pk)


@require_POST
@permission_required(Perm.RUN_SUPERVISION)
def survey_question_move_view(request, pk: int, question_id: int):
    question = get_object_or_404(SurveyQuestion, pk=question_id, survey_id=pk)
    direction = request.POST.get("direction", "")
    return _action(
        request,
        pk,
        lambda: survey_question_move(actor=request.user.actor, question=question, direction=direction),
    )


@require_POST
@permission_required(Perm.RUN_SUPERVISION)
def survey_question_delete_view(request, pk: int, question_id: int):
    question = get_object_or_404(SurveyQuestion, pk=question_id, survey_id=pk)
    return _action(request, pk, lambda: survey_question_delete(actor=request.user.actor, question=question))


@require_POST
@permission_required(Perm.RUN_SUPERVISION)
def survey_publish_view(request, pk: int):
    survey = get_object_or_404(Survey, pk=pk)

    def publish():
        survey_publish(actor=request.user.actor, survey=survey)
        messages.success(request, _("Published. Share the public link."))

    return _action(request, pk, publish)


@require_POST
@permission_required(Perm.RUN_SUPERVISION)
def survey_close_view(request, pk: int):
    survey = get_object_or_404(Survey, pk=pk)

    def close():
        survey_close(actor=request.user.actor, survey=survey)
        messages.success(request, _("Closed. No more answers are accepted."))

    return _action(request, pk, close)


@permission_required(Perm.VIEW_EVALUATIONS)
def survey_results_view(request, pk: int):
    survey = get_object_or_404(Survey, pk=pk)
    total, results = survey_results(survey, scale_words=_scale_words())
    return render(
        request,
        "supervision/survey_results.html",
        {
            "survey": survey,
            "total": total,
            "results": results,
            "contacts": survey_responses_with_contact(survey),
            "can_reveal": can_reveal(request.user),
            "reveal_form": RevealForm(),
        },
    )


@require_POST
@permission_required(Perm.REVEAL_IDENTITY)
def survey_contact_reveal_view(request, pk: int, response_id: int):
    response = get_object_or_404(
        SurveyResponse.objects.select_related("survey"), pk=response_id, survey_id=pk
    )
    form = RevealForm(request.POST)
    revealed = None
    if form.is_valid():
        try:
            revealed = survey_contact_reveal(
                actor=request.user.actor, response=response, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
    page = render(
        request,
        "supervision/survey_contact.html",
        {"survey": response.survey, "response": response, "form": form, "revealed": revealed},
        status=200 if revealed else 400,
    )
    return no_store(page)


def _safe_cell(value):
    """Spreadsheet formula injection: text starting with = + - @ is shown as text, not run."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _filename(survey: Survey, extension: str) -> str:
    return f"survey-{survey.pk}-{timezone.localdate():%Y%m%d}.{extension}"


@permission_required(Perm.VIEW_EVALUATIONS)
def survey_export_csv(request, pk: int):
    survey = get_object_or_404(Survey, pk=pk)

    def lines():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        yield "\ufeff"  # Excel opens UTF-8 CSV correctly only with a BOM
        for row in survey_export_rows(survey):
            writer.writerow([_safe_cell(v) for v in row])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate(0)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(survey, "csv")}"'
    return response


@permission_required(Perm.VIEW_EVALUATIONS)
def survey_export_xlsx(request, pk: int):
    from openpyxl import Workbook

    survey = get_object_or_404(Survey, pk=pk)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Answers"))
    for row in survey_export_rows(survey):
        sheet.append([_safe_cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(survey, "xlsx")}"'
    return response
