"""What the case pages share: the case or 404, who may do which action, labels, rows, the period and the
closed-loop banner."""

from dataclasses import dataclass
from datetime import date, datetime, time

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tenants.accounts.roles import Perm, has_permission
from tenants.cases.models import Case, CaseState, Opinion, Outcome, Verification
from tenants.cases.selectors import (
    Rate,
    case_get,
    closed_loop_indicators,
    due_of,
    realname_callback_rate,
)
from tenants.cases.services.common import in_scope, is_rated_staff, is_tenant_wide, membership_unit
from tenants.cases.services.root_cause import FLAG_STATES, guide_tags_of
from tenants.cases.services.transitions import CALLBACK_STATES
from tenants.evaluations.models import ReasonTag
from tenants.organisation.models import Unit

H, S_ = Perm.HANDLE_CASES, Perm.SUPERVISE_CASES
# action → the permissions (any one) a role needs to be offered it; the services check again (with scope).
ACTION_PERMS: dict[str, tuple[str, ...]] = {
    "assign": (H, S_),
    "reassign": (S_,),
    "contact": (H,),
    "verify": (H,),
    "resolve": (H,),
    "milestone": (H,),
    "complete-ledger": (H,),
    "confirm-not-adopted": (S_,),
    "feedback": (H,),
    "opinion": (H,),
    "close": (H, S_),
    "reopen": (S_, H),  # officers only after an "unsatisfied" opinion (may_act)
    "spot-check": (S_,),
    "guide-defect": (H, S_),  # offered by may_flag_guide (not a state transition)
}

DUE_LABELS = {
    "contact": _("Contact the evaluator"),
    "feedback": _("Feed back"),
    "rectify": _("Rectify"),
}

EVENT_LABELS = {
    "opened": _("Opened"),
    "rating_revised": _("Rating revised"),
    "assigned": _("Assigned"),
    "reassigned": _("Moved to another unit"),
    "callback": _("Callback"),
    "verified": _("Verified"),
    "resolved": _("Resolved"),
    "ledger_opened": _("Entered in the ledger"),
    "milestone_done": _("Ledger step done"),
    "ledger_completed": _("Ledger completed"),
    "not_adopted_proposed": _("Not adopted: reported for confirmation"),
    "not_adopted_confirmed": _("Not adopted: confirmed"),
    "not_adopted_refused": _("Not adopted: refused"),
    "feedback_sent": _("Feedback sent"),
    "opinion": _("Evaluator's opinion"),
    "closed": pgettext_lazy("cases", "Closed"),
    "reopened": _("Reopened"),
    "spot_check": _("Spot check"),
    "reminder_sent": _("Reminder sent"),
    "escalated": _("Escalated"),
    "feedback_delivery": _("Feedback delivered to the evaluator"),
    "guide_defect": _("Guide correction requested"),
}

ESCALATION_LABELS = {
    0: pgettext_lazy("cases", "None"),
    1: pgettext_lazy("cases", "Supervisor"),
    2: _("Management"),
}


def may_act(user, case: Case, action: str) -> bool:
    """Whether the role may be offered `action` on this case (the state is checked by actions_allowed)."""
    role = getattr(user, "role", None)
    if action == "reopen" and not has_permission(role, S_):
        return has_permission(role, H) and case.evaluator_opinion == Opinion.UNSATISFIED
    return any(has_permission(role, p) for p in ACTION_PERMS[action])


def may_flag_guide(user, case: Case, events) -> bool:
    """Offer "the item's guide is wrong" (root cause in the catalogue) when the case has its outcome, was not
    found mistaken or malicious, one of its reasons points at the guide, and it has not been said yet."""
    if not any(has_permission(getattr(user, "role", None), p) for p in ACTION_PERMS["guide-defect"]):
        return False
    if case.state not in FLAG_STATES or case.transaction_id is None or case.outcome == Outcome.NOT_ADOPTED:
        return False
    if case.verification in (Verification.MISTAKEN, Verification.MALICIOUS):
        return False
    if any(e.kind == "guide_defect" for e in events):
        return False
    return bool(guide_tags_of(case))


def may_reveal(user, case: Case) -> bool:
    """The assigned officer while the case waits for its callback, or a supervisor who may reveal
    identities; never the rated staff member (case_identity_reveal decides; this only decides whether to
    offer the form)."""
    if case.evaluation_id is None or not case.realname or is_rated_staff(user.pk, case):
        return False
    role = getattr(user, "role", None)
    if case.assignee_id == user.pk and case.state in CALLBACK_STATES and has_permission(role, H):
        return True
    return has_permission(role, S_) and has_permission(role, Perm.REVEAL_IDENTITY)


def case_or_404(request, pk: int) -> Case:
    """Another tenant's ids do not exist in this schema; a case outside the officer's unit is not theirs to
    know about either: both are 404."""
    try:
        return case_get(actor=request.user.actor, case_id=pk)
    except (Case.DoesNotExist, PermissionDenied) as exc:
        raise Http404 from exc


def no_store(response: HttpResponse) -> HttpResponse:
    """Pages that may show a revealed identity must not be kept by the browser or a proxy."""
    response["Cache-Control"] = "no-store, private"
    return response


def tag_labels() -> dict[str, str]:
    return dict(ReasonTag.objects.values_list("code", "label"))


@dataclass
class CaseRow:
    case: Case
    due_kind: str
    due_label: str
    due_at: datetime | None
    overdue: bool
    tags: list[str]


def case_row(case: Case, labels: dict[str, str], now: datetime) -> CaseRow:
    due = due_of(case)
    kind, at = due if due else ("", None)
    return CaseRow(
        case=case,
        due_kind=kind,
        due_label=str(DUE_LABELS.get(kind, "")),
        due_at=at,
        overdue=at is not None and at < now,
        tags=[labels.get(code, code) for code in case.reason_tags],
    )


def start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max))


def state_labels() -> dict[str, str]:
    return {s.value: s.label for s in CaseState}


# --- the closed-loop banner --------------------------------------------------------------------------------
@dataclass
class BannerRate:
    label: str
    rate: Rate
    key: str
    target: str = ""

    @property
    def percent(self) -> str:
        return "—" if self.rate.percent is None else f"{self.rate.percent:g}%"


def banner_unit(actor, unit: Unit | None) -> tuple[bool, Unit | None]:
    """(shown, unit) for the indicators: the filtered unit when it is within reach; an officer's own unit
    otherwise; everything for tenant-wide roles. An officer placed in no unit sees no figures."""
    if is_tenant_wide(actor):
        return True, unit
    own = membership_unit(actor)
    if own is None:
        return False, None
    if unit is not None and in_scope(actor, unit, scope_unit=own):
        return True, unit
    return True, own


def banner(*, start: date | None, end: date | None, unit: Unit | None) -> list[BannerRate]:
    indicators = closed_loop_indicators(start=start, end=end, unit=unit)
    return [
        BannerRate(
            _("Real-name bad reviews called back and rectified (实名差评回访整改率)"),
            realname_callback_rate(start=start, end=end, unit=unit),
            "realname",
            target="100%",
        ),
        BannerRate(_("Bad reviews answered (差评回复率)"), indicators.reply, "reply"),
        BannerRate(
            _("Bad reviews called back and rectified (回访整改率)"),
            indicators.callback_rectification,
            "callback",
        ),
        BannerRate(
            _("Evaluators satisfied with the rectification (回访整改满意率)"),
            indicators.satisfaction,
            "satisfaction",
        ),
    ]
