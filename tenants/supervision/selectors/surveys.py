"""Reads for surveys: the signed public link, results per question, and the rows of an export."""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core import signing
from django.db import connection
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.privacy.crypto import decrypt
from tenants.privacy.masking import mask_name, mask_phone
from tenants.supervision.models import (
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyQuestionKind,
    SurveyResponse,
)

SCALE_LEVELS = (1, 2, 3, 4, 5)
TEXT_SAMPLE = 20


def _signer() -> signing.Signer:
    # The schema is in the salt: a link of one tenant is not even a well-formed link on another's host.
    return signing.Signer(salt=f"supervision.survey:{connection.schema_name}")


def survey_public_slug(survey: Survey) -> str:
    return _signer().sign(survey.public_token)


def survey_by_slug(slug: str) -> Survey | None:
    """The survey of a signed public slug, or None when the signature or the token is wrong."""
    try:
        token = _signer().unsign(slug)
    except signing.BadSignature:
        return None
    return Survey.objects.filter(public_token=token).first()


def surveys_list():
    return Survey.objects.annotate(response_count=Count("responses")).order_by("-created_at", "-id")


@dataclass
class QuestionResult:
    question: SurveyQuestion
    answered: int = 0
    rows: list[tuple[str, int, float]] = field(default_factory=list)  # (answer, count, percent)
    mean: float | None = None
    texts: list[str] = field(default_factory=list)

    @property
    def max_count(self) -> int:
        return max((count for _label, count, _pct in self.rows), default=0)


def survey_results(
    survey: Survey, *, scale_words: tuple[str, ...] | None = None
) -> tuple[int, list[QuestionResult]]:
    """Responses, and per question how many answered and the spread of answers. Counts come from GROUP BY
    queries (three for the whole survey, plus one per free-text question for its latest answers).
    Percentages of a choice are of those who answered the question; a multiple choice may exceed 100% in sum.
    """
    questions = list(survey.questions.order_by("position", "id"))
    total = SurveyResponse.objects.filter(survey=survey).count()
    answers = SurveyAnswer.objects.filter(question__survey=survey)
    answered = dict(
        answers.values("question_id")
        .annotate(n=Count("response_id", distinct=True))
        .values_list("question_id", "n")
    )
    options: dict[int, dict[int, int]] = defaultdict(dict)
    for row in answers.filter(option__isnull=False).values("question_id", "option").annotate(n=Count("id")):
        options[row["question_id"]][row["option"]] = row["n"]
    values: dict[int, dict[int, int]] = defaultdict(dict)
    for row in answers.filter(value__isnull=False).values("question_id", "value").annotate(n=Count("id")):
        values[row["question_id"]][row["value"]] = row["n"]
    results = []
    for question in questions:
        result = QuestionResult(question=question, answered=answered.get(question.pk, 0))
        base = result.answered

        def pct(n: int, base: int = base) -> float:
            return round(100 * n / base, 1) if base else 0.0

        if question.kind in (SurveyQuestionKind.SINGLE, SurveyQuestionKind.MULTIPLE):
            counts = options[question.pk]
            result.rows = [
                (label, counts.get(i, 0), pct(counts.get(i, 0))) for i, label in enumerate(question.options)
            ]
        elif question.kind == SurveyQuestionKind.SCALE:
            counts = values[question.pk]
            words = scale_words or tuple(str(level) for level in SCALE_LEVELS)
            result.rows = [
                (f"{level} · {words[level - 1]}", counts.get(level, 0), pct(counts.get(level, 0)))
                for level in SCALE_LEVELS
            ]
            if base:
                result.mean = round(sum(level * n for level, n in counts.items()) / base, 2)
        else:
            result.texts = list(
                answers.filter(question=question)
                .exclude(text="")
                .order_by("-response__submitted_at", "-id")
                .values_list("text", flat=True)[:TEXT_SAMPLE]
            )
        results.append(result)
    return total, results


def survey_responses_with_contact(survey: Survey, *, limit: int = 200) -> list[dict]:
    """Responses where the respondent left contact details, masked."""
    rows = []
    for response in SurveyResponse.objects.filter(survey=survey, has_contact=True).order_by("-submitted_at")[
        :limit
    ]:
        rows.append(
            {
                "response": response,
                "name": mask_name(decrypt(response.contact_name)),
                "phone": mask_phone(decrypt(response.contact_phone)),
            }
        )
    return rows


def _answer_cell(question: SurveyQuestion, answers: list[SurveyAnswer]) -> str:
    if question.kind == SurveyQuestionKind.TEXT:
        return answers[0].text if answers else ""
    if question.kind == SurveyQuestionKind.SCALE:
        return str(answers[0].value) if answers else ""
    return "; ".join(
        question.options[a.option]
        for a in sorted(answers, key=lambda a: a.option)
        if a.option < len(question.options)
    )


def survey_export_rows(survey: Survey) -> Iterator[list]:
    """Header, then one row per response (contact details masked), streamed in chunks."""
    questions = list(survey.questions.order_by("position", "id"))
    yield [_("Response"), _("Submitted at"), *[q.text for q in questions], _("Contact (masked)")]
    responses = (
        SurveyResponse.objects.filter(survey=survey)
        .order_by("id")
        .prefetch_related("answers")
        .iterator(chunk_size=500)
    )
    for response in responses:
        by_question: dict[int, list[SurveyAnswer]] = defaultdict(list)
        for answer in response.answers.all():
            by_question[answer.question_id].append(answer)
        contact = (
            " ".join(
                filter(
                    None,
                    [mask_name(decrypt(response.contact_name)), mask_phone(decrypt(response.contact_phone))],
                )
            )
            if response.has_contact
            else ""
        )
        yield [
            response.pk,
            timezone.localtime(response.submitted_at).strftime("%Y-%m-%d %H:%M:%S"),
            *[_answer_cell(q, by_question.get(q.pk, [])) for q in questions],
            contact,
        ]
