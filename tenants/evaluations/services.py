"""Evaluation intake: registering transactions (办件) and accepting five-level ratings from every channel.

A rating is accepted only when its row is committed. A second rating of the same transaction and stage is
a revision: it supersedes the first (`is_current`), both are kept, and only the current one counts.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.accounts.actors import Actor
from tenants.accounts.services import audit_record
from tenants.cases.services.opening import cases_open_for_ratings
from tenants.catalog.models import PromiseType, ServiceItem
from tenants.evaluations import intake_fast
from tenants.evaluations.models import (
    BAD_LEVELS,
    CHANNEL_CODES,
    STAGE_CODES,
    ApplicantType,
    Channel,
    Evaluation,
    Stage,
    Transaction,
)
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
    # the evaluator agreed that the comment (personal data scrubbed) may appear on the public portal
    comment_public: bool = False
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
    case_id: int | None = None  # the bad-review case the rating opened or joined


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
    if data.channel not in CHANNEL_CODES:
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
    if data.channel not in CHANNEL_CODES:
        errors["channel"] = [
            _("Unknown channel “%(c)s”; use one of %(all)s.")
            % {"c": data.channel, "all": ", ".join(Channel.values)}
        ]
    if not isinstance(data.level, int) or isinstance(data.level, bool) or not 1 <= data.level <= 5:
        errors["level"] = [_("Level is 1 (best) to 5 (worst).")]
    if data.stage not in STAGE_CODES:
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


class _Txn(NamedTuple):
    """What intake needs of a transaction it rates (a model instance per rating costs more than its SQL)."""

    pk: int
    number: str
    finished_at: datetime | None
    guide_version_id: int | None
    item_id: int


@dataclass
class _Pending:
    """One item of a batch on its way in."""

    index: int
    data: EvaluationInput
    identity: Identity | None = None
    txn: _Txn | None = None
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
    case_id: int | None = None  # the bad-review case the rating opened or joined (tenants.cases)


def _codes(pending: list[_Pending], attr: str) -> set[str]:
    return {getattr(p.data, attr) for p in pending if getattr(p.data, attr)}


def _lock_existing(numbers: list[str]) -> dict[str, _Txn]:
    """Lock (FOR UPDATE) and read the transactions already registered under these numbers."""
    if not numbers:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, number, finished_at, guide_version_id, item_id FROM evaluations_transaction "
            "WHERE number = ANY(%s) ORDER BY id FOR UPDATE",
            [numbers],
        )
        rows = cursor.fetchall()
    return {row[1]: _Txn(*row) for row in rows}


_TRANSACTION_KEYS = ("n", "i", "g", "u", "w", "p", "s", "c", "pt", "f")


def _earlier_ratings(source: str, keys: list[str]) -> dict[str, Evaluation]:
    """Ratings this source already sent under these idempotency keys (`= ANY` of one array parameter: the ORM's
    `__in` prepares each of up to 1,000 values one by one)."""
    if not keys:
        return {}
    ratings = Evaluation.objects.raw(
        "SELECT id, idempotency_key, is_bad, level, revision, transaction_id, stage, rated_at "
        "FROM evaluations_evaluation WHERE source = %s AND idempotency_key = ANY(%s)",
        [source, keys],
    )
    return {e.idempotency_key: e for e in ratings}


def _register_or_lock(
    *,
    pending: list[_Pending],
    device: Device | None,
    outcomes: dict[int, ItemOutcome],
    now: datetime,
) -> set[int]:
    """Find and lock each item's transaction, registering those that ratings name inline (as window systems
    send them) in one statement. Returns the ids of the transactions registered here (they have no rating yet).
    """
    by_number: dict[str, _Pending] = {}
    for p in pending:
        by_number.setdefault(p.data.transaction, p)
    inline = [p for p in by_number.values() if p.data.item_code]
    items, units, staff, platforms = {}, {}, {}, {}
    if inline:
        # Every code named inline, in one round trip.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 'i', i.code, i.id, i.current_guide_id, g.promise_type FROM catalog_serviceitem i "
                "LEFT JOIN catalog_guideversion g ON g.id = i.current_guide_id WHERE i.code = ANY(%s) "
                "UNION ALL SELECT 'u', code, id, NULL, kind FROM organisation_unit WHERE code = ANY(%s) "
                "UNION ALL SELECT 's', staff_no, id, NULL, NULL FROM organisation_staff WHERE staff_no = ANY(%s) "
                "UNION ALL SELECT 'p', code, id, NULL, NULL FROM organisation_platform WHERE code = ANY(%s)",
                [
                    list(_codes(inline, "item_code")),
                    list(_codes(inline, "unit_code") | _codes(inline, "window_code")),
                    list(_codes(inline, "staff_no")),
                    list(_codes(inline, "platform_code")),
                ],
            )
            for kind, code, pk, guide, extra in cursor.fetchall():
                if kind == "i":
                    items[code] = (pk, guide, extra)
                elif kind == "u":
                    units[code] = (pk, extra)
                elif kind == "s":
                    staff[code] = pk
                else:
                    platforms[code] = pk
    problems: dict[str, dict] = {}
    rows = []
    for number, first in by_number.items():
        d = first.data
        window = (
            units.get(d.window_code)
            if d.window_code
            else ((device.window_id, UnitKind.WINDOW) if device else None)
        )
        if d.unit_code:
            unit = units.get(d.unit_code)
        elif device:
            unit = (device.window.parent_id or device.window_id, None)
        else:
            unit = None
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
        if d.window_code and (window is None or window[1] != UnitKind.WINDOW):
            errors["window_code"] = [_("Unknown window “%(c)s”.") % {"c": d.window_code}]
        if d.staff_no and d.staff_no not in staff:
            errors["staff_no"] = [_("Unknown staff number “%(c)s”.") % {"c": d.staff_no}]
        if d.platform_code and d.platform_code not in platforms:
            errors["platform_code"] = [_("Unknown platform “%(c)s”.") % {"c": d.platform_code}]
        if errors:
            problems[number] = errors  # only a problem if the transaction is not registered already
            continue
        item_id, guide_id, promise = items[d.item_code]
        rows.append(
            (
                number,
                item_id,
                guide_id,
                unit[0],
                window[0] if window else None,
                platforms.get(d.platform_code),
                staff.get(d.staff_no),
                d.channel,
                promise or PromiseType.PROMISED,
                min(d.rated_at or now, now),
            )
        )
    rows.sort()
    found: dict[str, _Txn] = {}
    if rows:
        # New numbers are inserted (and so locked); an existing number is locked, not changed, and not
        # returned (DO UPDATE … WHERE false): it is read below with the numbers that came without fields.
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO evaluations_transaction
                    (number, item_id, guide_version_id, unit_id, window_id, platform_id, staff_id, channel,
                     applicant_type, applicant_name, applicant_phone, applicant_id_type, applicant_id_number,
                     status, promise_type, finished_at, created_at)
                SELECT n, i, g, u, w, p, s, c, %s, '', '', '', '', 'finished', pt, f, now()
                FROM json_to_recordset(%s::json)
                     AS x(n varchar, i bigint, g bigint, u bigint, w bigint, p bigint, s bigint, c varchar,
                          pt varchar, f timestamptz)
                ON CONFLICT (number) DO UPDATE SET number = EXCLUDED.number WHERE false
                RETURNING id, number, finished_at, guide_version_id, item_id
                """,
                [
                    ApplicantType.PERSON,
                    json.dumps(
                        [dict(zip(_TRANSACTION_KEYS, row, strict=True)) for row in rows],
                        ensure_ascii=False,
                        default=_json_default,
                    ),
                ],
            )
            for row in cursor.fetchall():
                found[row[1]] = _Txn(*row)
    registered = {t.pk for t in found.values()}
    found.update(_lock_existing([n for n in by_number if n not in found]))
    for p in pending:
        p.txn = found.get(p.data.transaction)
        if p.txn is None:
            outcomes[p.index] = ItemOutcome(status="error", errors=problems.get(p.data.transaction))
    return registered


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
        earlier = _earlier_ratings(source, keys)
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
        # Lock the transactions rated here: concurrent ratings of one transaction are serialised.
        registered = _register_or_lock(pending=fresh, device=device, outcomes=outcomes, now=now)
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
        _insert(
            accepted,
            source=source,
            device=device,
            outcomes=outcomes,
            limit=config.max_revisions,
            registered=registered,
        )
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


