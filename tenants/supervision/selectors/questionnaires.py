"""Reads for the 一事一评 item questionnaire: which version applies to an item, and what answers it accepts."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q
from django.db.models.fields.json import KeyTextTransform
from django.utils.translation import gettext as _

from tenants.evaluations.models import Evaluation
from tenants.supervision.models import ItemQuestionKind, Questionnaire, QuestionnaireVersion

MAX_TEXT_ANSWER = 500
_YES = {"yes", "true", "1", "是"}
_NO = {"no", "false", "0", "否"}


def questionnaire_for(item) -> tuple[QuestionnaireVersion | None, list[dict]]:
    """The version an evaluation of `item` answers: the item's own active questionnaire, else the tenant
    default; `(None, [])` when neither is active. One query; `item` is a ServiceItem, its id, or None."""
    scope = Q(item__isnull=True) if item is None else Q(item=item) | Q(item__isnull=True)
    questionnaire = (
        Questionnaire.objects.filter(scope, active=True, current_version__isnull=False)
        .select_related("current_version")
        .order_by(F("item_id").asc(nulls_last=True))
        .first()
    )
    if questionnaire is None:
        return None, []
    version = questionnaire.current_version
    return version, list(version.questions)


def default_questions() -> list[dict]:
    """The default questionnaire's current questions (active or not): where a new item questionnaire starts."""
    default = Questionnaire.objects.filter(item__isnull=True).select_related("current_version").first()
    if default is None or default.current_version is None:
        return [{"key": "suggestion", "text": "您对改进服务有什么建议", "kind": ItemQuestionKind.TEXT}]
    return list(default.current_version.questions)


def _version(questionnaire_version) -> QuestionnaireVersion:
    if isinstance(questionnaire_version, QuestionnaireVersion):
        return questionnaire_version
    found = QuestionnaireVersion.objects.filter(pk=questionnaire_version).first()
    if found is None:
        raise ValidationError({"questionnaire_version": [_("Unknown questionnaire version.")]})
    return found


def _clean_one(question: dict, value) -> tuple[object | None, str | None]:
    """(cleaned value or None when left blank, error message or None)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    kind = question["kind"]
    if kind == ItemQuestionKind.SCALE:
        if isinstance(value, bool):
            return None, _("Answer with a whole number from 1 (best) to 5 (worst).")
        try:
            number = int(str(value).strip())
        except ValueError:
            return None, _("Answer with a whole number from 1 (best) to 5 (worst).")
        if not 1 <= number <= 5:
            return None, _("Answer with a whole number from 1 (best) to 5 (worst).")
        return number, None
    if kind == ItemQuestionKind.YES_NO:
        if isinstance(value, bool):
            return value, None
        word = str(value).strip().lower()
        if word in _YES:
            return True, None
        if word in _NO:
            return False, None
        return None, _("Answer yes or no.")
    text = str(value).strip()
    if len(text) > MAX_TEXT_ANSWER:
        return None, _("An answer is at most %(n)d characters.") % {"n": MAX_TEXT_ANSWER}
    return text, None


def answers_validate(questionnaire_version, answers) -> dict:
    """Clean `answers` ({question key: value}) against a version (instance or id). Blank answers are dropped,
    since answering is voluntary; unknown keys and bad values raise ValidationError keyed `answers.<key>`."""
    version = _version(questionnaire_version)
    if answers is None:
        answers = {}
    if not isinstance(answers, dict):
        raise ValidationError({"answers": [_("Answers are an object keyed by question.")]})
    questions = {q["key"]: q for q in version.questions}
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    for key, value in answers.items():
        question = questions.get(key)
        if question is None:
            errors[f"answers.{key}"] = [_("This questionnaire has no question “%(key)s”.") % {"key": key}]
            continue
        value, error = _clean_one(question, value)
        if error:
            errors[f"answers.{key}"] = [error]
        elif value is not None:
            cleaned[key] = value
    for key, question in questions.items():
        if question.get("required") and key not in cleaned and f"answers.{key}" not in errors:
            errors[f"answers.{key}"] = [_("This question needs an answer.")]
    if errors:
        raise ValidationError(errors)
    return cleaned


def version_has_answers(version: QuestionnaireVersion) -> bool:
    return Evaluation.objects.filter(questionnaire_version=version.pk).exists()


def questionnaires_list():
    return Questionnaire.objects.select_related("item", "current_version").order_by(
        F("item_id").asc(nulls_first=True), "id"
    )


@dataclass(frozen=True)
class QuestionSummary:
    key: str
    text: str
    kind: str
    answered: int
    rows: list[tuple[str, int, float]]  # (answer, count, percent of those who answered)


def questionnaire_results(version: QuestionnaireVersion) -> tuple[int, list[QuestionSummary]]:
    """Evaluations that answered this version, and per closed question the spread of answers (SQL GROUP BY
    on the JSON key; free-text questions report only how many answered)."""
    base = Evaluation.objects.filter(questionnaire_version=version.pk, is_current=True)
    total = base.count()
    summaries = []
    for question in version.questions:
        key = question["key"]
        grouped = (
            base.filter(answers__has_key=key)
            .annotate(answer=KeyTextTransform(key, "answers"))
            .values("answer")
            .annotate(n=Count("id"))
            .order_by("answer")
        )
        if question["kind"] == ItemQuestionKind.TEXT:
            answered = base.filter(answers__has_key=key).count()
            summaries.append(QuestionSummary(key, question["text"], question["kind"], answered, []))
            continue
        counts = {row["answer"]: row["n"] for row in grouped}
        answered = sum(counts.values())
        if question["kind"] == ItemQuestionKind.SCALE:
            labels = [(str(level), str(level)) for level in range(1, 6)]
        else:
            labels = [("true", _("Yes")), ("false", _("No"))]
        rows = [
            (
                label,
                counts.get(stored, 0),
                round(100 * counts.get(stored, 0) / answered, 1) if answered else 0.0,
            )
            for stored, label in labels
        ]
        summaries.append(QuestionSummary(key, question["text"], question["kind"], answered, rows))
    return total, summaries
