"""Feedback to the evaluator (件件有反馈) and the evaluator's answer, outside the staff screens.

- `case_feedback_deliver` records the feedback with the core transition (`case_feedback_send`) and, in the
  same transaction, queues it to the evaluator through `tenants.notify.notify_send`: an SMS to the phone of a
  real-name rating (or of a complaint's contact), an e-mail when the contact is an e-mail address. The
  message says the outcome in plain words, never a staff name, and carries a signed link to the status page.
  Anonymous ratings: nothing can be sent; the feedback is recorded and `case_status_link` gives staff a link
  to hand over (on paper, at the window). The delivery itself (channels, notification ids, never an address)
  is appended to the case's hash chain as a "feedback_delivery" event.
- The status page (/s/<token>/, tenants/cases/views_public.py) is reached by a signed token
  (`status_token` / `status_token_check`): it names the case and the tenant's schema, its salt carries the
  schema too (a token of one tenant does not verify on another's host), and it expires after
  CASES_STATUS_LINK_DAYS (default 90) days.
- The evaluator answers "satisfied / not satisfied" on that page (`case_opinion_from_status_page`) or by
  replying to the feedback SMS (`case_opinion_from_sms`, called by tenants/assisted's inbound handling).
  Both record through the core's `case_record_opinion` as the system actor. The core's rule applies: a later,
  different answer replaces the earlier one (both stay in the history); the same answer again records
  nothing new.

The evaluator's phone is decrypted here only, to hand it to notify_send (which stores it encrypted and
logs it masked); it is never logged, returned or put in the case's history.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.accounts.actors import Actor
from tenants.cases.models import Case, CaseState, Opinion, OpinionSource, Outcome
from tenants.cases.services.common import append_event, lock
from tenants.cases.services.transitions import case_feedback_send, case_record_opinion
from tenants.notify.models import Notification, NotifyChannel
from tenants.notify.services import notify_send
from tenants.privacy.crypto import decrypt, keyed_hash
from tenants.privacy.identity import identity_from_row

S = CaseState
STATUS_SALT = "cases.status-link"
MAX_TOKEN_LENGTH = 300
DEFAULT_LINK_DAYS = 90
FEEDBACK_REFERENCE = "case-feedback:"  # + case id: the notification's reference, matched by SMS replies
SMS_LIMIT = 500  # tenants.notify's limit for an SMS body
STATUS_PAGE_ACTOR = "status page"
SMS_REPLY_ACTOR = "sms reply"


# --- the signed status link ------------------------------------------------------------------------------
def status_link_days() -> int:
    return max(int(getattr(settings, "CASES_STATUS_LINK_DAYS", DEFAULT_LINK_DAYS)), 1)


def _salt(schema: str) -> str:
    return f"{STATUS_SALT}:{schema}"


def status_token(*, case: Case) -> str:
    """A signed token for the case's status page in the current tenant (valid CASES_STATUS_LINK_DAYS days
    from now). It carries only the case id and the schema name."""
    schema = connection.schema_name
    return signing.dumps({"c": case.pk, "s": schema}, salt=_salt(schema))


@dataclass(frozen=True)
class StatusTokenCheck:
    """`status`: "ok" | "expired" | "invalid"; `case_id` only when ok."""

    status: str
    case_id: int | None = None


def status_token_check(token: str) -> StatusTokenCheck:
    """Check a status token on the current tenant's host: a token made on another tenant's host, altered,
    or not a status token at all is "invalid"; a genuine one older than the link period is "expired"."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return StatusTokenCheck("invalid")
    schema = connection.schema_name
    try:
        payload = signing.loads(token, salt=_salt(schema), max_age=timedelta(days=status_link_days()))
    except signing.SignatureExpired:
        return StatusTokenCheck("expired")
    except (signing.BadSignature, ValueError, UnicodeDecodeError):
        return StatusTokenCheck("invalid")
    if not isinstance(payload, dict) or payload.get("s") != schema:
        return StatusTokenCheck("invalid")
    case_id = payload.get("c")
    if not isinstance(case_id, int) or isinstance(case_id, bool) or case_id <= 0:
        return StatusTokenCheck("invalid")
    return StatusTokenCheck("ok", case_id)


