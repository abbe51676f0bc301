"""Social comments (综合点评): entered by hand from suggestion boxes, the hotline or the supervision platform,
or imported from e-mail. A comment with an outside id (Message-ID, ticket number) is stored once."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.accounts.actors import Actor
from tenants.accounts.roles import Perm, has_permission
from tenants.accounts.services import audit_record
from tenants.assisted.mail import NotAMail, mail_parse
from tenants.assisted.models import SocialComment, SocialSource
from tenants.assisted.selectors import objects_named_in
from tenants.catalog.models import ServiceItem
from tenants.organisation.models import Platform, Staff, Unit, UnitKind
from tenants.privacy.crypto import encrypt

MAX_TEXT = 20_000
MAX_SUBJECT = 200
MAX_CONTACT = 254


@dataclass
class SocialCommentInput:
    source_kind: str
    text: str
    subject: str = ""
    received_at: datetime | None = None
    contact: str = ""
    unit_code: str = ""
    window_code: str = ""
    staff_no: str = ""
    item_code: str = ""
    platform_code: str = ""
    external_id: str = ""


def _may_record(actor: Actor) -> bool:
    return actor.kind == "system" or has_permission(actor.role, Perm.RUN_SUPERVISION)


def _lookup(errors: dict, key: str, queryset, value: str):
    if not value:
        return None
    found = queryset.filter(**{"staff_no" if key == "staff_no" else "code": value}).first()
    if found is None:
        errors[key] = [_("Unknown code “%(c)s”.") % {"c": value}]
    return found


def social_comment_record(
    *, actor: Actor, data: SocialCommentInput, now: datetime | None = None
) -> tuple[SocialComment, bool]:
    """Store a comment; returns (comment, created). The same external id from the same source is a no-op."""
    if not _may_record(actor):
        raise PermissionDenied
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    text = (data.text or "").strip()
    if data.source_kind not in SocialSource.values:
        errors["source_kind"] = [_("Choose where the comment came from.")]
    if not text:
        errors["text"] = [_("Write the comment.")]
    elif len(text) > MAX_TEXT:
        errors["text"] = [_("A comment is at most %(n)d characters.") % {"n": MAX_TEXT}]
    if len(data.subject or "") > MAX_SUBJECT:
        errors["subject"] = [_("A subject is at most %(n)d characters.") % {"n": MAX_SUBJECT}]
    if len(data.contact or "") > MAX_CONTACT:
        errors["contact"] = [_("A contact is at most %(n)d characters.") % {"n": MAX_CONTACT}]
    window = _lookup(errors, "window_code", Unit.objects.filter(kind=UnitKind.WINDOW), data.window_code)
    unit = _lookup(errors, "unit_code", Unit.objects.all(), data.unit_code)
    staff = _lookup(errors, "staff_no", Staff.objects.all(), data.staff_no)
    item = _lookup(errors, "item_code", ServiceItem.objects.all(), data.item_code)
    platform = _lookup(errors, "platform_code", Platform.objects.all(), data.platform_code)
    if errors:
        raise ValidationError(errors)
    external_id = (data.external_id or "").strip()[:250] or None
    with transaction.atomic():
        if external_id:
            existing = SocialComment.objects.filter(
                source_kind=data.source_kind, external_id=external_id
            ).first()
            if existing is not None:
                return existing, False
        comment = SocialComment.objects.create(
            source_kind=data.source_kind,
            subject=(data.subject or "").strip(),
            text=text,
            received_at=min(data.received_at or now, now),
            contact=encrypt((data.contact or "").strip()),
            unit=unit,
            window=window,
            staff=staff,
            item=item,
            platform=platform,
            external_id=external_id,
            created_by=actor.label[:254],
        )
        audit_record(
            actor=actor,
            action="social_comment.record",
            target=comment,
            data={"source": data.source_kind, "external_id": external_id},
        )
    return comment, True


@dataclass
class MailImportReport:
    created: int = 0
    duplicates: int = 0
    failed: list[str] = field(default_factory=list)  # what could not be imported, and why


def social_mail_import(
    *, actor: Actor, messages: Iterable[bytes], now: datetime | None = None
) -> MailImportReport:
    """Import e-mails as social comments; each message stands alone (one bad message spoils no other)."""
    if not _may_record(actor):
        raise PermissionDenied
    report = MailImportReport()
    for index, raw in enumerate(messages, start=1):
        try:
            mail = mail_parse(raw)
        except NotAMail:
            report.failed.append(_("Message %(n)d: this is not an e-mail message.") % {"n": index})
            continue
        except Exception as exc:  # a malformed message is reported, never fatal
            report.failed.append(
                _("Message %(n)d: cannot be read (%(e)s).") % {"n": index, "e": type(exc).__name__}
            )
            continue
        text = mail.body.strip() or mail.subject
        named = objects_named_in(f"{mail.subject}\n{mail.body}")
        data = SocialCommentInput(
            source_kind=SocialSource.EMAIL,
            text=text[:MAX_TEXT],
            subject=mail.subject[:MAX_SUBJECT],
            received_at=mail.sent_at,
            contact=mail.sender[:MAX_CONTACT],
            external_id=mail.message_id,
            **named,
        )
        try:
            _comment, created = social_comment_record(actor=actor, data=data, now=now)
        except ValidationError as exc:
            report.failed.append(
                _("Message %(n)d (%(id)s): %(errors)s")
                % {"n": index, "id": mail.message_id, "errors": "; ".join(exc.messages)}
            )
            continue
        if created:
            report.created += 1
        else:
            report.duplicates += 1
    audit_record(
        actor=actor,
        action="social_comment.mail_import",
        data={"created": report.created, "duplicates": report.duplicates, "failed": len(report.failed)},
    )
    return report
