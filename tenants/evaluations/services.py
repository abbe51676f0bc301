"""Evaluation intake: registering transactions (办件) and accepting five-level ratings from every channel.

A rating is accepted only when its row is committed. A second rating of the same transaction and stage is
a revision: it supersedes the first (`is_current`), both are kept, and only the current one counts.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.accounts.actors import Actor
from tenants.accounts.services import audit_record
from tenants.catalog.models import PromiseType, ServiceItem
from tenants.evaluations.models import BAD_LEVELS, ApplicantType, Channel, Evaluation, Stage, Transaction
from tenants.evaluations.selectors import IntakeConfig, intake_config
from tenants.organisation.models import Device, Platform, Staff, Unit, UnitKind
from tenants.privacy.identity import Identity, identity_from_input
from tenants.supervision.models import QuestionnaireVersion
from tenants.supervision.selectors import answers_validate, questionnaire_for
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
    # the 一事一评 questionnaire version the client showed (GET /api/v1/questionnaire); None: the item's current one
    questionnaire_version: int | None = None
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
        raise _err(
            label, _("Unknown %(what)s “%(value)s”.") % {"what": label.replace("_", " "), "value": value}
        )
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
        deadline = (
            received
            if promise == PromiseType.IMMEDIATE
            else add_working_days(received, guide.time_limit_days)
        )
    encrypted = applicant.encrypted()
    return Transaction.objects.create(
        number=data.number,
        item=item,
        guide_version=guide,
        unit=unit,
        window=window,
        platform=platform,
        staff=staff,
        channel=data.channel,
        applicant_type=data.applicant_type,
        applicant_name=encrypted["name"],
        applicant_phone=encrypted["phone"],
        applicant_id_type=encrypted["id_type"],
        applicant_id_number=encrypted["id_number"],
        status=data.status,
        promise_type=promise,
        received_at=data.received_at,
        finished_at=data.finished_at,
        deadline=deadline,
    )


def transactions_register(*, actor: Actor, items: list[TransactionInput]) -> list[tuple[str, object]]:
    """Back-fill: each item → ("created", Transaction) / ("duplicate", Transaction) / ("error", errors)."""
    outcomes: list[tuple[str, object]] = []
    for data in items:
        existing = Transaction.objects.filter(number=data.number).first()
        if existing is not None:
            outcomes.append(("duplicate", existing))
            continue
        try:
            with transaction.atomic():
                outcomes.append(("created", transaction_register(actor=actor, data=data)))
        except ValidationError as exc:
            outcomes.append(("error", exc.message_dict))
    return outcomes


# --- evaluations -------------------------------------------------------------------------------------
def _validate(data: EvaluationInput, config: IntakeConfig) -> Identity | None:
    errors: dict[str, list[str]] = {}
    if data.channel not in Channel.values:
        errors["channel"] = [
            _("Unknown channel “%(c)s”; use one of %(all)s.")
            % {"c": data.channel, "all": ", ".join(Channel.values)}
        ]
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
    if (
        not isinstance(data.answers, dict)
        or len(data.answers) > MAX_ANSWERS
        or any(
            not isinstance(v, (str, int, bool)) or len(str(v)) > MAX_ANSWER_LENGTH
            for v in data.answers.values()
        )
    ):
        errors["answers"] = [
            _("Answers are at most %(n)d short values keyed by question.") % {"n": MAX_ANSWERS}
        ]
    evaluator = data.evaluator if isinstance(data.evaluator, dict) else None
    if evaluator is None:
        errors["evaluator"] = [_('Give {"anonymous": true} or the evaluator\'s name, phone and ID.')]
    identity = None
    if evaluator is not None and not evaluator.get("anonymous"):
        try:
            identity = identity_from_input(evaluator, field="evaluator")
        except ValidationError as exc:
            errors.update(exc.message_dict)
        if identity is not None and identity.is_empty:
            errors["evaluator"] = [
                _("A real-name rating needs a name, phone or ID number; else send anonymous.")
            ]
    if errors:
        raise ValidationError(errors)
    data.reason_tags = tags
    return identity


@dataclass
class _Pending:
    """One item of a batch on its way in."""

    index: int
    data: EvaluationInput
    identity: Identity | None = None
    txn: Transaction | None = None
    rated_at: datetime | None = None
    supplementary: bool = False
    questionnaire_version: int | None = None


@dataclass(frozen=True)
class ItemOutcome:
    """created / duplicate (of `evaluation`) / error (with `errors` keyed by field)."""

    status: str
    evaluation: Evaluation | None = None
    supersedes: int | None = None
    errors: dict | None = None


def _missing_transactions(
    *,
    actor: Actor,
    pending: list[_Pending],
    device: Device | None,
    outcomes: dict[int, ItemOutcome],
    now: datetime,
) -> None:
    """Register the transactions that ratings name inline (as window systems send them), set-based."""
    new = {p.data.transaction: p for p in pending if p.txn is None}
    if not new:
        return
    codes = lambda attr: {getattr(p.data, attr) for p in new.values() if getattr(p.data, attr)}  # noqa: E731
    items = {
        i.code: i
        for i in ServiceItem.objects.filter(code__in=codes("item_code")).select_related("current_guide")
    }
    unit_codes = codes("unit_code") | codes("window_code")
    units = {u.code: u for u in Unit.objects.filter(code__in=unit_codes)}
    staff = {s.staff_no: s for s in Staff.objects.filter(staff_no__in=codes("staff_no"))}
    platforms = {p.code: p for p in Platform.objects.filter(code__in=codes("platform_code"))}
    rows = []
    for number, first in new.items():
        d = first.data
        window = units.get(d.window_code) if d.window_code else (device.window if device else None)
        unit = (
            units.get(d.unit_code)
            if d.unit_code
            else ((device.window.parent or device.window) if device else None)
        )
        errors = {}
        if not d.item_code:
            errors["transaction"] = [
                _(
                    "Transaction “%(n)s” is not registered; send item_code and unit_code with "
                    "the rating to register it."
                )
                % {"n": number}
            ]
        elif d.item_code not in items:
            errors["item_code"] = [_("Unknown service item “%(c)s”.") % {"c": d.item_code}]
        if not errors and unit is None:
            errors["unit_code"] = [_("Unknown or missing handling unit “%(c)s”.") % {"c": d.unit_code}]
        if d.window_code and (window is None or window.kind != UnitKind.WINDOW):
            errors["window_code"] = [_("Unknown window “%(c)s”.") % {"c": d.window_code}]
        if d.staff_no and d.staff_no not in staff:
            errors["staff_no"] = [_("Unknown staff number “%(c)s”.") % {"c": d.staff_no}]
        if d.platform_code and d.platform_code not in platforms:
            errors["platform_code"] = [_("Unknown platform “%(c)s”.") % {"c": d.platform_code}]
        if errors:
            for p in pending:
                if p.data.transaction == number:
                    outcomes[p.index] = ItemOutcome(status="error", errors=errors)
            continue
        item = items[d.item_code]
        guide = item.current_guide
        rows.append(
            Transaction(
                number=number,
                item=item,
                guide_version=guide,
                unit=unit,
                window=window,
                platform=platforms.get(d.platform_code),
                staff=staff.get(d.staff_no),
                channel=d.channel,
                status="finished",
                promise_type=guide.promise_type if guide else PromiseType.PROMISED,
                finished_at=min(d.rated_at or now, now),
            )
        )
    # ignore_conflicts: a concurrent batch may register the same number first; we re-read (and lock) below.
    Transaction.objects.bulk_create(rows, ignore_conflicts=True)
    found = {
        t.number: t
        for t in Transaction.objects.select_for_update()
        .filter(number__in=[r.number for r in rows])
        .only("id", "number", "finished_at", "guide_version_id", "item_id")
        .order_by("id")
    }
    for p in pending:
        if p.txn is None and p.index not in outcomes:
            p.txn = found.get(p.data.transaction)


def evaluations_submit(
    *, actor: Actor, items: list[EvaluationInput], device: Device | None = None, now: datetime | None = None
) -> list[ItemOutcome]:
    """Accept a batch of ratings in one database transaction, with a few queries whatever its size.

    Each item is validated on its own; a bad item is reported and the others still go in. Items carrying
    an idempotency key already seen from this source (now or in this batch) are duplicates, not new rows.
    """
    config, now = intake_config(), now or timezone.now()
    source = actor.label[:80]
    outcomes: dict[int, ItemOutcome] = {}
    pending: list[_Pending] = []
    for index, data in enumerate(items):
        try:
            pending.append(_Pending(index=index, data=data, identity=_validate(data, config)))
        except ValidationError as exc:
            outcomes[index] = ItemOutcome(status="error", errors=exc.message_dict)
    with transaction.atomic():
        keys = [p.data.idempotency_key for p in pending if p.data.idempotency_key]
        earlier = (
            {
                e.idempotency_key: e
                for e in Evaluation.objects.filter(source=source, idempotency_key__in=keys).only(
                    "id", "is_bad", "level", "revision", "transaction_id", "stage", "rated_at"
                )
            }
            if keys
            else {}
        )
        twin_of: dict[int, int] = {}  # a repeated key inside this batch → the index that carries it first
        first_with_key: dict[str, int] = {}
        fresh: list[_Pending] = []
        for p in pending:
            key = p.data.idempotency_key
            if key and key in earlier:
                outcomes[p.index] = ItemOutcome(status="duplicate", evaluation=earlier[key])
            elif key and key in first_with_key:
                twin_of[p.index] = first_with_key[key]
            else:
                if key:
                    first_with_key[key] = p.index
                fresh.append(p)
        numbers = {p.data.transaction for p in fresh}
        # Lock the transactions rated here: concurrent ratings of one transaction are serialised.
        txns = {
            t.number: t
            for t in Transaction.objects.select_for_update()
            .filter(number__in=numbers)
            .only("id", "number", "finished_at", "guide_version_id", "item_id")
            .order_by("id")
        }
        for p in fresh:
            p.txn = txns.get(p.data.transaction)
        _missing_transactions(actor=actor, pending=fresh, device=device, outcomes=outcomes, now=now)
        accepted = []
        questionnaires = _QuestionnaireCache()
        for p in fresh:
            if p.index in outcomes:
                continue
            p.rated_at = min(
                p.data.rated_at or now, now
            )  # a device clock ahead of ours cannot rate the future
            try:
                p.supplementary = _is_supplementary(p.txn, p.rated_at, config)
                p.questionnaire_version, p.data.answers = questionnaires.clean(p)
            except ValidationError as exc:
                outcomes[p.index] = ItemOutcome(status="error", errors=exc.message_dict)
                continue
            accepted.append(p)
        _insert(accepted, source=source, device=device, outcomes=outcomes, limit=config.max_revisions)
    for index, twin in twin_of.items():
        first = outcomes[twin]
        outcomes[index] = (
            first if first.status == "error" else ItemOutcome(status="duplicate", evaluation=first.evaluation)
        )
    return [outcomes[i] for i in range(len(items))]


class _QuestionnaireCache:
    """Questionnaire versions looked up once per batch (by item, and by the version a client named)."""

    def __init__(self):
        self.by_item: dict[int, QuestionnaireVersion | None] = {}
        self.by_id: dict[int, QuestionnaireVersion | None] = {}

    def clean(self, p: "_Pending") -> tuple[int | None, dict]:
        """(version id, cleaned answers) of a rating's 一事一评 answers; no answers record no version."""
        if not p.data.answers:
            return None, {}
        wanted = p.data.questionnaire_version
        if wanted is not None:
            if wanted not in self.by_id:
                self.by_id[wanted] = QuestionnaireVersion.objects.filter(pk=wanted).first()
            version = self.by_id[wanted]
            if version is None:
                raise _err("questionnaire_version", _("Unknown questionnaire version %(v)s.") % {"v": wanted})
        else:
            if p.txn.item_id not in self.by_item:
                self.by_item[p.txn.item_id] = questionnaire_for(p.txn.item_id)[0]
            version = self.by_item[p.txn.item_id]
            if version is None:
                raise _err("answers", _("No questionnaire is offered for this item; send no answers."))
        return version.pk, answers_validate(version, p.data.answers)


