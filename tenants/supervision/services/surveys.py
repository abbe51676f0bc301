"""Writes on supervision surveys: building (draft), publishing, answering (public, anonymous) and closing.

One answer per browser: the public page gives each browser a random token in a cookie and only a hash of
it is stored, unique per survey. A per-survey rate limit lives in the cache (keys carry the tenant). Not
per IP: a service hall puts every visitor behind one NAT address (DOMAIN §11).
"""

import hashlib
import time

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.accounts.actors import Actor
from tenants.accounts.roles import Perm
from tenants.accounts.services import audit_record
from tenants.privacy.identity import identity_from_input
from tenants.supervision.models import (
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyQuestionKind,
    SurveyResponse,
    SurveyStatus,
    SurveyTopic,
)
from tenants.supervision.services.common import require_permission

MAX_QUESTIONS = 50
MAX_OPTIONS = 20
MAX_TEXT_ANSWER = 1000
CHOICE_KINDS = (SurveyQuestionKind.SINGLE, SurveyQuestionKind.MULTIPLE)


class SurveyClosed(Exception):
    """The survey does not take answers (draft or closed)."""


class AlreadyAnswered(Exception):
    """This browser has answered this survey before."""


class RateLimited(Exception):
    """The survey took its most answers for this minute."""


def _survey_fields(*, title: str, description: str, topic: str, max_per_minute: int) -> dict:
    errors = {}
    title = (title or "").strip()
    if not title or len(title) > 200:
        errors["title"] = [_("Give the survey a title of 1–200 characters.")]
    if len(description or "") > 4000:
        errors["description"] = [_("The introduction is at most 4,000 characters.")]
    if topic not in SurveyTopic.values:
        errors["topic"] = [_("Choose a topic.")]
    if not isinstance(max_per_minute, int) or not 1 <= max_per_minute <= 10000:
        errors["max_per_minute"] = [_("Allow 1–10,000 answers per minute.")]
    if errors:
        raise ValidationError(errors)
    return {"title": title, "description": (description or "").strip()}


@transaction.atomic
def survey_create(
    *,
    actor: Actor,
    title: str,
    description: str = "",
    topic: str = SurveyTopic.GENERAL,
    collect_contact: bool = True,
    max_per_minute: int = 120,
) -> Survey:
    require_permission(actor, Perm.RUN_SUPERVISION)
    fields = _survey_fields(title=title, description=description, topic=topic, max_per_minute=max_per_minute)
    survey = Survey.objects.create(
        **fields,
        topic=topic,
        collect_contact=collect_contact,
        max_per_minute=max_per_minute,
        created_by=actor.label[:254],
    )
    audit_record(actor=actor, action="survey.create", target=survey, data={"title": survey.title})
    return survey


@transaction.atomic
def survey_update(
    *,
    actor: Actor,
    survey: Survey,
    title: str,
    description: str,
    topic: str,
    collect_contact: bool,
    max_per_minute: int,
) -> Survey:
    """Wording and settings may change at any time; the questions only while it is a draft."""
    require_permission(actor, Perm.RUN_SUPERVISION)
    fields = _survey_fields(title=title, description=description, topic=topic, max_per_minute=max_per_minute)
    for name, value in {
        **fields,
        "topic": topic,
        "collect_contact": collect_contact,
        "max_per_minute": max_per_minute,
    }.items():
        setattr(survey, name, value)
    survey.save()
    audit_record(actor=actor, action="survey.update", target=survey)
    return survey


def _require_draft(survey: Survey) -> None:
    if survey.status != SurveyStatus.DRAFT:
        raise ValidationError(
            {"survey": [_("Questions can be changed only before the survey is published.")]}
        )


def _question_fields(*, kind: str, text: str, help_text: str, options) -> dict:
    errors = {}
    text = (text or "").strip()
    help_text = (help_text or "").strip()
    if kind not in SurveyQuestionKind.values:
        errors["kind"] = [_("Choose the kind of question.")]
    if not text or len(text) > 300:
        errors["text"] = [_("Write the question (1–300 characters).")]
    if len(help_text) > 300:
        errors["help_text"] = [_("The hint is at most 300 characters.")]
    if isinstance(options, str):
        options = options.splitlines()
    options = [str(o).strip() for o in (options or []) if str(o).strip()]
    if kind in CHOICE_KINDS:
        if len(options) < 2 or len(options) > MAX_OPTIONS:
            errors["options"] = [
                _("A choice question needs 2–%(n)d options, one per line.") % {"n": MAX_OPTIONS}
            ]
        elif any(len(o) > 200 for o in options):
            errors["options"] = [_("An option is at most 200 characters.")]
        elif len(set(options)) != len(options):
            errors["options"] = [_("Each option must be different.")]
    else:
        options = []
    if errors:
        raise ValidationError(errors)
    return {"kind": kind, "text": text, "help_text": help_text, "options": options}


