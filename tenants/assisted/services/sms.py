"""SMS ratings: an invitation names the transaction and the phone; the gateway relays the reply, which
becomes a rating with channel "sms" and the phone as the real-name evaluator's phone.

A reply answers the newest invitation of that phone that is still open at the time it was received; a
second valid reply within the validity is a revision (the newest counts), as everywhere else. Every inbound
message is stored once under the gateway's message id: a replayed delivery changes nothing and returns
the first outcome. Replies go back through the provider after commit, except to unknown phones (no
conversation with strangers) and to unsubscribe requests.
"""

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.accounts.actors import Actor
from tenants.accounts.services import audit_record
from tenants.assisted.models import SmsInbound, SmsInvitation, SmsOutcome
from tenants.assisted.selectors import active_tags
from tenants.assisted.sms_parser import SmsParseError, is_opt_out, parse_sms_reply
from tenants.assisted.sms_providers import SmsProvider, sms_provider
from tenants.evaluations.models import BAD_LEVELS, SCALE_WORDS, Channel, Transaction
from tenants.evaluations.selectors import intake_config
from tenants.evaluations.services import EvaluationInput, evaluations_submit
from tenants.privacy.crypto import decrypt, encrypt, keyed_hash

logger = logging.getLogger(__name__)

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
MAX_GATEWAY_ID = 100


def phone_normalise(value: str) -> str:
    """A mainland mobile number as 11 digits ("+86 138-0013-8000" → "13800138000"), or "" when it is none."""
    digits = re.sub(r"[\s\-()]", "", value or "")
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
    return digits if _MOBILE.match(digits) else ""


def _scale_help(words: tuple[str, ...]) -> str:
    return " / ".join(f"{n} {w}" for n, w in enumerate(words, start=1))


def _reasons_help(labels: list[str]) -> str:
    return "；".join(f"{n} {label}" for n, label in enumerate(labels, start=1))


def _format_help(words: tuple[str, ...], labels: list[str]) -> str:
    return _(
        "Reply with one number: %(scale)s. For %(bad)s add the reason numbers after a space, "
        "e.g. “4 2”: %(reasons)s."
    ) % {
        "scale": _scale_help(words),
        "bad": "/".join(str(n) for n in BAD_LEVELS),
        "reasons": _reasons_help(labels),
    }


# --- invitations -------------------------------------------------------------------------------------------
def invitation_text(
    *, sender: str, txn: Transaction, words: tuple[str, ...], labels: list[str], days: int
) -> str:
    return _(
        "%(sender)s: please rate how we handled “%(item)s” (transaction %(number)s). %(help)s "
        "You can reply within %(days)d days; rating is voluntary."
    ) % {
        "sender": sender,
        "item": txn.item.name,
        "number": txn.number,
        "help": _format_help(words, labels),
        "days": days,
    }


def sms_invitation_send(
    *,
    actor: Actor,
    transaction_number: str,
    phone: str = "",
    sender: str,
    provider: SmsProvider | None = None,
    now: datetime | None = None,
) -> SmsInvitation:
    """Invite a phone (default: the applicant's) to rate a transaction by SMS; valid for the tenant's
    supplementary-rating period. The message is sent inside the transaction: if the provider refuses it,
    nothing is recorded (SmsSendError propagates)."""
    now = now or timezone.now()
    txn = Transaction.objects.select_related("item").filter(number=transaction_number).first()
    if txn is None:
        raise ValidationError(
            {"transaction": [_("Unknown transaction “%(n)s”.") % {"n": transaction_number}]}
        )
    number = phone_normalise(phone or decrypt(txn.applicant_phone))
    if not number:
        raise ValidationError(
            {"phone": [_("Give an 11-digit mobile number (the transaction has no applicant mobile).")]}
            if not phone
            else {"phone": [_("Enter an 11-digit mobile number.")]}
        )
    config = intake_config()
    days = max(config.supplementary_days, 1)
    tags = active_tags()
    text = invitation_text(
        sender=sender,
        txn=txn,
        words=SCALE_WORDS[config.scale],
        labels=[label for _c, label in tags],
        days=days,
    )
    with transaction.atomic():
        invitation = SmsInvitation.objects.create(
            transaction=txn,
            phone=encrypt(number),
            phone_hash=keyed_hash(number),
            text=text,
            tag_codes=[code for code, _l in tags],
            sent_at=now,
            expires_at=now + timedelta(days=days),
            created_by=actor.label[:80],
        )
        invitation.provider_message_id = (provider or sms_provider()).send(number, text)[:100]
        invitation.save(update_fields=["provider_message_id"])
        audit_record(
            actor=actor,
            action="sms.invite",
            target=invitation,
            data={"transaction": txn.number, "expires_at": invitation.expires_at.isoformat()},
        )
    return invitation


