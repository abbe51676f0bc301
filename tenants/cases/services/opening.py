"""Opening cases: one per bad rating, inside the intake transaction, set-based; and from social complaints.

Routing ("谁办理、谁负责"): the transaction's handling unit, else the item's responsible unit, else the tenant's
fallback unit (CaseSettings), else the top of the organisation tree.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.accounts.actors import Actor
from tenants.accounts.roles import Perm
from tenants.cases.models import GENESIS_HASH, Case, CaseSettings, CaseSource, CaseState, event_hash
from tenants.cases.services.common import (
    append_event,
    case_number,
    clean_note,
    deadlines,
    next_case_number,
    require,
)
from tenants.evaluations.intake_fast import pg_text_array
from tenants.evaluations.models import Evaluation
from tenants.organisation.models import Unit

OPENED_BY = "system"  # the actor label of events written by intake (the rating's own row says who sent it)

# Routing, a case number and the tenant's limits for each rating that opens a case, in one round trip.
_ROUTE = """
SELECT x.eid,
       COALESCE(t.unit_id, i.responsible_unit_id, s.fallback_unit_id, top.id),
       nextval('cases_case_number_seq'),
       s.contact_days, s.feedback_days, s.rectify_days
FROM unnest(%s::bigint[], %s::bigint[]) AS x(eid, tid)
JOIN evaluations_transaction t ON t.id = x.tid
LEFT JOIN catalog_serviceitem i ON i.id = t.item_id
LEFT JOIN (SELECT fallback_unit_id, contact_days, feedback_days, rectify_days
           FROM cases_casesettings ORDER BY id LIMIT 1) s ON true
LEFT JOIN (SELECT id FROM organisation_unit WHERE parent_id IS NULL ORDER BY id LIMIT 1) top ON true
"""

# New cases, the cases that revisions attach to, and every event, in one statement (the events of a new case
# find its id through its number). Identifiers are constants; every value is an array parameter.
_WRITE = """
WITH new_cases AS (
    INSERT INTO cases_case
        (number, source, source_ref, evaluation_id, transaction_id, stage, summary, unit_id, state,
         verification, outcome, resolution_note, realname, reason_tags, opened_at, contact_due, feedback_due,
         rectify_due, feedback_text, evaluator_opinion, opinion_source, reopened_count, escalation_level,
         head_hash, last_seq, updated_at)
    SELECT n, 'rating', '', e, t, st, '', u, 'new', '', '', '', rn, rt::varchar(32)[], %(now)s, cd, fd, rd,
           '', '', '', 0, 0, hh, ls, %(now)s
    FROM unnest(%(n)s::varchar[], %(e)s::bigint[], %(t)s::bigint[], %(st)s::varchar[], %(u)s::bigint[],
                %(rn)s::boolean[], %(rt)s::text[], %(cd)s::timestamptz[], %(fd)s::timestamptz[],
                %(rd)s::timestamptz[], %(hh)s::varchar[], %(ls)s::integer[])
         AS x(n, e, t, st, u, rn, rt, cd, fd, rd, hh, ls)
    RETURNING id, number
), attached AS (
    UPDATE cases_case c
    SET evaluation_id = x.e, reason_tags = x.rt::varchar(32)[], realname = x.rn, head_hash = x.hh,
        last_seq = x.ls, updated_at = %(now)s
    FROM unnest(%(a_id)s::bigint[], %(a_e)s::bigint[], %(a_rt)s::text[], %(a_rn)s::boolean[],
                %(a_hh)s::varchar[], %(a_ls)s::integer[]) AS x(id, e, rt, rn, hh, ls)
    WHERE c.id = x.id
    RETURNING c.id
)
INSERT INTO cases_caseevent
    (case_id, seq, kind, from_state, to_state, actor_label, actor_role, note, data, created_at, prev_hash, hash)
SELECT COALESCE(x.cid, nc.id), x.seq, x.kind, x.st, x.st, %(actor)s, '', '', x.data::jsonb, %(now)s, x.prev, x.h
FROM unnest(%(ev_case)s::bigint[], %(ev_number)s::varchar[], %(ev_seq)s::integer[], %(ev_kind)s::varchar[],
            %(ev_state)s::varchar[], %(ev_data)s::text[], %(ev_prev)s::varchar[], %(ev_hash)s::varchar[])
     AS x(cid, num, seq, kind, st, data, prev, h)
