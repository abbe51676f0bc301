"""Notifications to people outside the tenant (evaluators, complainants) behind one interface: e-mail
through Django's mail system, SMS through the provider seam (tenants/assisted/sms_providers.py).

`notify_send` records the message and queues its delivery after commit; the Celery task
(tenants/notify/tasks.py) calls `notification_deliver`, which sends at most once: a sent notification is
never sent again, a failure is recorded (attempts, last error) and retried with backoff. The address is
stored encrypted, shown and logged masked, and never travels in a task message (the task takes the id).
"""

import logging
import smtplib
from dataclasses import dataclass
from email.utils import make_msgid

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.mail import EmailMessage
from django.core.mail.utils import DNS_NAME
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.accounts.actors import Actor
from tenants.accounts.services import audit_record
from tenants.assisted.sms_providers import sms_provider
from tenants.notify.models import Notification, NotificationStatus, NotifyChannel
from tenants.privacy.crypto import decrypt, encrypt, keyed_hash
from tenants.privacy.masking import mask_email, mask_phone

logger = logging.getLogger(__name__)

MAX_SUBJECT = 200
MAX_BODY = {NotifyChannel.EMAIL: 20_000, NotifyChannel.SMS: 500}
# Errors a later attempt cannot fix: a refused address, a misconfigured provider.
_PERMANENT = (smtplib.SMTPRecipientsRefused, ImproperlyConfigured)


# --- recipients --------------------------------------------------------------------------------------------
def recipient_normalise(*, channel: str, to: str) -> str:
    """The address as it is sent to: a valid e-mail address, or a mainland mobile as 11 digits.
    Raises ValidationError({"to": …})."""
    if channel == NotifyChannel.EMAIL:
        address = (to or "").strip()
        try:
            validate_email(address)
        except ValidationError as exc:
            raise ValidationError({"to": [_("Enter a valid e-mail address.")]}) from exc
        return address
    if channel == NotifyChannel.SMS:
        # imported here: the SMS rating service imports the intake, which will open cases that notify
        from tenants.assisted.services.sms import phone_normalise

        number = phone_normalise(to)
        if not number:
            raise ValidationError({"to": [_("Enter an 11-digit mobile number.")]})
        return number
    raise ValidationError({"channel": [_("Choose e-mail or SMS.")]})


def recipient_mask(*, channel: str, to: str) -> str:
    return mask_email(to) if channel == NotifyChannel.EMAIL else mask_phone(to)


def recipient_hash(*, channel: str, to: str) -> str:
    """Keyed hash of the address (the same for an SMS number as in tenants/assisted): find a person's
    notifications without decrypting every row."""
    return keyed_hash(to.lower() if channel == NotifyChannel.EMAIL else to)


# --- queue -------------------------------------------------------------------------------------------------
@transaction.atomic
def notify_send(
    *, actor: Actor, channel: str, to: str, subject: str, body: str, reference: str = ""
) -> Notification:
    """Record a message to `to` and queue its delivery (sent after this transaction commits; nothing is sent
    if it rolls back). `reference` names what it is about, e.g. "case:123". Raises ValidationError."""
    address = recipient_normalise(channel=channel, to=to)
    subject = " ".join((subject or "").split())  # one line: it becomes a mail header
    body = (body or "").strip()
    errors: dict[str, list[str]] = {}
    if not subject:
        errors["subject"] = [_("A subject is required.")]
    elif len(subject) > MAX_SUBJECT:
        errors["subject"] = [_("A subject is at most %(n)d characters.") % {"n": MAX_SUBJECT}]
    if not body:
        errors["body"] = [_("The message is empty.")]
    elif len(body) > MAX_BODY[channel]:
        errors["body"] = [_("The message is at most %(n)d characters.") % {"n": MAX_BODY[channel]}]
    if len(reference) > 100:
        errors["reference"] = [_("A reference is at most 100 characters.")]
    if errors:
        raise ValidationError(errors)
    masked = recipient_mask(channel=channel, to=address)
    notification = Notification.objects.create(
        channel=channel,
        recipient=encrypt(address),
        recipient_masked=masked,
        recipient_hash=recipient_hash(channel=channel, to=address),
        subject=subject,
        body=body,
        reference=reference,
        created_by=actor.label[:120],
    )
    audit_record(
        actor=actor,
        action="notify.queue",
        target=notification,
        data={"channel": channel, "recipient": masked, "reference": reference},
    )
    pk = notification.pk
    transaction.on_commit(lambda: _enqueue(pk))
    return notification


