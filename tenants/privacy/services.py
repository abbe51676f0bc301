"""Revealing a person's identity (an evaluator, an applicant, a survey respondent): only with the permission,
only with a stated reason, always audited (who, when, why). The clear text goes to the caller for display
once; it is never stored or logged."""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tenants.accounts.actors import Actor
from tenants.accounts.roles import Perm, has_permission
from tenants.accounts.services import audit_record
from tenants.privacy.identity import Identity

REASON_LENGTH = (4, 500)


@transaction.atomic
def identity_reveal(
    *,
    actor: Actor,
    target,
    reason: str,
    identity: Callable[[], Identity],
    context: str = "",
    perm: str = Perm.REVEAL_IDENTITY,
) -> Identity:
    """Check, record, then decrypt: `identity` is called only after the audit row is written.

    `perm`: the permission required; a caller that has checked a narrower rule itself passes another (the
    officer assigned to a bad-review case reveals its evaluator with cases.handle)."""
    if not has_permission(actor.role, perm):
        raise PermissionDenied(_("Your role may not see identities."))
    reason = (reason or "").strip()
    if not REASON_LENGTH[0] <= len(reason) <= REASON_LENGTH[1]:
        raise ValidationError({"reason": [_("Say why you need to see it (4–500 characters).")]})
    audit_record(
        actor=actor, action="identity.reveal", target=target, reason=reason, data={"context": context[:100]}
    )
    return identity()
