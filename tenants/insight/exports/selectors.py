"""What an export contains: the filters, a cheap count, the header and the rows — masked, streamed.

Rows come from a server-side cursor (`QuerySet.iterator(chunk_size=CHUNK)` inside a transaction), so memory
stays flat whatever the size: a chunk of CHUNK rows at a time, its evaluator identity decrypted in one batch
and masked at once (tenants/insight/exports/identity.py). Labels, local times and joins are done by
PostgreSQL or looked up once per export, not once per row. Exports read raw rows (not the rollups): they list
ratings and cases one by one.

Nothing identifies an evaluator: name, phone and ID number are masked (tenants.privacy.masking), comments are
scrubbed as the portal scrubs them (tenants.privacy.scrub, with the evaluator's own name); the cases export
says only whether a case is real-name. Staff are colleagues and appear by number and name.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from itertools import islice

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case as Conditional
from django.db.models import CharField, F, Func, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.cases.models import Case, CaseSource, CaseState, Outcome
from tenants.evaluations.models import (
    SCALE_WORDS,
    ApplicantType,
    Channel,
    Evaluation,
    EvaluationPolicy,
    ReasonTag,
    Scale,
    Stage,
)
from tenants.insight.exports.identity import masked_identities, scrubbed_comments
from tenants.insight.exports.models import ExportJob, ExportKind
from tenants.insight.forms import ScopeForm
from tenants.insight.selectors import Scope

CHUNK = 2000  # rows per fetch from the server-side cursor, and per batch of identity decryption
_SEPARATOR = "\x1f"  # between a case's number and state in one subquery column


@dataclass(frozen=True)
class ExportFilters:
    """The period and filters of an export (ScopeForm's), and whether only current revisions are listed."""

    scope: Scope
    current_only: bool = True

    def as_json(self) -> dict:
        s = self.scope
        return {
            "from": s.start.isoformat(),
            "to": s.end.isoformat(),
            "unit": s.unit.code if s.unit else "",
            "item": s.item.code if s.item else "",
            "channel": s.channel or "",
            "item_type": s.item_type or "",
            "current_only": self.current_only,
        }

    @classmethod
    def from_json(cls, data: dict) -> "ExportFilters":
        """Read back what `as_json` stored (a background job does); raises ValidationError when a unit or item
        named there no longer exists."""
        form = ScopeForm({k: v for k, v in data.items() if k != "current_only"})
        if not form.is_valid():
            raise ValidationError([str(e) for errors in form.errors.values() for e in errors])
        return cls(scope=form.scope(), current_only=bool(data.get("current_only", True)))


# --- expressions -----------------------------------------------------------------------------------------
class _LocalText(Func):
    """A moment as local "YYYY-MM-DD HH:MM:SS" text, formatted by PostgreSQL (NULL stays NULL)."""

    template = "to_char(timezone(%%s, %(expressions)s), 'YYYY-MM-DD HH24:MI:SS')"
    output_field = CharField()

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = super().as_sql(compiler, connection, **extra_context)
        return sql, (settings.TIME_ZONE, *params)  # the zone's placeholder comes first


def _local(field: str) -> _LocalText:
    return _LocalText(F(field))


def _moment(day, *, next_day: bool = False) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1) if next_day else day, time.min))


# --- evaluations -----------------------------------------------------------------------------------------
def _evaluations(filters: ExportFilters) -> QuerySet[Evaluation]:
    s = filters.scope
    q = Q(rated_at__gte=_moment(s.start), rated_at__lt=_moment(s.end, next_day=True))
    if filters.current_only:
        q &= Q(is_current=True)
    if s.unit is not None:
        q &= Q(transaction__unit__path__startswith=s.unit.path) | Q(
            transaction__window__path__startswith=s.unit.path
        )
    if s.item is not None:
        q &= Q(transaction__item=s.item)
    if s.item_type:
        q &= Q(transaction__item__item_type=s.item_type)
    if s.channel:
        q &= Q(channel=s.channel)
    return Evaluation.objects.filter(q)


_EVALUATION_FIELDS = (
    "transaction__number",
    "transaction__item__code",
    "transaction__item__name",
    "transaction__unit__code",
    "transaction__unit__name",
    "transaction__window__name",
    "transaction__staff__staff_no",
    "transaction__staff__name",
    "channel",
    "stage",
    "level",
    "is_bad",
    "reason_tags",
    "comment",
    "rated",
    "is_default",
    "is_supplementary",
    "revision",
    "is_current",
    "excluded",
    "excluded_reason",
    "evaluator_type",
    "evaluator_name",
    "evaluator_phone",
    "evaluator_id_number",
    "case",
)


