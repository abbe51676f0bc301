"""Revealing a person's identity during supervision work, through the one audited mechanism
(tenants.privacy.services.identity_reveal): an evaluator for a callback, a survey respondent's contact."""

from tenants.accounts.actors import Actor
from tenants.evaluations.models import Evaluation
from tenants.privacy.crypto import decrypt
from tenants.privacy.identity import Identity, identity_from_row
from tenants.privacy.services import identity_reveal
from tenants.supervision.models import SurveyResponse


def evaluator_identity_reveal(*, actor: Actor, evaluation: Evaluation, reason: str, context: str) -> Identity:
    return identity_reveal(
        actor=actor,
        target=evaluation,
        reason=reason,
        context=context,
        identity=lambda: identity_from_row(evaluation, "evaluator"),
    )


def survey_contact_reveal(*, actor: Actor, response: SurveyResponse, reason: str) -> Identity:
    return identity_reveal(
        actor=actor,
        target=response,
        reason=reason,
        context=f"survey {response.survey_id}",
        identity=lambda: Identity(name=decrypt(response.contact_name), phone=decrypt(response.contact_phone)),
    )