@transaction.atomic
def survey_question_add(
    *,
    actor: Actor,
    survey: Survey,
    kind: str,
    text: str,
    help_text: str = "",
    required: bool = False,
    options=None,
) -> SurveyQuestion:
    require_permission(actor, Perm.RUN_SUPERVISION)
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    _require_draft(survey)
    if survey.questions.count() >= MAX_QUESTIONS:
        raise ValidationError({"survey": [_("A survey has at most %(n)d questions.") % {"n": MAX_QUESTIONS}]})
    fields = _question_fields(kind=kind, text=text, help_text=help_text, options=options)
    last = survey.questions.aggregate(m=Max("position"))["m"]
    question = SurveyQuestion.objects.create(
        survey=survey, position=(last or 0) + 1, required=required, **fields
    )
    audit_record(actor=actor, action="survey.question_add", target=survey, data={"question": question.pk})
    return question


@transaction.atomic
def survey_question_update(
    *,
    actor: Actor,
    question: SurveyQuestion,
    kind: str,
    text: str,
    help_text: str = "",
    required: bool = False,
    options=None,
) -> SurveyQuestion:
    require_permission(actor, Perm.RUN_SUPERVISION)
    _require_draft(Survey.objects.select_for_update().get(pk=question.survey_id))
    for name, value in _question_fields(kind=kind, text=text, help_text=help_text, options=options).items():
        setattr(question, name, value)
    question.required = required
    question.save()
    audit_record(
        actor=actor, action="survey.question_update", target=question.survey, data={"question": question.pk}
    )
    return question


@transaction.atomic
def survey_question_delete(*, actor: Actor, question: SurveyQuestion) -> None:
    require_permission(actor, Perm.RUN_SUPERVISION)
    survey = Survey.objects.select_for_update().get(pk=question.survey_id)
    _require_draft(survey)
    question_id = question.pk
    question.delete()
    audit_record(actor=actor, action="survey.question_delete", target=survey, data={"question": question_id})