def _is_supplementary(txn: _Txn, rated_at: datetime, config: IntakeConfig) -> bool:
    """A rating after the day the transaction finished is supplementary (补充评价), allowed within the window."""
    if txn.finished_at is None or rated_at <= txn.finished_at:
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


_EVALUATION_COLUMNS = (
    "transaction_id",
    "stage",
    "revision",
    "is_current",
    "channel",
    "level",
    "is_bad",
    "reason_tags",
    "comment",
    "comment_public",
    "answers",
    "questionnaire_version",
    "guide_version_id",
    "anonymous",
    "evaluator_type",
    "evaluator_name",
    "evaluator_phone",
    "evaluator_id_type",
    "evaluator_id_number",
    "evaluator_hash",
    "is_supplementary",
    "device_id",
    "source",
    "idempotency_key",
    "rated_at",
)
_EVALUATION_TYPES = (
    "bigint",
    "varchar",
    "smallint",
    "boolean",
    "varchar",
    "smallint",
    "boolean",
    "varchar(32)[]",
    "text",
    "boolean",
    "jsonb",
    "integer",
    "bigint",
    "boolean",
    "varchar",
    "text",
    "text",
    "varchar",
    "text",
    "varchar",
    "boolean",
    "bigint",
    "varchar",
    "varchar",
    "timestamptz",
)
# The whole batch travels as ONE JSON parameter, unpacked by PostgreSQL (json_to_recordset): binding an array
# per column made psycopg quote every one of 24,000 values in Python, and bulk_create sends a placeholder each.
# Identifiers are this module's constants; every value is in the parameter.
_EVALUATION_INSERT = (
    f"INSERT INTO evaluations_evaluation ({', '.join(_EVALUATION_COLUMNS)}, is_default, excluded, "  # noqa: S608
    "excluded_reason, created_at) SELECT "
    + ", ".join(f"c{i}" for i in range(len(_EVALUATION_COLUMNS)))
    + ", false, false, '', now() FROM json_to_recordset(%s::json) AS x("
    + ", ".join(f"c{i} {t}" for i, t in enumerate(_EVALUATION_TYPES))
    + ") RETURNING id, transaction_id, stage, revision, created_at"
)
_JSON_KEYS = tuple(f"c{i}" for i in range(len(_EVALUATION_COLUMNS)))