def _is_supplementary(txn: Transaction, rated_at: datetime, config: IntakeConfig) -> bool:
    """A rating after the day the transaction finished is supplementary (补充评价), allowed within the window."""
    if txn.finished_at is None:
        return False
    finished = timezone.localtime(txn.finished_at)
    if timezone.localtime(rated_at).date() <= finished.date():
        return False
    if rated_at > txn.finished_at + timedelta(days=config.supplementary_days):
        raise _err(
            "transaction",
            _("The rating period for this transaction ended %(days)d days after it finished.")
            % {"days": config.supplementary_days},
        )
    return True


def _insert(
    accepted: list[_Pending],
    *,
    source: str,
    device: Device | None,
    outcomes: dict[int, ItemOutcome],
    limit: int,
) -> None:
    """Revisions: the newest rating of a (transaction, stage) is current; older ones are kept, not counted.
    A transaction and stage take at most `limit` ratings (a brake on repeated re-rating)."""
    if not accepted:
        return
    pairs = {(p.txn.pk, p.data.stage) for p in accepted}
    current = {
        (e.transaction_id, e.stage): e
        for e in Evaluation.objects.filter(transaction_id__in={t for t, _s in pairs}, is_current=True).only(
            "id", "transaction_id", "stage", "revision"
        )
        if (e.transaction_id, e.stage) in pairs
    }
    revision = {pair: e.revision for pair, e in current.items()}
    kept: list[tuple[_Pending, int]] = []
    for p in accepted:
        pair = (p.txn.pk, p.data.stage)
        next_revision = revision.get(pair, 0) + 1
        if next_revision > limit:
            outcomes[p.index] = ItemOutcome(
                status="error",
                errors={
                    "transaction": [
                        _("This transaction has already been rated %(n)d times at this stage.") % {"n": limit}
                    ]
                },
            )
            continue
        revision[pair] = next_revision
        kept.append((p, next_revision))
    newest = {(p.txn.pk, p.data.stage): p.index for p, _r in kept}
    superseded = [current[pair].pk for pair in newest if pair in current]
    if superseded:
        Evaluation.objects.filter(pk__in=superseded).update(is_current=False)
    rows = [
        _row(p, rev, is_current=newest[(p.txn.pk, p.data.stage)] == p.index, source=source, device=device)
        for p, rev in kept
    ]
    previous = {pair: e.pk for pair, e in current.items()}
    for (p, _rev), row in zip(kept, Evaluation.objects.bulk_create(rows), strict=True):
        pair = (p.txn.pk, p.data.stage)
        outcomes[p.index] = ItemOutcome(status="created", evaluation=row, supersedes=previous.get(pair))
        previous[pair] = row.pk


