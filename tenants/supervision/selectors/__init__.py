"""Reads of the supervision app. Other apps call `questionnaire_for` and `answers_validate` from here."""

from tenants.supervision.selectors.questionnaires import answers_validate, questionnaire_for

__all__ = ["answers_validate", "questionnaire_for"]
