"""Keeping the comment terms in step with the rating rollups, and keeping the problem ledger (集中问题台账).

`comment_terms_apply` runs inside the rollup drain (tenants.insight.services._drain_locked) for the ratings
whose counting changed in that drain: a new current rating gets its terms, a superseded or excluded one
loses them. `comment_terms_rebuild` runs inside `rollups_rebuild`, in its snapshot and under its lock.
Segmentation happens in Python (jieba) in batches, on the comment scrubbed of personal data first
(`_scrubbed`); rows go in with one INSERT … SELECT unnest(…) per batch.
"""

import zoneinfo
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.accounts.actors import Actor
from tenants.accounts.roles import Perm, has_permission
from tenants.accounts.services import audit_record
from tenants.insight.textmining.models import LedgerStatus, ProblemLedgerEntry
from tenants.insight.textmining.segmentation import terms
from tenants.insight.textmining.selectors import Spike
from tenants.privacy.crypto import decrypt
from tenants.privacy.scrub import Vocabulary, scrub
from tenants.workcalendar.services import deadline_at

TZ = zoneinfo.ZoneInfo(settings.TIME_ZONE).key  # validated: inlined into SQL below
BATCH = 5000
DEFAULT_DEADLINE_DAYS = 10
MAX_DEADLINE_DAYS = 120

_SELECT = f"""
SELECT e.id, (e.rated_at AT TIME ZONE '{TZ}')::date, t.unit_id, t.window_id, t.staff_id, t.item_id,
       e.channel, e.is_bad, e.comment, e.reason_tags, e.evaluator_name
FROM evaluations_evaluation e JOIN evaluations_transaction t ON t.id = e.transaction_id
WHERE e.is_current AND NOT e.excluded AND (e.comment <> '' OR cardinality(e.reason_tags) > 0)
"""  # noqa: S608
_SELECT_IDS = _SELECT + " AND e.id = ANY(%s)"
_SELECT_AFTER = _SELECT + " AND e.id > %s ORDER BY e.id LIMIT %s"
_COLUMNS = "evaluation_id, day, unit_id, window_id, staff_id, item_id, channel, is_bad, term, kind"
_TYPES = (
    "bigint",
    "date",
    "bigint",
    "bigint",
    "bigint",
    "bigint",
    "varchar",
    "boolean",
    "varchar",
    "varchar",
)
_INSERT = (
    f"INSERT INTO insight_text_commentterm ({_COLUMNS}) SELECT * FROM unnest("  # noqa: S608
    + ", ".join(f"%s::{t}[]" for t in _TYPES)
    + ")"
)


def _scrubbed(comment: str, evaluator_name: str) -> str:
    """The comment without personal data (tenants.privacy.scrub, with the evaluator's own name, decrypted only
    to be removed): no phone or ID fragment and no evaluator's name ever becomes a term on a staff page."""
    if not comment:
        return ""
    return scrub(comment, Vocabulary().with_person(decrypt(evaluator_name) if evaluator_name else ""))


def _insert_terms(cur, rows: list[tuple]) -> int:
    """Segment these evaluation rows (as _SELECT returns them) and insert their terms; returns rows inserted."""
    columns: list[list] = [[] for _ in _TYPES]
    for row in rows:
        evaluation_id, day, unit_id, window_id, staff_id, item_id, channel, is_bad, comment, tags, name = row
        key = (evaluation_id, day, unit_id, window_id, staff_id, item_id, channel, is_bad)
        for kind, term in terms(_scrubbed(comment, name), tags).rows():
            for column, value in zip(columns, (*key, term, kind), strict=True):
                column.append(value)
    if not columns[0]:
        return 0
    cur.execute(_INSERT, columns)
    return len(columns[0])


def comment_terms_apply(*, evaluation_ids: list[int]) -> int:
    """Bring these ratings' terms up to date: their rows go, and those that count now (current, not
    excluded) with a comment or reason tags get theirs again. Returns the rows inserted."""
    inserted = 0
    with transaction.atomic(), connection.cursor() as cur:
        for start in range(0, len(evaluation_ids), BATCH):
            ids = list(evaluation_ids[start : start + BATCH])
            cur.execute("DELETE FROM insight_text_commentterm WHERE evaluation_id = ANY(%s)", [ids])
            cur.execute(_SELECT_IDS, [ids])
            inserted += _insert_terms(cur, cur.fetchall())
    return inserted


