"""Root cause in the catalogue (根因在清单): a bad review whose reason points at the item's guide ("需提供办事
指南之外的申报材料", "在办事指南之外增加新的审批条件", … — the ReasonTag rows with points_at_guide) can be
judged "the guide is wrong". That verdict opens a guide-correction task for the item's responsible unit
(tenants.catalog.services.guide_correction_open); publishing a new guide version closes it
(tenants.catalog.services.item_publish), and the item page shows whether the reason recurs afterwards
(tenants.catalog.selectors.guide_tag_recurrence)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tenants.accounts.actors import Actor
from tenants.accounts.roles import Perm
from tenants.cases.models import Case, CaseState, Outcome, Verification
from tenants.cases.services.common import TransitionError, append_event, clean_note, lock, require
from tenants.catalog.models import GuideCorrectionTask
from tenants.catalog.services import guide_correction_open
from tenants.evaluations.models import ReasonTag

S = CaseState
# The case has its outcome (ledger, resolved) or is further on; "not adopted" is no verdict on the guide.
FLAG_STATES = (S.LEDGER, S.RESOLVED, S.FEEDBACK_SENT, S.CLOSED)


def guide_tags_of(case: Case) -> list[str]:
    """The case's reason tags that point at the item's guide, in the case's order."""
    guide_tags = set(ReasonTag.objects.filter(points_at_guide=True).values_list("code", flat=True))
    return [tag for tag in case.reason_tags if tag in guide_tags]


@transaction.atomic
def case_flag_guide_defect(*, actor: Actor, case: Case, note: str) -> list[GuideCorrectionTask]:
    """Verdict "the guide is wrong" on a resolved (or ledger, feedback-sent, closed) rating case whose reasons
    point at the guide: opens one guide-correction task per such reason for the item's responsible unit and
    records the verdict in the case's history (event "guide_defect", hash-chained). `note` (required) says
    what is wrong in the guide; it goes to the task.

    Who: HANDLE_CASES or SUPERVISE_CASES within the case's unit, as for resolving. Refused (ValidationError)
    when the case has no rated item, was verified as mistaken/malicious or not adopted, has no reason that
    points at the guide, or was flagged already (every reason has its task). Returns the tasks opened now."""
    case = lock(case)
    require(actor, case, Perm.HANDLE_CASES, Perm.SUPERVISE_CASES)
    if case.state not in FLAG_STATES:
        raise TransitionError(
            case, "flag-guide-defect", _("Decide the outcome first; then say whether the guide is wrong.")
        )
    note = clean_note(note, required=True, limit=2000)
    if case.outcome == Outcome.NOT_ADOPTED or case.verification in (
        Verification.MISTAKEN,
        Verification.MALICIOUS,
    ):
        raise ValidationError(
            {"guide_defect": [_("A rating found mistaken or malicious says nothing about the guide.")]}
        )
    if case.transaction_id is None:
        raise ValidationError({"guide_defect": [_("This case is not about a rated service item.")]})
    tags = guide_tags_of(case)
    if not tags:
        raise ValidationError(
            {"guide_defect": [_("None of this case's reasons points at the item's guide.")]}
        )
    txn = case.transaction
    item = txn.item
    wrong_version = (
        case.evaluation.guide_version if case.evaluation_id and case.evaluation.guide_version_id else None
    ) or txn.guide_version
    opened = []
    for tag in tags:
        task, created = guide_correction_open(
            actor=actor,
            item=item,
            case_id=case.pk,
            case_number=case.number,
            tag=tag,
            note=note,
            wrong_version=wrong_version,
        )
        if created:
            opened.append(task)
    if not opened:
        raise ValidationError({"guide_defect": [_("This case has already opened its guide corrections.")]})
    append_event(
        case,
        actor=actor,
        kind="guide_defect",
        note=note,
        data={
            "item": item.code,
            "tags": [t.tag for t in opened],
            "tasks": [t.pk for t in opened],
            "wrong_version": wrong_version.version if wrong_version else None,
        },
    )
    return opened