def _enqueue(notification_id: int) -> None:
    from tenants.notify.tasks import deliver_notification

    try:
        deliver_notification.delay(notification_id)
    except Exception:  # the broker is down: show it as failed (retry button) rather than queued forever
        logger.exception("could not queue notification %s", notification_id)
        Notification.objects.filter(pk=notification_id, status=NotificationStatus.QUEUED).update(
            status=NotificationStatus.FAILED, last_error=_("The task queue is unavailable; retry later.")
        )


@transaction.atomic
def notification_retry(*, actor: Actor, notification: Notification) -> Notification:
    """Queue a failed notification again (staff, after fixing whatever made it fail)."""
    notification = Notification.objects.select_for_update().get(pk=notification.pk)
    if notification.status != NotificationStatus.FAILED:
        raise ValidationError(_("Only a failed notification can be retried."))
    notification.status = NotificationStatus.QUEUED
    notification.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="notify.retry",
        target=notification,
        data={"attempts": notification.attempts, "reference": notification.reference},
    )
    pk = notification.pk
    transaction.on_commit(lambda: _enqueue(pk))
    return notification


# --- delivery ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Delivery:
    notification: Notification | None
    retry: bool = False  # failed in a way a later attempt may fix


def retry_delay(retries: int) -> int:
    """Seconds before automatic retry number `retries + 1`: doubling from NOTIFY_RETRY_BASE_SECONDS, at most
    half an hour (below the broker's visibility timeout)."""
    return min(settings.NOTIFY_RETRY_BASE_SECONDS * 2**retries, 1800)


def notification_deliver(*, notification_id: int) -> Delivery:
    """Send one notification unless it was sent already (the row is locked while sending, so two workers
    never both send it). Records the attempt either way; never raises for a delivery failure."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.status == NotificationStatus.SENT:
            return Delivery(notification)
        address = decrypt(notification.recipient)
        notification.attempts += 1
        retry = False
        try:
            if notification.channel == NotifyChannel.EMAIL:
                provider_id = _send_email(notification, address)
            else:
                provider_id = _send_sms(notification, address)
        except Exception as exc:
            retry = not isinstance(exc, _PERMANENT)
            notification.status = NotificationStatus.FAILED
            notification.last_error = _scrub(f"{type(exc).__name__}: {exc}", address, notification)[:500]
        else:
            notification.status = NotificationStatus.SENT
            notification.provider_id = provider_id[:200]
            notification.sent_at = timezone.now()
            notification.last_error = ""
        notification.save(update_fields=["attempts", "status", "last_error", "provider_id", "sent_at"])
        audit_record(
            actor=Actor.system("notifications"),
            action=f"notify.{notification.status}",
            target=notification,
            data={"attempt": notification.attempts, "error": notification.last_error[:200]},
        )
    log = logger.info if notification.status == NotificationStatus.SENT else logger.warning
    log(
        "notification %s (%s to %s) %s after %d attempt(s)%s",
        notification.pk,
        notification.channel,
        notification.recipient_masked,
        notification.status,
        notification.attempts,
        f": {notification.last_error}" if notification.last_error else "",
    )
    return Delivery(notification, retry)


def _scrub(text: str, address: str, notification: Notification) -> str:
    """Error texts may quote the address (SMTP refusals do): never store or log it in the clear."""
    for form in {address, address.lower()}:
        text = text.replace(form, notification.recipient_masked)
    return text


def _send_email(notification: Notification, address: str) -> str:
    # The tenant's theme: its e-mail sender name, its name above the text, its footer and contacts below.
    from themes.email import email_body, email_from, email_theme

    theme = email_theme()
    message_id = make_msgid(idstring=f"notify{notification.pk}", domain=DNS_NAME.get_fqdn())
    message = EmailMessage(
        subject=notification.subject,
        body=email_body(theme, notification.body),
        from_email=email_from(theme),
        to=[address],
        headers={"Message-ID": message_id, "Auto-Submitted": "auto-generated"},
    )
    message.send(fail_silently=False)
    return message_id


def _send_sms(notification: Notification, address: str) -> str:
    # SmsSendError (refused, unreachable) is retried; the reference lets the gateway drop a duplicate
    return sms_provider().send(address, notification.body, reference=f"notify-{notification.pk}")