# --- inbound replies ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class InboundResult:
    inbound: SmsInbound
    duplicate: bool
    reply_sent: bool


def _labels(codes: list[str]) -> list[str]:
    names = dict(active_tags())
    return [names.get(code, code) for code in codes]


def _judge(
    *, actor: Actor, phone: str, text: str, received_at: datetime, gateway_id: str, now: datetime
) -> tuple[str, str, SmsInvitation | None, object]:
    """(outcome, reply, invitation, evaluation) for one message; stores the rating when there is one."""
    config = intake_config()
    words = SCALE_WORDS[config.scale]
    invitations = list(
        SmsInvitation.objects.select_for_update()
        .select_related("transaction")
        .filter(phone_hash=keyed_hash(phone))
        .order_by("-sent_at", "-id")[:20]
    )
    if is_opt_out(text):
        return SmsOutcome.OPT_OUT, "", invitations[0] if invitations else None, None
    # "1/满意" or "2/不满意" answering a case's feedback SMS, sent after any open invitation: the evaluator's
    # opinion of the rectification (tenants/cases/services/feedback.py). Anything else goes on as before.
    from tenants.cases.services.feedback import case_opinion_from_sms

    open_invitation = next((i for i in invitations if i.expires_at >= received_at), None)
    answer = case_opinion_from_sms(
        phone=phone,
        text=text,
        gateway_message_id=gateway_id,
        newer_than=open_invitation.sent_at if open_invitation else None,
    )
    if answer is not None:
        return SmsOutcome.CASE_OPINION, answer.reply, None, None
    if not invitations:
        return SmsOutcome.UNKNOWN_PHONE, _("There is no open rating invitation for this number."), None, None
    invitation = next((i for i in invitations if i.expires_at >= received_at), None)
    if invitation is None:
        return (
            SmsOutcome.EXPIRED,
            _("Sorry, the rating period for transaction %(n)s has ended.")
            % {"n": invitations[0].transaction.number},
            invitations[0],
            None,
        )
    labels = _labels(invitation.tag_codes)
    help_text = _format_help(words, labels)
    try:
        parsed = parse_sms_reply(text, tag_count=len(invitation.tag_codes))
    except SmsParseError as exc:
        lead = (
            _("There is no reason number %(n)s.") % {"n": exc.value}
            if exc.reason == "tag"
            else _("Sorry, we could not read your reply.")
        )
        # One message so a translation can join the sentences its own way (no space in Chinese).
        reply = _("%(problem)s %(how_to_reply)s") % {"problem": lead, "how_to_reply": help_text}
        return SmsOutcome.UNREADABLE, reply, invitation, None
    if parsed.level in BAD_LEVELS and not parsed.tags:
        reply = _(
            "Please tell us why: reply with the level and the reason numbers, e.g. “%(level)d 2”: %(reasons)s."
        ) % {
            "level": parsed.level,
            "reasons": _reasons_help(labels),
        }
        return SmsOutcome.UNREADABLE, reply, invitation, None
    number = invitation.transaction.number
    outcome = evaluations_submit(
        actor=actor,
        items=[
            EvaluationInput(
                transaction=number,
                level=parsed.level,
                channel=Channel.SMS,
                reason_tags=[invitation.tag_codes[n - 1] for n in parsed.tags],
                comment=parsed.comment[: config.comment_max_length],
                evaluator={"phone": phone},
                rated_at=received_at,
                idempotency_key=f"sms:{gateway_id}",
            )
        ],
        now=now,
    )[0]
    if outcome.status == "error":
        errors = outcome.errors or {}
        if "transaction" in errors:
            return (
                SmsOutcome.EXPIRED,
                _("Sorry, the rating period for transaction %(n)s has ended.") % {"n": number},
                invitation,
                None,
            )
        reason = "; ".join(str(m) for messages in errors.values() for m in messages)
        return (
            SmsOutcome.REFUSED,
            _("Sorry, your rating could not be recorded: %(reason)s") % {"reason": reason},
            invitation,
            None,
        )
    evaluation = outcome.evaluation
    word = words[parsed.level - 1]
    if invitation.answered_at is None:
        invitation.answered_at = received_at
        invitation.evaluation = evaluation
        invitation.save(update_fields=["answered_at", "evaluation"])
        reply = _("Thank you. Your rating “%(word)s” for transaction %(n)s is recorded.") % {
            "word": word,
            "n": number,
        }
        return SmsOutcome.ACCEPTED, reply, invitation, evaluation
    invitation.evaluation = evaluation
    invitation.save(update_fields=["evaluation"])
    reply = _("Thank you. Your rating for transaction %(n)s is now “%(word)s”.") % {"word": word, "n": number}
    return SmsOutcome.REVISED, reply, invitation, evaluation