def evaluation_header() -> list[str]:
    return [
        _("Transaction number"),
        _("Item code"),
        _("Item name"),
        _("Unit code"),
        _("Unit name"),
        _("Window"),
        _("Staff number"),
        _("Staff name"),
        _("Channel"),
        _("Stage"),
        _("Level"),
        _("Rating (scale word)"),
        _("Bad review"),
        _("Reasons"),
        _("Comment"),
        _("Rated at (local time)"),
        _("Default rating"),
        _("Supplementary rating"),
        _("Revision"),
        _("Current revision"),
        _("Excluded"),
        _("Reason for exclusion"),
        _("Evaluator type"),
        _("Evaluator name (masked)"),
        _("Evaluator phone (masked)"),
        _("Evaluator ID number (masked)"),
        _("Case number"),
        _("Case state"),
    ]


def _rows_of(queryset: QuerySet) -> Iterator[list[tuple]]:
    """Chunks of value tuples from a server-side cursor (inside a transaction, so PostgreSQL streams the
    result instead of materialising it for a cursor WITH HOLD)."""
    with transaction.atomic():
        rows = queryset.iterator(chunk_size=CHUNK)
        while chunk := list(islice(rows, CHUNK)):
            yield chunk


def _labels() -> dict:
    yes, no = _("yes"), _("no")
    return {
        "bool": {True: yes, False: no, None: ""},
        "channel": {code: str(label) for code, label in Channel.choices},
        "stage": {code: str(label) for code, label in Stage.choices},
        "evaluator_type": {code: str(label) for code, label in ApplicantType.choices},
        "tags": dict(ReasonTag.objects.values_list("code", "label")),
        "case_state": {code: str(label) for code, label in CaseState.choices},
        "outcome": {code: str(label) for code, label in Outcome.choices},
        "source": {code: str(label) for code, label in CaseSource.choices},
    }


def _tags(codes: list[str] | None, labels: dict[str, str]) -> str:
    return "；".join(labels.get(code, code) for code in codes) if codes else ""


def evaluation_count(filters: ExportFilters) -> int:
    return _evaluations(filters).count()


def evaluation_rows(filters: ExportFilters) -> Iterator[list]:
    """One list of cells per rating, in the order of `evaluation_header`, oldest first."""
    policy = EvaluationPolicy.objects.order_by("pk").first()
    words = SCALE_WORDS[Scale(policy.scale if policy else Scale.GOOD_BAD)]
    labels = _labels()
    yes_no, channels, stages = labels["bool"], labels["channel"], labels["stage"]
    types, tags, states = labels["evaluator_type"], labels["tags"], labels["case_state"]
    case = (
        Case.objects.filter(evaluation=OuterRef("pk"))
        .order_by("-opened_at", "-id")
        .annotate(label=Concat("number", Value(_SEPARATOR), "state", output_field=CharField()))
        .values("label")[:1]
    )
    queryset = (
        _evaluations(filters)
        .annotate(rated=_local("rated_at"), case=Subquery(case, output_field=CharField()))
        .order_by("rated_at", "id")
        .values_list(*_EVALUATION_FIELDS)
    )
    for chunk in _rows_of(queryset):
        masked = masked_identities([(r[22], r[23], r[24]) for r in chunk])
        comments = scrubbed_comments([(r[13], r[22]) for r in chunk])
        for r, (name, phone, id_number), comment in zip(chunk, masked, comments, strict=True):
            case_number, _sep, case_state = (r[25] or "").partition(_SEPARATOR)
            yield [
                r[0], r[1], r[2], r[3], r[4], r[5] or "", r[6] or "", r[7] or "",
                channels.get(r[8], r[8]), stages.get(r[9], r[9]), r[10], words[r[10] - 1], yes_no[r[11]],
                _tags(r[12], tags), comment, r[14], yes_no[r[15]], yes_no[r[16]], r[17], yes_no[r[18]],
                yes_no[r[19]], r[20], types.get(r[21], r[21]), name, phone, id_number,
                case_number, states.get(case_state, case_state),
            ]  # fmt: skip