def tenant_base_url() -> str:
    """The current tenant's address for links sent outside a request: CASES_STATUS_BASE_URL when set (a
    template with "{host}", e.g. "https://{host}"), else https://<primary domain>, or
    http://<domain>:<PORT> for the development *.localhost domains."""
    from tenants.models import Domain

    domain = (
        Domain.objects.filter(tenant__schema_name=connection.schema_name)
        .order_by("-is_primary", "id")
        .values_list("domain", flat=True)
        .first()
    ) or settings.BASE_DOMAIN
    template = getattr(settings, "CASES_STATUS_BASE_URL", "")
    if template:
        return template.format(host=domain).rstrip("/")
    if domain == "localhost" or domain.endswith(".localhost"):
        return f"http://{domain}:{settings.PORT}"
    return f"https://{domain}"


def case_status_link(*, case: Case, base_url: str = "") -> str:
    """The absolute status-page link for the evaluator (a fresh token, valid CASES_STATUS_LINK_DAYS days).
    Staff hand it over when nothing can be sent (anonymous ratings). `base_url` (e.g. from
    request.build_absolute_uri("/")) overrides the tenant's address."""
    path = reverse("cases-status", args=[status_token(case=case)])
    return (base_url.rstrip("/") or tenant_base_url()) + path


# --- the message -------------------------------------------------------------------------------------------
def outcome_plain(case: Case) -> str:
    """The outcome in plain words for the evaluator (no staff names, no internal wording)."""
    return {
        Outcome.FIXED: _("The problem you reported has been put right."),
        Outcome.LEDGER: _("The problem you reported has been put right under a rectification plan."),
        Outcome.EXPLAINED: _("The unit has looked into your rating and explains how the matter stands."),
        Outcome.NOT_ADOPTED: _(
            "The unit has looked into your rating; the problem could not be confirmed, and the reasons are "
            "given below."
        ),
    }.get(case.outcome, _("Your rating has been handled."))


def _sender_name() -> str:
    from tenants.models import Tenant
    from themes.services import theme_for_tenant

    tenant = Tenant.objects.filter(schema_name=connection.schema_name).first()
    return theme_for_tenant(tenant).display_name if tenant else ""


def _valid_until(now: datetime) -> str:
    return timezone.localtime(now + timedelta(days=status_link_days())).date().isoformat()


def sms_text(*, case: Case, text: str, link: str, sender: str) -> str:
    """At most 500 characters: the feedback text is shortened (…) when the rest would not fit."""

    def compose(feedback: str) -> str:
        return _(
            "【%(sender)s】Your rating (case %(number)s): %(outcome)s %(feedback)s "
            "Progress: %(link)s Reply 1 if you are satisfied, 2 if you are not."
        ) % {
            "sender": sender,
            "number": case.number,
            "outcome": outcome_plain(case),
            "feedback": feedback,
            "link": link,
        }

    body = compose(text)
    if len(body) <= SMS_LIMIT:
        return body
    room = SMS_LIMIT - len(compose("")) - 1
    return compose(text[: max(room, 0)].rstrip() + "…") if room > 0 else compose("")[:SMS_LIMIT]


def email_subject(*, case: Case) -> str:
    return _("The result of your rating (case %(number)s)") % {"number": case.number}


def email_text(*, case: Case, text: str, link: str, sender: str, now: datetime) -> str:
    return _(
        "Hello,\n\nThank you for your rating. This is the result of case %(number)s:\n\n%(outcome)s\n\n"
        "%(feedback)s\n\nSee the progress, check the record and tell us whether you are satisfied:\n"
        "%(link)s\n(The link is valid until %(until)s.)\n\n%(sender)s"
    ) % {
        "number": case.number,
        "outcome": outcome_plain(case),
        "feedback": text,
        "link": link,
        "until": _valid_until(now),
        "sender": sender,
    }


# --- where to send -----------------------------------------------------------------------------------------
def _contacts(case: Case) -> tuple[list[tuple[str, str]], str]:
    """([(channel, address)], reason when empty). Addresses are in clear: for notify_send only."""
    from tenants.assisted.services.sms import phone_normalise

    if case.evaluation_id is not None:
        evaluation = case.evaluation
        if evaluation.anonymous:
            return [], "anonymous"
        phone = phone_normalise(identity_from_row(evaluation, "evaluator").phone)
        return ([(NotifyChannel.SMS, phone)], "") if phone else ([], "no_contact")
    # a complaint from a social channel ("social:<id>"): its contact, when it is a mobile or an e-mail address
    match = re.fullmatch(r"social:(\d+)", case.source_ref or "")
    if match is None:
        return [], "no_contact"
    from tenants.assisted.models import SocialComment

    comment = SocialComment.objects.filter(pk=int(match.group(1))).only("contact").first()
    contact = decrypt(comment.contact).strip() if comment is not None else ""
    phone = phone_normalise(contact)
    if phone:
        return [(NotifyChannel.SMS, phone)], ""
    address = parseaddr(contact)[1]
    try:
        validate_email(address)
    except ValidationError:
        return [], "no_contact"
    return [(NotifyChannel.EMAIL, address)], ""