def _row(p: _Pending, revision: int, *, is_current: bool, source: str, device: Device | None) -> Evaluation:
    d, encrypted = p.data, (p.identity.encrypted() if p.identity else {})
    return Evaluation(
        transaction_id=p.txn.pk,
        stage=d.stage,
        revision=revision,
        is_current=is_current,
        channel=d.channel,
        level=d.level,
        is_bad=d.level in BAD_LEVELS,
        reason_tags=d.reason_tags,
        comment=d.comment or "",
        answers=d.answers or {},
        questionnaire_version=p.questionnaire_version,
        guide_version_id=p.txn.guide_version_id,
        anonymous=p.identity is None,
        evaluator_type=(d.evaluator or {}).get("type") or ApplicantType.PERSON,
        evaluator_name=encrypted.get("name", ""),
        evaluator_phone=encrypted.get("phone", ""),
        evaluator_id_type=encrypted.get("id_type", ""),
        evaluator_id_number=encrypted.get("id_number", ""),
        evaluator_hash=encrypted.get("hash", ""),
        is_supplementary=p.supplementary,
        device=device,
        source=source,
        idempotency_key=d.idempotency_key,
        rated_at=p.rated_at,
    )


def evaluation_submit(
    *, actor: Actor, data: EvaluationInput, device: Device | None = None, now: datetime | None = None
) -> EvaluationResult:
    """Accept one rating (the batch path with one item); raises ValidationError naming the field."""
    outcome = evaluations_submit(actor=actor, items=[data], device=device, now=now)[0]
    if outcome.status == "error":
        raise ValidationError(outcome.errors)
    return EvaluationResult(
        evaluation=outcome.evaluation, supersedes=outcome.supersedes, created=outcome.status == "created"
    )


