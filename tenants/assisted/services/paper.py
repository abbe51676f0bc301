"""Paper forms entered by staff: the only way a staff screen records a rating, always marked channel "paper".

The entering staff member is the actor: `Evaluation.source` is their label, `PaperEntry.entered_by` their
account, and the audit trail has the entry. A repeated submission of the same form (same entry token) is
recognised and stores nothing twice.
"""

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.accounts.actors import Actor
from tenants.accounts.models import User
from tenants.accounts.roles import Perm, has_permission
from tenants.accounts.services import audit_record
from tenants.assisted.models import PaperEntry, PaperScan
from tenants.evaluations.models import Channel, Evaluation, Transaction
from tenants.evaluations.services import EvaluationInput, evaluations_submit
from tenants.organisation.models import Unit, UnitKind

SCAN_MAX_BYTES = 5 * 1024 * 1024
SCAN_TYPES = {b"%PDF-": "application/pdf", b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
SCAN_EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


@dataclass
class PaperEntryInput:
    form_date: date
    level: int
    transaction: str = ""
    item_code: str = ""
    window_code: str = ""
    reason_tags: list[str] = field(default_factory=list)
    comment: str = ""
    evaluator: dict = field(default_factory=dict)  # name, phone, id_type, id_number; empty = anonymous
    entry_token: str = ""  # one per blank form shown; a resubmission with it stores nothing new


@dataclass(frozen=True)
class PaperEntryResult:
    entry: PaperEntry
    created: bool


def scan_content_type(data: bytes) -> str:
    """The scan's type from its first bytes (never from the name or the browser's claim)."""
    if len(data) > SCAN_MAX_BYTES:
        raise ValidationError(
            {"scan": [_("A scan is at most %(mb)d MB.") % {"mb": SCAN_MAX_BYTES // (1024 * 1024)}]}
        )
    for magic, content_type in SCAN_TYPES.items():
        if data.startswith(magic):
            return content_type
    raise ValidationError({"scan": [_("Upload the scan as PDF, PNG or JPEG.")]})


def _new_number(form_date: date) -> str:
    return f"PAPER-{form_date:%Y%m%d}-{secrets.token_hex(4).upper()}"


def paper_evaluation_enter(
    *, actor: Actor, data: PaperEntryInput, scan: bytes | None = None, now: datetime | None = None
) -> PaperEntryResult:
    """Record a filled paper form as a rating (channel paper), with its scan; raises ValidationError naming
    fields (form fields, or "evaluator.<key>" for the identity)."""
    if actor.kind != "user" or not has_permission(actor.role, Perm.ENTER_PAPER_EVALUATIONS):
        raise PermissionDenied(_("Only staff allowed to enter paper forms can do this."))
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    content_type = ""
    if scan:
        try:
            content_type = scan_content_type(scan)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if data.form_date > timezone.localdate(now):
        errors["form_date"] = [_("The date on the form cannot be in the future.")]
    number = (data.transaction or "").strip()
    known = bool(number) and Transaction.objects.filter(number=number).exists()
    window = None
    if not known:
        if not (data.item_code and data.window_code):
            errors["transaction" if number else "item_code"] = [
                _("Unknown transaction number; give the service item and the window to record it.")
                if number
                else _("Give the transaction number, or the service item and the window.")
            ]
        if data.window_code:
            window = (
                Unit.objects.filter(code=data.window_code, kind=UnitKind.WINDOW)
                .select_related("parent")
                .first()
            )
            if window is None:
                errors["window_code"] = [_("Unknown window “%(c)s”.") % {"c": data.window_code}]
    if errors:
        raise ValidationError(errors)
    evaluator = {k: v for k, v in (data.evaluator or {}).items() if v}
    form_noon = timezone.make_aware(datetime.combine(data.form_date, time(12, 0)))
    rating = EvaluationInput(
        transaction=number if known else (number or _new_number(data.form_date)),
        level=data.level,
        channel=Channel.PAPER,
        reason_tags=list(data.reason_tags or []),
        comment=(data.comment or "").strip(),
        evaluator=evaluator or {"anonymous": True},
        rated_at=min(form_noon, now),
        idempotency_key=f"paper:{data.entry_token}" if data.entry_token else None,
    )
    if window is not None:
        rating.item_code = data.item_code
        rating.window_code = window.code
        rating.unit_code = (window.parent or window).code
    with transaction.atomic():
        outcome = evaluations_submit(actor=actor, items=[rating], now=now)[0]
        if outcome.status == "error":
            raise ValidationError(outcome.errors)
        evaluation: Evaluation = outcome.evaluation
        if outcome.status == "duplicate":
            return PaperEntryResult(entry=PaperEntry.objects.get(evaluation=evaluation), created=False)
        entry = PaperEntry.objects.create(
            evaluation=evaluation, form_date=data.form_date, entered_by=User.objects.get(pk=actor.id)
        )
        if scan:
            PaperScan.objects.create(
                entry=entry,
                content_type=content_type,
                size=len(scan),
                sha256=hashlib.sha256(scan).hexdigest(),
                data=scan,
            )
        audit_record(
            actor=actor,
            action="evaluation.paper_enter",
            target=entry,
            data={
                "evaluation": evaluation.pk,
                "transaction": rating.transaction,
                "level": evaluation.level,
                "form_date": data.form_date.isoformat(),
                "scan": content_type or None,
                "supersedes": outcome.supersedes,
            },
        )
    return PaperEntryResult(entry=entry, created=True)


def paper_scan_open(*, actor: Actor, entry: PaperEntry) -> PaperScan | None:
    """The scan of a form (it may show a name and phone): allowed to those who enter forms, audited."""
    if not has_permission(actor.role, Perm.ENTER_PAPER_EVALUATIONS):
        raise PermissionDenied
    scan = PaperScan.objects.filter(entry=entry).first()
    if scan is None:
        return None
    audit_record(actor=actor, action="evaluation.paper_scan_view", target=entry, data={"scan": scan.pk})
    return scan