@dataclass
class FeedbackDelivery:
    case: Case
    status_link: str
    notifications: list[Notification] = field(default_factory=list)
    not_sent_reason: str = ""  # "anonymous" | "no_contact" when nothing was queued

    @property
    def channels(self) -> list[str]:
        return [n.channel for n in self.notifications]


@transaction.atomic
def case_feedback_deliver(*, actor: Actor, case: Case, text: str, base_url: str = "") -> FeedbackDelivery:
    """resolved → feedback_sent (through the core's `case_feedback_send`, with its role, scope and state
    checks) and the feedback queued to the evaluator, all in one transaction: SMS to a real-name rating's
    mobile, or SMS / e-mail to a complaint's contact; nothing for an anonymous rating (hand over
    `status_link` instead). Sent after commit by tenants/notify (retried, at most once).

    Returns the case, the status link and the queued notifications. Raises what case_feedback_send raises
    (PermissionDenied, TransitionError, ValidationError)."""
    case = case_feedback_send(actor=actor, case=case, text=text)
    now = timezone.now()
    link = case_status_link(case=case, base_url=base_url)
    contacts, reason = _contacts(case)
    sender = _sender_name()
    notifications = []
    for channel, address in contacts:
        if channel == NotifyChannel.SMS:
            body = sms_text(case=case, text=case.feedback_text, link=link, sender=sender)
        else:
            body = email_text(case=case, text=case.feedback_text, link=link, sender=sender, now=now)
        notifications.append(
            notify_send(
                actor=actor,
                channel=channel,
                to=address,
                subject=email_subject(case=case),
                body=body,
                reference=f"{FEEDBACK_REFERENCE}{case.pk}",
            )
        )
    case = lock(case)
    append_event(
        case,
        actor=actor,
        kind="feedback_delivery",
        data={
            "channels": [n.channel for n in notifications],
            "notifications": [n.pk for n in notifications],
            "not_sent": reason,
        },
        now=now,
    )
    return FeedbackDelivery(case=case, status_link=link, notifications=notifications, not_sent_reason=reason)


# --- the evaluator's answer --------------------------------------------------------------------------------
class OpinionNotOpen(ValidationError):
    """The case is not waiting for the evaluator's opinion (no feedback sent yet, or reopened)."""


@dataclass(frozen=True)
class OpinionResult:
    case: Case
    recorded: bool  # False: the same answer was already recorded (nothing new)
    replaced: str = ""  # the earlier, different answer this one replaced


def opinion_open(case: Case) -> bool:
    """Whether the evaluator may answer now: once the feedback is sent (the core allows feedback_sent and
    closed)."""
    return case.state in (S.FEEDBACK_SENT, S.CLOSED) and case.feedback_at is not None


@transaction.atomic
def _record(*, case: Case, opinion: str, source: str, note: str, actor_label: str) -> OpinionResult:
    case = lock(case)
    if not opinion_open(case):
        raise OpinionNotOpen({"opinion": [_("This case is not waiting for your opinion.")]})
    if opinion not in Opinion.values:
        raise ValidationError({"opinion": [_("Choose satisfied or not satisfied.")]})
    previous = case.evaluator_opinion
    if previous == opinion:
        return OpinionResult(case=case, recorded=False)
    case = case_record_opinion(
        actor=Actor.system(actor_label), case=case, opinion=opinion, source=source, note=note
    )
    return OpinionResult(case=case, recorded=True, replaced=previous)


def case_opinion_from_status_page(*, case: Case, opinion: str, comment: str = "") -> OpinionResult:
    """The evaluator's answer on the status page (as the system actor "status page"). The same answer twice
    records once; a different one replaces the earlier (the core's rule). Raises OpinionNotOpen before the
    feedback is sent, ValidationError for an unknown opinion or a comment over 500 characters."""
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise ValidationError({"comment": [_("At most %(n)d characters.") % {"n": 500}]})
    return _record(
        case=case,
        opinion=opinion,
        source=OpinionSource.STATUS_PAGE,
        note=comment,
        actor_label=STATUS_PAGE_ACTOR,
    )


