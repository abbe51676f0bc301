"""Writes for the citizen-facing QR channel. Ratings go through `evaluations_submit`, the one way ratings are
stored; what this module adds is the QR-specific part: which transaction a scan rates, and that a one-time
token rates only once.

Like the intake API, a citizen's rating leaves no audit row: the audit trail records what staff and
machines change or reveal, and the rating row itself carries its channel, source and time.
"""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.accounts.actors import Actor
from tenants.channels.models import QrTokenUse
from tenants.channels.selectors import published_item
from tenants.channels.tokens import token_digest
from tenants.evaluations.models import Channel, Evaluation
from tenants.evaluations.services import EvaluationInput, evaluations_submit
from tenants.organisation.models import Unit

NONCE_PATTERN = re.compile(r"^[0-9a-f]{32}$")


class QrTokenAlreadyUsed(Exception):
    """The one-time token has already rated its transaction."""


@dataclass
class CitizenRating:
    """What a citizen gives on the mobile page. Name and phone are voluntary; either makes it real-name."""

    level: int
    reason_tags: list[str] = field(default_factory=list)
    comment: str = ""
    name: str = ""
    phone: str = ""
    comment_public: bool = False  # consent to show the comment (scrubbed) on the public portal

    def evaluator(self) -> dict:
        if self.name.strip() or self.phone.strip():
            return {"anonymous": False, "name": self.name.strip(), "phone": self.phone.strip()}
        return {"anonymous": True}


def _submit_one(*, actor: Actor, data: EvaluationInput, now: datetime | None) -> Evaluation:
    outcome = evaluations_submit(actor=actor, items=[data], now=now)[0]
    if outcome.status == "error":
        raise ValidationError(outcome.errors)
    return outcome.evaluation


def window_qr_transaction_number(*, nonce: str, now: datetime) -> str:
    """A window's static QR has no transaction of its own: each rating becomes one, numbered from the
    form's nonce so that a double-tapped submit names the same transaction."""
    digest = hashlib.sha256(nonce.encode()).hexdigest()[:16].upper()
    return f"QR{timezone.localtime(now):%Y%m%d}{digest}"


def window_rating_submit(
    *,
    actor: Actor,
    window: Unit,
    item_code: str,
    rating: CitizenRating,
    nonce: str,
    now: datetime | None = None,
) -> Evaluation:
    """A rating from a window's poster QR for the service item the citizen picked."""
    if not NONCE_PATTERN.match(nonce or ""):
        raise ValidationError({"nonce": [_("The form has expired. Please reload the page and rate again.")]})
    item = published_item(item_code)
    if item is None:
        raise ValidationError({"item_code": [_("Choose the service you used from the list.")]})
    now = now or timezone.now()
    handling_unit = window.parent or window
    data = EvaluationInput(
        transaction=window_qr_transaction_number(nonce=nonce, now=now),
        level=rating.level,
        channel=Channel.QR,
        reason_tags=list(rating.reason_tags),
        comment=rating.comment,
        comment_public=rating.comment_public,
        evaluator=rating.evaluator(),
        idempotency_key=f"qr-window:{nonce}",
        item_code=item.code,
        unit_code=handling_unit.code,
        window_code=window.code,
    )
    return _submit_one(actor=actor, data=data, now=now)


def transaction_rating_submit(
    *, actor: Actor, token: str, number: str, rating: CitizenRating, now: datetime | None = None
) -> Evaluation:
    """A rating through a one-time transaction QR. The token's use and the rating commit together: if the
    rating is refused, the token stays unused; if the token was used, nothing is stored."""
    digest = token_digest(token)
    with transaction.atomic():
        try:
            with transaction.atomic():
                use = QrTokenUse.objects.create(digest=digest, transaction_number=number)
        except IntegrityError:
            raise QrTokenAlreadyUsed from None
        evaluation = _submit_one(
            actor=actor,
            data=EvaluationInput(
                transaction=number,
                level=rating.level,
                channel=Channel.QR,
                reason_tags=list(rating.reason_tags),
                comment=rating.comment,
                comment_public=rating.comment_public,
                evaluator=rating.evaluator(),
                idempotency_key=f"qr-transaction:{digest}",
            ),
            now=now,
        )
        use.evaluation = evaluation
        use.save(update_fields=["evaluation"])
    return evaluation