# --- cases -----------------------------------------------------------------------------------------------
def _cases(filters: ExportFilters) -> QuerySet[Case]:
    s = filters.scope
    q = Q(opened_at__gte=_moment(s.start), opened_at__lt=_moment(s.end, next_day=True))
    if s.unit is not None:
        q &= Q(unit__path__startswith=s.unit.path)
    if s.item is not None:
        q &= Q(transaction__item=s.item)
    if s.item_type:
        q &= Q(transaction__item__item_type=s.item_type)
    if s.channel:
        q &= Q(evaluation__channel=s.channel)
    return Case.objects.filter(q)


_CASE_FIELDS = (
    "number",
    "source",
    "state",
    "outcome",
    "transaction__number",
    "unit__code",
    "unit__name",
    "transaction__item__code",
    "transaction__item__name",
    "opened",
    "contacted",
    "feedback",
    "closed",
    "contact_by",
    "feedback_by",
    "rectify_by",
    "ledger_deadline",
    "on_time",
    "realname",
    "reason_tags",
)


def case_header() -> list[str]:
    return [
        _("Case number"),
        _("Source"),
        _("State"),
        _("Outcome"),
        _("Transaction number"),
        _("Unit code"),
        _("Unit name"),
        _("Item code"),
        _("Item name"),
        _("Opened at"),
        _("Evaluator contacted at"),
        _("Feedback sent at"),
        _("Closed at"),
        _("Contact due"),
        _("Feedback due"),
        _("Rectification due"),
        _("Ledger deadline"),
        _("Rectified on time"),
        _("Real-name"),
        _("Reasons"),
    ]


def case_count(filters: ExportFilters) -> int:
    return _cases(filters).count()


def case_rows(filters: ExportFilters) -> Iterator[list]:
    """One list of cells per case, in the order of `case_header`, oldest first. No evaluator identity: only
    whether the rating was real-name. On time: closed by the rectification deadline (yes/no); an open case
    past it is "no"; an open case still in time is left blank."""
    labels = _labels()
    yes_no, states, outcomes, sources, tags = (
        labels["bool"], labels["case_state"], labels["outcome"], labels["source"], labels["tags"],
    )  # fmt: skip
    closed = Q(state=CaseState.CLOSED)
    on_time = Conditional(
        When(closed & Q(closed_at__lte=F("rectify_due")), then=Value(True)),
        When(closed, then=Value(False)),
        When(rectify_due__lt=timezone.now(), then=Value(False)),
        default=None,
    )
    queryset = (
        _cases(filters)
        .annotate(
            opened=_local("opened_at"),
            contacted=_local("contacted_at"),
            feedback=_local("feedback_at"),
            closed=_local("closed_at"),
            contact_by=_local("contact_due"),
            feedback_by=_local("feedback_due"),
            rectify_by=_local("rectify_due"),
            on_time=on_time,
        )
        .order_by("opened_at", "id")
        .values_list(*_CASE_FIELDS)
    )
    for chunk in _rows_of(queryset):
        for r in chunk:
            yield [
                r[0], sources.get(r[1], r[1]), states.get(r[2], r[2]), outcomes.get(r[3], r[3]) if r[3] else "",
                r[4] or "", r[5], r[6], r[7] or "", r[8] or "", r[9], r[10] or "", r[11] or "", r[12] or "",
                r[13], r[14], r[15], r[16].isoformat() if r[16] else "", yes_no[r[17]], yes_no[r[18]],
                _tags(r[19], tags),
            ]  # fmt: skip


# --- by kind ---------------------------------------------------------------------------------------------
def export_count(*, kind: str, filters: ExportFilters) -> int:
    """Rows the export will have: one COUNT with the export's own filters."""
    return case_count(filters) if kind == ExportKind.CASES else evaluation_count(filters)


def export_header(*, kind: str) -> list[str]:
    return case_header() if kind == ExportKind.CASES else evaluation_header()


def export_rows(*, kind: str, filters: ExportFilters) -> Iterator[list]:
    return case_rows(filters) if kind == ExportKind.CASES else evaluation_rows(filters)


def export_jobs_of(*, user, everyone: bool = False, limit: int = 50) -> QuerySet[ExportJob]:
    """A person's export jobs, newest first (a tenant administrator's page lists everyone's)."""
    jobs = ExportJob.objects.select_related("requested_by")
    return (jobs if everyone else jobs.filter(requested_by=user))[:limit]