def sms_inbound_receive(
    *,
    actor: Actor,
    phone: str,
    text: str,
    gateway_message_id: str,
    received_at: datetime | None = None,
    provider: SmsProvider | None = None,
    now: datetime | None = None,
) -> InboundResult:
    """Handle one message relayed by the gateway; raises ValidationError only for a malformed relay."""
    now = now or timezone.now()
    gateway_id = (gateway_message_id or "").strip()
    number = phone_normalise(phone)
    errors = {}
    if not gateway_id or len(gateway_id) > MAX_GATEWAY_ID:
        errors["message_id"] = [_("Give the gateway's message id (1–100 characters).")]
    if not number:
        errors["phone"] = [_("Enter an 11-digit mobile number.")]
    if len(text or "") > 1000:
        errors["text"] = [_("A message is at most 1,000 characters.")]
    if errors:
        raise ValidationError(errors)
    earlier = SmsInbound.objects.filter(gateway_message_id=gateway_id).first()
    if earlier is not None:
        return InboundResult(inbound=earlier, duplicate=True, reply_sent=False)
    received = min(received_at or now, now)
    try:
        with transaction.atomic():
            outcome, reply, invitation, evaluation = _judge(
                actor=actor,
                phone=number,
                text=text or "",
                received_at=received,
                gateway_id=gateway_id,
                now=now,
            )
            inbound = SmsInbound.objects.create(
                gateway_message_id=gateway_id,
                phone=encrypt(number),
                phone_hash=keyed_hash(number),
                text=text or "",
                received_at=received,
                outcome=outcome,
                reply=reply,
                invitation=invitation,
                evaluation=evaluation,
            )
            audit_record(
                actor=actor,
                action="sms.inbound",
                target=inbound,
                data={
                    "outcome": outcome,
                    "invitation": invitation.pk if invitation else None,
                    "evaluation": evaluation.pk if evaluation else None,
                },
            )
            send = bool(reply) and outcome != SmsOutcome.UNKNOWN_PHONE
            if send:
                transaction.on_commit(lambda: _send_reply(provider, number, reply))
    except IntegrityError:
        # The same message arrived twice at once; the first one won.
        earlier = SmsInbound.objects.filter(gateway_message_id=gateway_id).first()
        if earlier is None:
            raise
        return InboundResult(inbound=earlier, duplicate=True, reply_sent=False)
    return InboundResult(inbound=inbound, duplicate=False, reply_sent=send)


def _send_reply(provider: SmsProvider | None, phone: str, text: str) -> None:
    try:
        (provider or sms_provider()).send(phone, text)
    except Exception:  # the rating is stored; a lost courtesy reply must not turn into an error
        logger.exception("SMS reply could not be sent")