def default_ratings_generate(*, actor: Actor, now: datetime | None = None) -> int:
    """Record a default rating (默认评价) for finished transactions that got none within the tenant's period.

    Only when the tenant's policy asks for it. Default ratings are flagged `is_default` and reported apart
    from active ones; one statement, idempotent (a transaction that has any rating at that stage is skipped).
    """
    config = intake_config()
    if not config.default_ratings:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=config.default_after_days)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO evaluations_evaluation
                (transaction_id, stage, revision, is_current, channel, level, is_bad, reason_tags, comment, answers,
                 guide_version_id, anonymous, evaluator_type, evaluator_name, evaluator_phone, evaluator_id_type,
                 evaluator_id_number, evaluator_hash, is_default, is_supplementary, excluded, excluded_reason,
                 source, rated_at, created_at)
            SELECT t.id, %(stage)s, 1, true, t.channel, %(level)s, false, '{}', '', '{}', t.guide_version_id, true,
                   t.applicant_type, '', '', '', '', '', true, false, false, '', %(source)s, now(), now()
            FROM evaluations_transaction t
            WHERE t.finished_at IS NOT NULL AND t.finished_at < %(cutoff)s
              AND NOT EXISTS (SELECT 1 FROM evaluations_evaluation e
                              WHERE e.transaction_id = t.id AND e.stage = %(stage)s)
            ON CONFLICT DO NOTHING
            """,
            {
                "stage": Stage.FINISHED,
                "level": config.default_level,
                "source": actor.label[:80],
                "cutoff": cutoff,
            },
        )
        created = cursor.rowcount
    if created:
        audit_record(actor=actor, action="evaluation.default_generate", data={"count": created})
    return created
