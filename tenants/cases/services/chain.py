"""Verifiable closure: recompute a case's hash chain from its stored events."""

from dataclasses import dataclass

from tenants.cases.models import GENESIS_HASH, Case, CaseEvent


@dataclass(frozen=True)
class ChainReport:
    """ok, or the first event (by seq) whose link or hash does not hold, and why."""

    ok: bool
    first_bad_seq: int | None
    events: int
    head_hash: str
    reason: str = ""


def case_chain_verify(*, case: Case) -> ChainReport:
    """Walk the events in order: seq runs 1..n without gaps, each event's prev_hash is the previous event's
    hash (the first one's is the genesis hash), each hash recomputes from the event's content, and the case's
    head_hash and last_seq name the last event, whose state is the case's. A row edited in the database
    (possible only by dropping the append-only trigger) fails its own hash, which cannot be recomputed without
    the chain key; a deleted one breaks the sequence or the next link."""
    events = list(CaseEvent.objects.filter(case_id=case.pk).order_by("seq"))
    previous, expected_seq = GENESIS_HASH, 1
    for event in events:
        if event.seq != expected_seq:
            return ChainReport(False, expected_seq, len(events), case.head_hash, "missing event")
        if event.prev_hash != previous:
            return ChainReport(False, event.seq, len(events), case.head_hash, "broken link")
        if event.computed_hash(case.number) != event.hash:
            return ChainReport(False, event.seq, len(events), case.head_hash, "content changed")
        previous, expected_seq = event.hash, expected_seq + 1
    if case.last_seq != len(events) or (case.head_hash or GENESIS_HASH) != previous:
        return ChainReport(False, len(events) + 1, len(events), case.head_hash, "head does not match")
    # The row's state is what its history says: a case marked closed (or anything else) in the database
    # without the events that lead there does not verify.
    recorded = next((e.to_state for e in reversed(events) if e.to_state), None)
    if recorded is not None and case.state != recorded:
        return ChainReport(
            False, len(events) + 1, len(events), case.head_hash, "state does not match its history"
        )
    return ChainReport(True, None, len(events), case.head_hash)
