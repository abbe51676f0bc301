"""Revealing an evaluator's identity: only with the permission, only with a reason, always audited."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tenants.accounts.actors import Actor
from tenants.accounts.roles import Perm, has_permission
from tenants.accounts.services import audit_record
from tenants.privacy.identity import Identity, identity_from_row


@transaction.atomic
def identity_reveal(*, actor: Actor, row, prefix: str, reason: str) -> Identity:
    """The decrypted identity of `row` (an Evaluation or Transaction), after recording who asked and why."""
    if not has_permission(actor.role, Perm.REVEAL_IDENTITY):
        raise PermissionDenied(_("Your role may not see evaluators' identity."))
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationError(
            {"reason": [_("Say why you need to see the identity (at least 4 characters).")]}
        )
    audit_record(
        actor=actor,
        action="identity.reveal",
        target=row,
        reason=reason[:500],
        data={"fields": ["name", "phone", "id_number"], "prefix": prefix},
    )
    return identity_from_row(row, prefix)