@transaction.atomic
def survey_question_move(*, actor: Actor, question: SurveyQuestion, direction: str) -> None:
    """Swap the question with its neighbour above ("up") or below ("down")."""
    require_permission(actor, Perm.RUN_SUPERVISION)
    survey = Survey.objects.select_for_update().get(pk=question.survey_id)
    _require_draft(survey)
    if direction not in ("up", "down"):
        raise ValidationError({"direction": [_("Move a question up or down.")]})
    ordered = list(survey.questions.order_by("position", "id"))
    index = next(i for i, q in enumerate(ordered) if q.pk == question.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(ordered):
        return
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, q in enumerate(ordered, start=1):
        q.position = position
    SurveyQuestion.objects.bulk_update(ordered, ["position"])
    audit_record(
        actor=actor,
        action="survey.question_move",
        target=survey,
        data={"question": question.pk, "direction": direction},
    )


@transaction.atomic
def survey_publish(*, actor: Actor, survey: Survey) -> Survey:
    """Open the public link; the questions are fixed from now on. The caller's instance is updated too."""
    require_permission(actor, Perm.RUN_SUPERVISION)
    locked = Survey.objects.select_for_update().get(pk=survey.pk)
    _require_draft(locked)
    if not locked.questions.exists():
        raise ValidationError({"survey": [_("Add at least one question before publishing.")]})
    locked.status, locked.opened_at = SurveyStatus.OPEN, timezone.now()
    locked.save(update_fields=["status", "opened_at"])
    survey.status, survey.opened_at = locked.status, locked.opened_at
    audit_record(actor=actor, action="survey.publish", target=locked)
    return locked


@transaction.atomic
def survey_close(*, actor: Actor, survey: Survey) -> Survey:
    """Stop taking answers; the results stay. The caller's instance is updated too."""
    require_permission(actor, Perm.RUN_SUPERVISION)
    locked = Survey.objects.select_for_update().get(pk=survey.pk)
    if locked.status != SurveyStatus.OPEN:
        raise ValidationError({"survey": [_("Only an open survey can be closed.")]})
    locked.status, locked.closed_at = SurveyStatus.CLOSED, timezone.now()
    locked.save(update_fields=["status", "closed_at"])
    survey.status, survey.closed_at = locked.status, locked.closed_at
    audit_record(actor=actor, action="survey.close", target=locked)
    return locked


# --- answering ---------------------------------------------------------------------------------------
def respondent_hash(survey: Survey, token: str) -> str:
    return hashlib.sha256(f"{survey.pk}:{token}".encode()).hexdigest()


def _rate_key(survey: Survey, minute: int) -> str:
    return f"supervision:survey-rate:{survey.pk}:{minute}"


def _take_rate_slot(survey: Survey) -> None:
    minute = int(time.time() // 60)
    key = _rate_key(survey, minute)
    cache.add(key, 0, timeout=120)
    if cache.incr(key) > survey.max_per_minute:
        raise RateLimited


def _clean_answer(question: SurveyQuestion, values: list[str]) -> tuple[list[dict], str | None]:
    """Raw form values → answer rows (without response), or an error message."""
    values = [v.strip() for v in values if v is not None and str(v).strip()]
    if not values:
        return [], (_("This question needs an answer.") if question.required else None)
    if question.kind == SurveyQuestionKind.TEXT:
        text = values[0]
        if len(text) > MAX_TEXT_ANSWER:
            return [], _("An answer is at most %(n)d characters.") % {"n": MAX_TEXT_ANSWER}
        return [{"text": text}], None
    try:
        numbers = sorted({int(v) for v in values})
    except ValueError:
        return [], _("Choose one of the offered answers.")
    if question.kind == SurveyQuestionKind.SCALE:
        if len(numbers) != 1 or not 1 <= numbers[0] <= 5:
            return [], _("Choose one level from 1 to 5.")
        return [{"value": numbers[0]}], None
    if any(not 0 <= n < len(question.options) for n in numbers):
        return [], _("Choose one of the offered answers.")
    if question.kind == SurveyQuestionKind.SINGLE and len(numbers) != 1:
        return [], _("Choose exactly one answer.")
    return [{"option": n} for n in numbers], None


def survey_answers_clean(
    *, questions: list[SurveyQuestion], raw: dict[int, list[str]], contact: dict | None, collect_contact: bool
) -> tuple[list[dict], dict]:
    """Validate a submission. `raw` maps question id to the submitted values; errors are keyed `q<id>` and
    `contact.<field>`. Returns (answer rows, encrypted contact)."""
    errors: dict[str, list[str]] = {}
    rows: list[dict] = []
    for question in questions:
        answers, error = _clean_answer(question, raw.get(question.pk, []))
        if error:
            errors[f"q{question.pk}"] = [error]
        rows += [{"question": question, **a} for a in answers]
    encrypted: dict = {}
    contact = {k: v for k, v in (contact or {}).items() if k in ("name", "phone") and v and str(v).strip()}
    if contact and collect_contact:
        try:
            identity = identity_from_input(contact, field="contact")
        except ValidationError as exc:
            errors.update(exc.message_dict)
        else:
            encrypted = identity.encrypted()
    if errors:
        raise ValidationError(errors)
    return rows, encrypted


def survey_response_submit(
    *, survey: Survey, respondent_token: str, raw: dict[int, list[str]], contact: dict | None = None
) -> SurveyResponse:
    """Store one anonymous response. No audit row: like a rating, the response is its own record, and the
    respondent is nobody we know. Raises SurveyClosed, AlreadyAnswered, RateLimited or ValidationError."""
    if survey.status != SurveyStatus.OPEN:
        raise SurveyClosed
    if not respondent_token or len(respondent_token) > 100:
        raise ValidationError({"respondent": [_("Your browser must accept cookies to answer.")]})
    digest = respondent_hash(survey, respondent_token)
    if SurveyResponse.objects.filter(survey=survey, respondent_hash=digest).exists():
        raise AlreadyAnswered
    questions = list(survey.questions.order_by("position", "id"))
    rows, encrypted = survey_answers_clean(
        questions=questions, raw=raw, contact=contact, collect_contact=survey.collect_contact
    )
    if not rows and not encrypted:
        raise ValidationError({"survey": [_("Answer at least one question.")]})
    _take_rate_slot(survey)
    try:
        with transaction.atomic():
            # Re-check under the row lock: the survey may have closed since the page was read.
            locked = Survey.objects.select_for_update().only("status").get(pk=survey.pk)
            if locked.status != SurveyStatus.OPEN:
                raise SurveyClosed
            response = SurveyResponse.objects.create(
                survey=survey,
                respondent_hash=digest,
                has_contact=bool(encrypted),
                contact_name=encrypted.get("name", ""),
                contact_phone=encrypted.get("phone", ""),
            )
            SurveyAnswer.objects.bulk_create(
                [
                    SurveyAnswer(
                        response=response,
                        question=row["question"],
                        option=row.get("option"),
                        value=row.get("value"),
                        text=row.get("text", ""),
                    )
                    for row in rows
                ]
            )
    except IntegrityError as exc:  # the same browser, twice at once
        raise AlreadyAnswered from exc
    return response
