"""Evaluation intake: registering transactions (办件) and accepting five-level ratings from every channel.

A rating is accepted only when its row is committed. A second rating of the same transaction and stage is
a revision: it supersedes the first (`is_current`), both are kept, and only the current one counts.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.accounts.actors import Actor
from tenants.catalog.models import PromiseType, ServiceItem
from tenants.evaluations.models import BAD_LEVELS, ApplicantType, Channel, Evaluation, Stage, Transaction
from tenants.evaluations.selectors import IntakeConfig, intake_config
from tenants.organisation.models import Device, Platform, Staff, Unit, UnitKind
from tenants.privacy.identity import Identity, identity_from_input
from tenants.workcalendar.services import add_working_days

MAX_ANSWERS = 30
MAX_ANSWER_LENGTH = 500


@dataclass
class TransactionInput:
    number: str
    item_code: str
    unit_code: str
    channel: str
    window_code: str = ""
    platform_code: str = ""
    staff_no: str = ""
    applicant_type: str = ApplicantType.PERSON
    applicant: dict = field(default_factory=dict)
    received_at: datetime | None = None
    finished_at: datetime | None = None
    status: str = "received"
    promise_type: str = ""


@dataclass
class EvaluationInput:
    transaction: str
    level: int
    channel: str
    stage: str = Stage.FINISHED
    reason_tags: list[str] = field(default_factory=list)
    comment: str = ""
    answers: dict = field(default_factory=dict)
    evaluator: dict = field(default_factory=lambda: {"anonymous": True})
    rated_at: datetime | None = None
    idempotency_key: str | None = None
    # inline transaction fields, when the window system has not registered the transaction
    item_code: str = ""
    unit_code: str = ""
    window_code: str = ""
    staff_no: str = ""
    platform_code: str = ""


@dataclass(frozen=True)
class EvaluationResult:
    evaluation: Evaluation
    supersedes: int | None
    created: bool = True


def _err(field_name: str, message: str) -> ValidationError:
    return ValidationError({field_name: [message]})


# --- transactions ------------------------------------------------------------------------------------
def _resolve(model, field_name: str, value: str, label: str, **extra):
    if not value:
        return None
    found = model.objects.filter(**{field_name: value}, **extra).first()
    if found is None:
        raise _err(label, _("Unknown %(what)s “%(value)s”.") % {"what": label.replace("_", " "), "value": value})
    return found


def transaction_register(*, actor: Actor, data: TransactionInput) -> Transaction:
    """Create a transaction; its deadline is counted in working days from the day after receipt."""
    if data.channel not in Channel.values:
        raise _err("channel", _("Unknown channel “%(c)s”.") % {"c": data.channel})
    if Transaction.objects.filter(number=data.number).exists():
        raise _err("number", _("Transaction “%(n)s” is already registered.") % {"n": data.number})
    item: ServiceItem = _resolve(ServiceItem, "code", data.item_code, "item_code")
    if item is None:
        raise _err("item_code", _("Name the service item (item_code)."))
    unit = _resolve(Unit, "code", data.unit_code, "unit_code")
    if unit is None:
        raise _err("unit_code", _("Name the handling unit (unit_code)."))
    window = _resolve(Unit, "code", data.window_code, "window_code", kind=UnitKind.WINDOW)
    platform = _resolve(Platform, "code", data.platform_code, "platform_code")
    staff = _resolve(Staff, "staff_no", data.staff_no, "staff_no")
    applicant = identity_from_input(data.applicant or {}, field="applicant")
    guide = item.current_guide
    promise = data.promise_type or (guide.promise_type if guide else PromiseType.PROMISED)
    deadline = None
    if data.received_at and guide:
        received = timezone.localtime(data.received_at).date()
        deadline = received if promise == PromiseType.IMMEDIATE else add_working_days(received, guide.time_limit_days)
    encrypted = applicant.encrypted()
    return Transaction.objects.create(
        number=data.number, item=item, guide_version=guide, unit=unit, window=window, platform=platform,
        staff=staff, channel=data.channel, applicant_type=data.applicant_type,
        applicant_name=encrypted["name"], applicant_phone=encrypted["phone"],
        applicant_id_type=encrypted["id_type"], applicant_id_number=encrypted["id_number"],
        status=data.status, promise_type=promise, received_at=data.received_at, finished_at=data.finished_at,
        deadline=deadline,
    )


# --- evaluations -------------------------------------------------------------------------------------
def _validate(data: EvaluationInput, config: IntakeConfig) -> Identity | None:
    errors: dict[str, list[str]] = {}
    if data.channel not in Channel.values:
        errors["channel"] = [_("Unknown channel “%(c)s”; use one of %(all)s.") % {
            "c": data.channel, "all": ", ".join(Channel.values)}]
    if not isinstance(data.level, int) or isinstance(data.level, bool) or not 1 <= data.level <= 5:
        errors["level"] = [_("Level is 1 (best) to 5 (worst).")]
    if data.stage not in Stage.values:
        errors["stage"] = [_("Stage is one of %(all)s.") % {"all": ", ".join(Stage.values)}]
    tags = list(dict.fromkeys(data.reason_tags or []))
    unknown = [t for t in tags if t not in config.tag_codes]
    if unknown:
        errors["reason_tags"] = [_("Unknown reason tags: %(tags)s.") % {"tags": ", ".join(unknown)}]
    elif data.level in BAD_LEVELS and not tags:
        errors["reason_tags"] = [_("A bad review (level 4 or 5) needs at least one reason tag.")]
    if len(data.comment or "") > config.comment_max_length:
        errors["comment"] = [_("A comment is at most %(n)d characters.") % {"n": config.comment_max_length}]
    if not isinstance(data.answers, dict) or len(data.answers) > MAX_ANSWERS or any(
        not isinstance(v, (str, int, bool)) or len(str(v)) > MAX_ANSWER_LENGTH for v in data.answers.values()
    ):
        errors["answers"] = [_("Answers are at most %(n)d short values keyed by question.") % {"n": MAX_ANSWERS}]
    evaluator = data.evaluator if isinstance(data.evaluator, dict) else None
    if evaluator is None:
        errors["evaluator"] = [_("Give {\"anonymous\": true} or the evaluator's name, phone and ID.")]
    identity = None
    if evaluator is not None and not evaluator.get("anonymous"):
        try:
            identity = identity_from_input(evaluator, field="evaluator")
        except ValidationError as exc:
            errors.update(exc.message_dict)
        if identity is not None and identity.is_empty:
            errors["evaluator"] = [_("A real-name rating needs a name, phone or ID number; else send anonymous.")]
    if errors:
        raise ValidationError(errors)
    data.reason_tags = tags
    return identity


def _transaction_for(*, actor: Actor, data: EvaluationInput, device: Device | None) -> Transaction:
    found = Transaction.objects.filter(number=data.transaction).first()
    if found is not None:
        return found
    if not (data.item_code and (data.unit_code or device)):
        raise _err("transaction", _("Transaction “%(n)s” is not registered; send item_code and unit_code with "
                                    "the rating to register it.") % {"n": data.transaction})
    window_code = data.window_code or (device.window.code if device else "")
    unit_code = data.unit_code or (device.window.parent.code if device and device.window.parent else window_code)
    try:
        with transaction.atomic():
            return transaction_register(actor=actor, data=TransactionInput(
                number=data.transaction, item_code=data.item_code, unit_code=unit_code, channel=data.channel,
                window_code=window_code, platform_code=data.platform_code, staff_no=data.staff_no,
                finished_at=data.rated_at or timezone.now(), status="finished",
            ))
    except IntegrityError:
        # registered concurrently by another rating of the same transaction
        return Transaction.objects.get(number=data.transaction)


def _is_supplementary(txn: Transaction, rated_at: datetime, config: IntakeConfig) -> bool:
    """A rating after the day the transaction finished is supplementary (补充评价), allowed within the window."""
    if txn.finished_at is None:
        return False
    finished = timezone.localtime(txn.finished_at)
    if timezone.localtime(rated_at).date() <= finished.date():
        return False
    if rated_at > txn.finished_at + timedelta(days=config.supplementary_days):
        raise _err("transaction", _("The rating period for this transaction ended %(days)d days after it "
                                    "finished.") % {"days": config.supplementary_days})
    return True


@transaction.atomic
def evaluation_submit(*, actor: Actor, data: EvaluationInput, device: Device | None = None,
                      now: datetime | None = None) -> EvaluationResult:
    """Accept one rating. Committed when this returns (the caller's transaction permitting)."""
    config = intake_config()
    identity = _validate(data, config)
    now = now or timezone.now()
    rated_at = min(data.rated_at or now, now)  # a device clock ahead of ours cannot rate in the future
    txn = _transaction_for(actor=actor, data=data, device=device)
    supplementary = _is_supplementary(txn, rated_at, config)
    # Lock the transaction row: concurrent ratings of it are serialised, revisions never collide.
    previous = (Evaluation.objects.select_for_update().filter(transaction=txn, stage=data.stage, is_current=True)
                .only("id", "revision").first())
    if previous is not None:
        Evaluation.objects.filter(pk=previous.pk).update(is_current=False)
    encrypted = identity.encrypted() if identity else {}
    evaluation = Evaluation.objects.create(
        transaction=txn, stage=data.stage, revision=previous.revision + 1 if previous else 1, channel=data.channel,
        level=data.level, is_bad=data.level in BAD_LEVELS, reason_tags=data.reason_tags, comment=data.comment or "",
        answers=data.answers or {}, guide_version_id=txn.guide_version_id, anonymous=identity is None,
        evaluator_type=(data.evaluator or {}).get("type") or ApplicantType.PERSON,
        evaluator_name=encrypted.get("name", ""), evaluator_phone=encrypted.get("phone", ""),
        evaluator_id_type=encrypted.get("id_type", ""), evaluator_id_number=encrypted.get("id_number", ""),
        evaluator_hash=encrypted.get("hash", ""), is_supplementary=supplementary, device=device,
        source=actor.label[:80], idempotency_key=data.idempotency_key, rated_at=rated_at,
    )
    return EvaluationResult(evaluation=evaluation, supersedes=previous.pk if previous else None)