LEFT JOIN new_cases nc ON nc.number = x.num
RETURNING case_id, (data->>'evaluation')::bigint
"""

_OPEN_LOOKUP = """
SELECT id, number, transaction_id, stage, state, evaluation_id, realname, reason_tags, head_hash, last_seq
FROM cases_case WHERE transaction_id = ANY(%s) AND state <> 'closed' ORDER BY id FOR UPDATE
"""


@dataclass
class _Chain:
    """A case being opened or attached to in this batch: its values after the batch, and its new events."""

    pair: tuple[int, str]
    number: str
    state: str
    evaluation_id: int
    realname: bool
    reason_tags: list[str]
    head_hash: str
    last_seq: int
    case_id: int | None = None  # None: opened in this batch
    unit_id: int | None = None
    events: list[tuple] = field(default_factory=list)  # (seq, kind, data, prev_hash, hash)

    def add(self, kind: str, data: dict, now: datetime) -> None:
        seq, prev = self.last_seq + 1, self.head_hash or GENESIS_HASH
        digest = event_hash(
            case_number=self.number,
            seq=seq,
            kind=kind,
            from_state=self.state,
            to_state=self.state,
            actor_label=OPENED_BY,
            actor_role="",
            note="",
            data=data,
            created_at=now,
            prev_hash=prev,
        )
        self.events.append((seq, kind, data, prev, digest))
        self.last_seq, self.head_hash = seq, digest


def cases_open_for_ratings(*, evaluations: list[Evaluation], now: datetime | None = None) -> dict[int, int]:
    """Open one case per bad rating (levels 4–5) and attach revisions to their open case; returns
    {evaluation id: case id} for every rating that opened or joined a case.

    Called by intake inside its transaction, with the rows it just inserted (pk set): bad ratings, and any
    revision (revision > 1; a good revision of a bad rating is recorded on its case, as is a bad one, which
    also becomes the case's rating). The transactions are already locked by intake, so two batches cannot
    open two cases for one (transaction, stage). Set-based: no query when nothing is bad; else two for the
    batch whatever its size (routing + numbers, then cases and events in one statement), plus one when a
    batch carries revisions (find and lock their open cases).
    """
    rows = sorted(
        (e for e in evaluations if e.is_bad or e.revision > 1),
        key=lambda e: (e.transaction_id, e.stage, e.revision),
    )
    if not rows:
        return {}
    now = now or timezone.now()
    chains: dict[tuple[int, str], _Chain] = {}
    first_revision: dict[tuple[int, str], int] = {}
    for e in rows:
        first_revision.setdefault((e.transaction_id, e.stage), e.revision)
    # A pair whose first rating in this batch is a revision may already have an open case.
    lookup = sorted({t for (t, _s), rev in first_revision.items() if rev > 1})
    if lookup:
        with connection.cursor() as cursor:
            cursor.execute(_OPEN_LOOKUP, [lookup])
            for cid, number, tid, stage, state, eid, realname, tags, head, seq in cursor.fetchall():
                if (tid, stage) in first_revision:
                    chains[(tid, stage)] = _Chain(
                        pair=(tid, stage),
                        number=number,
                        state=state,
                        evaluation_id=eid,
                        realname=realname,
                        reason_tags=list(tags),
                        head_hash=head,
                        last_seq=seq,
                        case_id=cid,
                    )
    opening = []  # the ratings that open a case: the first bad one of each pair without an open case
    seen = set(chains)
    for e in rows:
        pair = (e.transaction_id, e.stage)
        if pair not in seen and e.is_bad:
            seen.add(pair)
            opening.append(e)
    routed, due = {}, ()
    if opening:
        with connection.cursor() as cursor:
            cursor.execute(_ROUTE, [[e.pk for e in opening], [e.transaction_id for e in opening]])
            routed = {row[0]: row[1:] for row in cursor.fetchall()}
        defaults = CaseSettings()
        contact, feedback, rectify = next(iter(routed.values()))[2:]
        limits = CaseSettings(
            contact_days=defaults.contact_days if contact is None else contact,
            feedback_days=defaults.feedback_days if feedback is None else feedback,
            rectify_days=defaults.rectify_days if rectify is None else rectify,
        )
        due = deadlines(now, limits)
    for e in rows:
        pair = (e.transaction_id, e.stage)
        chain = chains.get(pair)
        if chain is None:
            if e.pk not in routed:
                continue  # a good rating with no case to join
            unit_id, serial = routed[e.pk][0], routed[e.pk][1]
            if unit_id is None:
                raise ValidationError(
                    {"unit": [_("No unit to route the case to: create the organisation first.")]}
                )
            chain = chains[pair] = _Chain(
                pair=pair,
                number=case_number(serial, now),
                state=CaseState.NEW,
                evaluation_id=e.pk,
                realname=not e.anonymous,
                reason_tags=list(e.reason_tags),
                head_hash="",
                last_seq=0,
                unit_id=unit_id,
            )
            chain.add("opened", {"evaluation": e.pk, "level": e.level, "unit": unit_id}, now)
            continue
        data = {"evaluation": e.pk, "level": e.level, "revision": e.revision, "previous": chain.evaluation_id}
        if e.is_bad:  # the newest bad revision is what the case is about
            chain.evaluation_id, chain.reason_tags = e.pk, list(e.reason_tags)
            chain.realname = chain.realname or not e.anonymous
        chain.add("rating_revised", data, now)
    if not chains:
        return {}
    new = [c for c in chains.values() if c.case_id is None]
    old = [c for c in chains.values() if c.case_id is not None]
    events = [(c, ev) for c in chains.values() for ev in c.events]
    params = {
        "now": now,
        "actor": OPENED_BY,
        "n": [c.number for c in new],
        "e": [c.evaluation_id for c in new],
        "t": [c.pair[0] for c in new],
        "st": [c.pair[1] for c in new],
        "u": [c.unit_id for c in new],
        "rn": [c.realname for c in new],
        "rt": [pg_text_array(c.reason_tags) for c in new],
        "cd": [due[0] for _c in new],
        "fd": [due[1] for _c in new],
        "rd": [due[2] for _c in new],
        "hh": [c.head_hash for c in new],
        "ls": [c.last_seq for c in new],
        "a_id": [c.case_id for c in old],
        "a_e": [c.evaluation_id for c in old],
        "a_rt": [pg_text_array(c.reason_tags) for c in old],
        "a_rn": [c.realname for c in old],
        "a_hh": [c.head_hash for c in old],
        "a_ls": [c.last_seq for c in old],
        "ev_case": [c.case_id for c, _ev in events],
        "ev_number": [c.number for c, _ev in events],
        "ev_seq": [ev[0] for _c, ev in events],
        "ev_kind": [ev[1] for _c, ev in events],
        "ev_state": [c.state for c, _ev in events],
        "ev_data": [json.dumps(ev[2], ensure_ascii=False) for _c, ev in events],
        "ev_prev": [ev[3] for _c, ev in events],
        "ev_hash": [ev[4] for _c, ev in events],
    }
    with connection.cursor() as cursor:
        cursor.execute(_WRITE, params)
        return {eid: cid for cid, eid in cursor.fetchall()}


@transaction.atomic
def case_open_from_complaint(
    *,
    actor: Actor,
    unit: Unit | None,
    summary: str,
    source_ref: str = "",
    realname: bool = False,
    now: datetime | None = None,
) -> Case:
    """Open a case for a complaint from a social channel (综合点评: hotline, mailbox, supervision platform).

    `unit`: the unit complained about; None routes to the tenant's fallback unit, else the top unit.
    `source_ref` (e.g. "social:42") is unique: the same complaint cannot open two cases.
    """
    summary = clean_note(summary, field="summary", required=True)
    source_ref = (source_ref or "").strip()
    if len(source_ref) > 100:
        raise ValidationError({"source_ref": [_("At most %(n)d characters.") % {"n": 100}]})
    settings = CaseSettings.current()
    if unit is None:
        unit = settings.fallback_unit or Unit.objects.filter(parent=None).order_by("id").first()
        if unit is None:
            raise ValidationError(
                {"unit": [_("No unit to route the case to: create the organisation first.")]}
            )
    require(actor, None, Perm.HANDLE_CASES, Perm.SUPERVISE_CASES, unit=unit)
    if source_ref and Case.objects.filter(source=CaseSource.COMPLAINT, source_ref=source_ref).exists():
        raise ValidationError({"source_ref": [_("This complaint already has a case.")]})
    now = now or timezone.now()
    contact_due, feedback_due, rectify_due = deadlines(now, settings)
    case = Case.objects.create(
        number=next_case_number(now),
        source=CaseSource.COMPLAINT,
        source_ref=source_ref,
        summary=summary,
        unit=unit,
        realname=realname,
        opened_at=now,
        contact_due=contact_due,
        feedback_due=feedback_due,
        rectify_due=rectify_due,
    )
    append_event(
        case,
        actor=actor,
        kind="opened",
        data={"source": CaseSource.COMPLAINT, "source_ref": source_ref, "unit": unit.pk},
        now=now,
    )
    return case
