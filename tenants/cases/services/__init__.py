"""Writes on bad-review cases. Import from here; the modules are an implementation detail.

Intake calls `cases_open_for_ratings` inside its own transaction (tenants/evaluations/services.py, `_insert`).
"""

from tenants.cases.services.chain import ChainReport, case_chain_verify
from tenants.cases.services.common import TRANSITIONS, TransitionError, actions_allowed
from tenants.cases.services.opening import case_open_from_complaint, cases_open_for_ratings
from tenants.cases.services.transitions import (
    MilestoneInput,
    case_assign,
    case_close,
    case_confirm_not_adopted,
    case_contact,
    case_feedback_send,
    case_identity_reveal,
    case_ledger_complete,
    case_milestone_done,
    case_reassign,
    case_record_opinion,
    case_reopen,
    case_resolve,
    case_spot_check,
    case_verify,
)

__all__ = [
    "TRANSITIONS",
    "ChainReport",
    "MilestoneInput",
    "TransitionError",
    "actions_allowed",
    "case_assign",
    "case_chain_verify",
    "case_close",
    "case_confirm_not_adopted",
    "case_contact",
    "case_feedback_send",
    "case_identity_reveal",
    "case_ledger_complete",
    "case_milestone_done",
    "case_open_from_complaint",
    "case_reassign",
    "case_record_opinion",
    "case_reopen",
    "case_resolve",
    "case_spot_check",
    "case_verify",
    "cases_open_for_ratings",
]