def _json_default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _insert(
    accepted: list[_Pending],
    *,
    source: str,
    device: Device | None,
    outcomes: dict[int, ItemOutcome],
    limit: int,
    registered: set[int] = frozenset(),
) -> None:
    """Revisions: the newest rating of a (transaction, stage) is current; older ones are kept, not counted.
    A transaction and stage take at most `limit` ratings (a brake on repeated re-rating)."""
    if not accepted:
        return
    pairs = {(p.txn.pk, p.data.stage) for p in accepted}
    older = {t for t, _s in pairs if t not in registered}  # a transaction registered just now has no rating
    current = (
        {
            (e.transaction_id, e.stage): e
            for e in Evaluation.objects.filter(transaction_id__in=older, is_current=True).only(
                "id", "transaction_id", "stage", "revision"
            )
            if (e.transaction_id, e.stage) in pairs
        }
        if older
        else {}
    )
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
    if not kept:
        return
    newest = {(p.txn.pk, p.data.stage): p.index for p, _r in kept}
    superseded = [current[pair].pk for pair in newest if pair in current]
    if superseded:
        Evaluation.objects.filter(pk__in=superseded).update(is_current=False)
    rows = [
        _row(p, rev, is_current=newest[(p.txn.pk, p.data.stage)] == p.index, source=source, device=device)
        for p, rev in kept
    ]
    batch = json.dumps(
        [
            dict(zip(_JSON_KEYS, [getattr(row, column) for column in _EVALUATION_COLUMNS], strict=True))
            for row in rows
        ],
        ensure_ascii=False,
        default=_json_default,
    )
    with connection.cursor() as cursor:
        cursor.execute(_EVALUATION_INSERT, [batch])
        ids = {(t, st, rev): (pk, created) for pk, t, st, rev, created in cursor.fetchall()}
    previous = {pair: e.pk for pair, e in current.items()}
    for (p, rev), row in zip(kept, rows, strict=True):
        pair = (p.txn.pk, p.data.stage)
        row.pk, row.created_at = ids[(p.txn.pk, p.data.stage, rev)]
        row._state.adding, row._state.db = False, "default"
        outcomes[p.index] = ItemOutcome(status="created", evaluation=row, supersedes=previous.get(pair))
        previous[pair] = row.pk
    # Bad ratings open their case (差评整改) in this same transaction: a rating rolled back leaves no case.
    if cases := cases_open_for_ratings(evaluations=[r for r in rows if r.is_bad or r.revision > 1]):
        for p, _rev in kept:
            done = outcomes[p.index]
            outcomes[p.index] = ItemOutcome(
                status=done.status,
                evaluation=done.evaluation,
                supersedes=done.supersedes,
                case_id=cases.get(done.evaluation.pk),
            )


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
        comment_public=bool(d.comment_public),
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
        device_id=device.pk if device else None,
        source=source,
        idempotency_key=d.idempotency_key,
        rated_at=p.rated_at,
    )


def evaluation_submit(
    *, actor: Actor, data: EvaluationInput, device: Device | None = None, now: datetime | None = None
) -> EvaluationResult:
    """Accept one rating; raises ValidationError naming the field.

    A first rating of a transaction named inline takes one autocommit statement (intake_fast); everything
    else, and whatever that statement leaves undecided, is the batch path with one item."""
    if intake_fast.eligible(data):
        identity = _validate(data, intake_config())
        evaluation = intake_fast.evaluation_insert_new(
            data, identity=identity, source=actor.label[:80], device=device, now=now or timezone.now()
        )
        if evaluation is not None:
            return EvaluationResult(evaluation=evaluation, supersedes=None)
    outcome = evaluations_submit(actor=actor, items=[data], device=device, now=now)[0]
    if outcome.status == "error":
        raise ValidationError(outcome.errors)
    return EvaluationResult(
        evaluation=outcome.evaluation,
        supersedes=outcome.supersedes,
        created=outcome.status == "created",
        case_id=outcome.case_id,
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