# SMS replies: "1" / "满意" (satisfied), "2" / "不满意" (not satisfied), optionally after "回复" and followed by
# a separator and a comment. Anything else is not an opinion (the rating-reply handling sees it as before).
_SMS_OPINIONS = {
    "1": Opinion.SATISFIED,
    "满意": Opinion.SATISFIED,
    "2": Opinion.UNSATISFIED,
    "不满意": Opinion.UNSATISFIED,
}
_SMS_SEPARATORS = " \t\r\n,;:./|+、。；：，～~!！"
_SMS_FORM = re.compile(
    r"^(?:(?:回复|回覆|答复)[" + re.escape(_SMS_SEPARATORS) + r"]*)?(1|2|满意|不满意)"
    r"(?:$|[" + re.escape(_SMS_SEPARATORS) + r"]+(?P<rest>.*)$)",
    re.S,
)


def parse_opinion_reply(text: str) -> tuple[str, str] | None:
    """(opinion, comment) for an unambiguous SMS answer to a feedback message, else None."""
    from tenants.assisted.sms_parser import normalise

    body = normalise((text or "")[:1000])
    match = _SMS_FORM.match(body)
    if match is None:
        return None
    return _SMS_OPINIONS[match.group(1)], (match.group("rest") or "").strip()[:500]


@dataclass(frozen=True)
class SmsOpinion:
    case: Case
    opinion: str
    recorded: bool
    reply: str


def case_awaiting_sms_opinion(
    *, phone: str, newer_than: datetime | None = None, now: datetime | None = None
) -> Case | None:
    """The case the newest feedback SMS to this phone was about (matched by the keyed phone hash on the
    notification), when that case still takes an answer: feedback sent or closed (not reopened since), and
    the message is younger than the status link (CASES_STATUS_LINK_DAYS). None otherwise, and when a rating
    invitation was sent to the phone after it (`newer_than`: that is what the phone is answering). Only
    the newest feedback counts, so an answer never lands on an older case by accident."""
    now = now or timezone.now()
    newest = (
        Notification.objects.filter(
            channel=NotifyChannel.SMS,
            recipient_hash=keyed_hash(phone),
            reference__startswith=FEEDBACK_REFERENCE,
        )
        .order_by("-created_at", "-id")
        .values_list("reference", "created_at")
        .first()
    )
    if newest is None:
        return None
    reference, created_at = newest
    if created_at < now - timedelta(days=status_link_days()):
        return None
    if newer_than is not None and created_at < newer_than:
        return None
    case_id = reference.removeprefix(FEEDBACK_REFERENCE)
    if not case_id.isdigit():
        return None
    case = Case.objects.filter(pk=int(case_id)).first()
    return case if case is not None and opinion_open(case) else None


def case_opinion_from_sms(
    *, phone: str, text: str, gateway_message_id: str = "", newer_than: datetime | None = None
) -> SmsOpinion | None:
    """An SMS from `phone` (11 digits) answering a feedback message with 1/满意 or 2/不满意: recorded as the
    opinion (source sms, system actor "sms reply") of the case awaiting it (case_awaiting_sms_opinion).
    None when the text is not such an answer or no case of this phone awaits one: the caller handles the
    message as before. Call inside the caller's transaction."""
    parsed = parse_opinion_reply(text)
    if parsed is None:
        return None
    case = case_awaiting_sms_opinion(phone=phone, newer_than=newer_than)
    if case is None:
        return None
    opinion, comment = parsed
    note = " ".join(
        part for part in (comment, f"(SMS {gateway_message_id})" if gateway_message_id else "") if part
    )
    result = _record(
        case=case, opinion=opinion, source=OpinionSource.SMS, note=note[:4000], actor_label=SMS_REPLY_ACTOR
    )
    word = Opinion(opinion).label
    reply = (
        _("Thank you. Your opinion on case %(number)s (“%(word)s”) is recorded.")
        if result.recorded
        else _("Your opinion on case %(number)s (“%(word)s”) was already recorded. Thank you.")
    ) % {"number": case.number, "word": word}
    return SmsOpinion(case=result.case, opinion=opinion, recorded=result.recorded, reply=reply)
