"""Writes on item questionnaires. A version that evaluations have answered is frozen: an edit makes the next
version, so every stored answer keeps the exact questions it answered."""

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tenants.accounts.actors import Actor
from tenants.accounts.roles import Perm
from tenants.accounts.services import audit_record
from tenants.supervision.models import ItemQuestionKind, Questionnaire, QuestionnaireVersion
from tenants.supervision.selectors.questionnaires import version_has_answers
from tenants.supervision.services.common import require_permission

MAX_QUESTIONS = 20
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def questions_clean(questions) -> list[dict]:
    """Validate a list of {"key", "text", "kind", "required"}; errors are keyed `questions[i].field`."""
    if not isinstance(questions, list) or not questions:
        raise ValidationError({"questions": [_("Add at least one question.")]})
    if len(questions) > MAX_QUESTIONS:
        raise ValidationError({"questions": [_("At most %(n)d questions.") % {"n": MAX_QUESTIONS}]})
    errors: dict[str, list[str]] = {}
    cleaned, seen = [], set()
    for index, raw in enumerate(questions):
        raw = raw if isinstance(raw, dict) else {}
        key = str(raw.get("key") or "").strip()
        text = str(raw.get("text") or "").strip()
        kind = str(raw.get("kind") or "")
        if not _KEY.match(key):
            errors[f"questions[{index}].key"] = [
                _("A key is 1–40 lower-case letters, digits or _, starting with a letter.")
            ]
        elif key in seen:
            errors[f"questions[{index}].key"] = [_("The key “%(key)s” is used twice.") % {"key": key}]
        seen.add(key)
        if not text or len(text) > 200:
            errors[f"questions[{index}].text"] = [_("Write the question (1–200 characters).")]
        if kind not in ItemQuestionKind.values:
            errors[f"questions[{index}].kind"] = [_("Choose the kind of answer.")]
        cleaned.append({"key": key, "text": text, "kind": kind, "required": bool(raw.get("required"))})
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def questionnaire_create(*, actor: Actor, title: str, questions: list[dict], item=None) -> Questionnaire:
    require_permission(actor, Perm.RUN_SUPERVISION)
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise ValidationError({"title": [_("Give the questionnaire a title of 1–200 characters.")]})
    if Questionnaire.objects.filter(item=item).exists():
        message = (
            _("This item already has a questionnaire; edit that one.")
            if item is not None
            else _("The default questionnaire already exists; edit that one.")
        )
        raise ValidationError({"item": [message]})
    cleaned = questions_clean(questions)
    questionnaire = Questionnaire.objects.create(item=item, title=title)
    version = QuestionnaireVersion.objects.create(
        questionnaire=questionnaire, number=1, questions=cleaned, created_by=actor.label[:254]
    )
    questionnaire.current_version = version
    questionnaire.save(update_fields=["current_version", "updated_at"])
    audit_record(
        actor=actor,
        action="questionnaire.create",
        target=questionnaire,
        data={"item": item.code if item is not None else None, "version": 1},
    )
    return questionnaire


@transaction.atomic
def questionnaire_edit(
    *,
    actor: Actor,
    questionnaire: Questionnaire,
    title: str | None = None,
    questions: list[dict] | None = None,
    active: bool | None = None,
) -> QuestionnaireVersion:
    """Change title, activity or questions. New questions replace the current version in place while nobody
    has answered it, else they become the next version. Returns the version now current."""
    require_permission(actor, Perm.RUN_SUPERVISION)
    questionnaire = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    current = questionnaire.current_version
    changes: dict = {}
    if title is not None:
        title = title.strip()
        if not title or len(title) > 200:
            raise ValidationError({"title": [_("Give the questionnaire a title of 1–200 characters.")]})
        if title != questionnaire.title:
            questionnaire.title, changes["title"] = title, title
    if active is not None and active != questionnaire.active:
        questionnaire.active, changes["active"] = active, active
    if questions is not None:
        cleaned = questions_clean(questions)
        if current is None or cleaned != current.questions:
            if current is not None and not version_has_answers(current):
                current.questions = cleaned
                current.save(update_fields=["questions"])
                changes["questions"] = "edited"
            else:
                number = (current.number if current else 0) + 1
                current = QuestionnaireVersion.objects.create(
                    questionnaire=questionnaire,
                    number=number,
                    questions=cleaned,
                    created_by=actor.label[:254],
                )
                questionnaire.current_version = current
                changes["questions"] = "new version"
    questionnaire.save()
    if changes:
        audit_record(
            actor=actor,
            action="questionnaire.edit",
            target=questionnaire,
            data={**changes, "version": current.number if current else None},
        )
    return current