def comment_terms_rebuild() -> int:
    """Recompute every comment term of the current tenant from the raw rows (in the caller's snapshot when
    there is one: rollups_rebuild). Returns the rows inserted."""
    inserted, last = 0, 0
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM insight_text_commentterm")
        while True:
            cur.execute(_SELECT_AFTER, [last, BATCH])
            rows = cur.fetchall()
            if not rows:
                break
            inserted += _insert_terms(cur, rows)
            last = rows[-1][0]
    return inserted


# --- the problem ledger ----------------------------------------------------------------------------------
def _require_supervisor(actor: Actor) -> None:
    if actor.kind != "system" and not has_permission(actor.role, Perm.SUPERVISE_CASES):
        raise PermissionDenied(_("Only supervisors keep the problem ledger."))


def problem_ledger_create(
    *,
    actor: Actor,
    spike: Spike,
    title: str = "",
    deadline_days: int = DEFAULT_DEADLINE_DAYS,
    now: datetime | None = None,
) -> ProblemLedgerEntry:
    """Put a spike on the ledger of concentrated problems, due `deadline_days` working days from now (the
    tenant's calendar). One open entry per unit and term: a second one is refused."""
    _require_supervisor(actor)
    title = (title or "").strip() or _("%(unit)s: complaints about “%(term)s” rising") % {
        "unit": spike.unit.name,
        "term": spike.label or spike.term,
    }
    if len(title) > 200:
        raise ValidationError({"title": [_("A title is at most 200 characters long.")]})
    if not 1 <= deadline_days <= MAX_DEADLINE_DAYS:
        raise ValidationError(
            {
                "deadline_days": [
                    _("The deadline is 1 to %(max)s working days away.") % {"max": MAX_DEADLINE_DAYS}
                ]
            }
        )
    now = now or timezone.now()
    exists = _("An open ledger entry for “%(term)s” at %(unit)s already exists.") % {
        "term": spike.label or spike.term,
        "unit": spike.unit.name,
    }
    with transaction.atomic():
        if ProblemLedgerEntry.objects.filter(
            unit=spike.unit, term=spike.term, status=LedgerStatus.OPEN
        ).exists():
            raise ValidationError(exists)
        try:
            with transaction.atomic():
                entry = ProblemLedgerEntry.objects.create(
                    unit=spike.unit,
                    title=title,
                    term=spike.term,
                    evidence=spike.evidence(),
                    deadline=timezone.localtime(deadline_at(now, deadline_days)).date(),
                    created_by=actor.label[:255],
                )
        except IntegrityError:  # a concurrent request won the race (the partial unique index)
            raise ValidationError(exists) from None
        audit_record(
            actor=actor,
            action="problem_ledger.create",
            target=entry,
            data={
                "unit": spike.unit.code,
                "term": spike.term,
                "deadline": entry.deadline.isoformat(),
                "recent": spike.recent,
                "p_value": spike.p_value,
            },
        )
    return entry


def problem_ledger_resolve(
    *, actor: Actor, entry: ProblemLedgerEntry, note: str, now: datetime | None = None
) -> ProblemLedgerEntry:
    """Close an open entry with what was done about it."""
    _require_supervisor(actor)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Say what was done about the problem.")]})
    with transaction.atomic():
        entry = ProblemLedgerEntry.objects.select_for_update().select_related("unit").get(pk=entry.pk)
        if entry.status != LedgerStatus.OPEN:
            raise ValidationError(_("This ledger entry is already resolved."))
        entry.status = LedgerStatus.RESOLVED
        entry.resolution_note = note
        entry.resolved_by = actor.label[:255]
        entry.resolved_at = now or timezone.now()
        entry.save(update_fields=["status", "resolution_note", "resolved_by", "resolved_at"])
        audit_record(
            actor=actor,
            action="problem_ledger.resolve",
            target=entry,
            data={
                "unit": entry.unit.code,
                "term": entry.term,
                "on_time": timezone.localtime(entry.resolved_at).date() <= entry.deadline,
            },
        )
    return entry
