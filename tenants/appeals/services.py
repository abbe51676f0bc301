"""Writes on appeals (申诉复核): file, add evidence, decide, withdraw; the tenant's appeal settings.

Each function takes the actor, runs in one transaction and leaves an audit row. The rules (who may appeal
which rating, who may decide which appeal) live in `selectors.py` so that the pages and the API list exactly
what the services accept.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.accounts.actors import Actor
from tenants.accounts.roles import Perm, has_permission
from tenants.accounts.services import audit_record
from tenants.appeals.models import Appeal, AppealEvidence, AppealSettings, AppealState, AppellantKind
from tenants.appeals.selectors import (
    appeal_may_decide,
    appeal_settings,
    appellant_kinds,
    decider_scope,
    is_rated_staff,
    user_of,
)
from tenants.evaluations.models import Evaluation
from tenants.organisation.selectors import membership_of
from tenants.workcalendar.services import add_working_days

STATEMENT_MAX_LENGTH = 4000
NOTE_MAX_LENGTH = 4000
EVIDENCE_MAX_FILES = 5
EVIDENCE_MAX_BYTES = 5 * 1024 * 1024
# content type → (magic prefix, the file-name extensions that may carry it)
EVIDENCE_TYPES = {
    "application/pdf": (b"%PDF-", ("pdf",)),
    "image/jpeg": (b"\xff\xd8\xff", ("jpg", "jpeg")),
    "image/png": (b"\x89PNG\r\n\x1a\n", ("png",)),
}
MAX_FILING_DAYS = 366
MAX_DECISION_WORKING_DAYS = 60


@dataclass(frozen=True)
class EvidenceUpload:
    name: str
    data: bytes


def evidence_check(*, name: str, data: bytes) -> tuple[str, str]:
    """(safe file name, content type) of one evidence file, or ValidationError keyed `evidence`. The type
    comes from the file's first bytes; a name claiming another type is refused too."""
    if len(data) > EVIDENCE_MAX_BYTES:
        raise ValidationError(
            {"evidence": [_("“%(name)s” is larger than 5 MB; each file is at most 5 MB.") % {"name": name}]}
        )
    if not data:
        raise ValidationError({"evidence": [_("“%(name)s” is empty.") % {"name": name}]})
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"\r\n;')[:200]
    content_type = next((t for t, (magic, _e) in EVIDENCE_TYPES.items() if data.startswith(magic)), None)
    extension = base.rsplit(".", 1)[-1].lower() if "." in base else ""
    if content_type is None or extension not in EVIDENCE_TYPES[content_type][1]:
        raise ValidationError(
            {
                "evidence": [
                    _(
                        "“%(name)s” is not a PDF, JPEG or PNG file (its content decides, and must match "
                        "its name)."
                    )
                    % {"name": base or "?"}
                ]
            }
        )
    return base, content_type


def _check_evidence(uploads: Sequence[EvidenceUpload], *, already: int = 0) -> list[tuple[str, str, bytes]]:
    if already + len(uploads) > EVIDENCE_MAX_FILES:
        raise ValidationError(
            {"evidence": [_("An appeal has at most %(n)d evidence files.") % {"n": EVIDENCE_MAX_FILES}]}
        )
    errors, checked = [], []
    for upload in uploads:
        try:
            name, content_type = evidence_check(name=upload.name, data=upload.data)
        except ValidationError as exc:
            errors.extend(exc.message_dict["evidence"])
        else:
            checked.append((name, content_type, upload.data))
    if errors:
        raise ValidationError({"evidence": errors})
    return checked


def _store_evidence(appeal: Appeal, checked: list[tuple[str, str, bytes]]) -> list[AppealEvidence]:
    return AppealEvidence.objects.bulk_create(
        [
            AppealEvidence(appeal=appeal, name=name, content_type=content_type, size=len(data), data=data)
            for name, content_type, data in checked
        ]
    )


def _clean_text(value: str, *, field: str, max_length: int, required_message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: [required_message]})
    if len(value) > max_length:
        raise ValidationError(
            {field: [_("At most %(n)s characters (this has %(m)s).") % {"n": max_length, "m": len(value)}]}
        )
    return value


@transaction.atomic
def appeal_file(
    *,
    actor: Actor,
    evaluation: Evaluation,
    statement: str,
    kind: str | None = None,
    evidence: Sequence[EvidenceUpload] = (),
    now: datetime | None = None,
) -> Appeal:
    """The rated staff member (kind "staff") or someone of the rated unit (kind "unit") appeals a current bad
    rating within the tenant's filing period; one open appeal per rating. `kind` None: staff when the account
    is the rated staff member, else unit."""
    if not has_permission(actor.role, Perm.FILE_APPEALS):
        raise PermissionDenied(_("Your role may not file appeals."))
    user = user_of(actor)
    membership = membership_of(user) if user is not None else None
    if membership is None:
        raise PermissionDenied(_("Only a person placed in a unit of the organisation may appeal."))
    now = now or timezone.now()
    # Serialise filings on one rating, so "one open appeal" holds without relying on the error of the index.
    evaluation = (
        Evaluation.objects.select_for_update(of=("self",))
        .select_related("transaction__unit", "transaction__window")
        .get(pk=evaluation.pk)
    )
    kinds = appellant_kinds(membership=membership, evaluation=evaluation)
    if not kinds:
        raise PermissionDenied(_("This rating is neither of you nor of your unit."))
    kind = kind or kinds[0]
    if kind not in AppellantKind.values:
        raise ValidationError({"kind": [_("Appeal as the rated staff member or as the rated unit.")]})
    if kind not in kinds:
        raise PermissionDenied(
            _("You are not the staff member rated here.")
            if kind == AppellantKind.STAFF
            else _("This rating is not of your unit.")
        )
    errors: dict[str, list[str]] = {}
    try:
        statement = _clean_text(
            statement,
            field="statement",
            max_length=STATEMENT_MAX_LENGTH,
            required_message=_("Say why the rating is wrong."),
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        checked = _check_evidence(evidence)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    if not evaluation.is_current:
        raise ValidationError({"evaluation": [_("This rating was revised; appeal the current rating.")]})
    if not evaluation.is_bad:
        raise ValidationError({"evaluation": [_("Only bad reviews (差评) can be appealed.")]})
    if evaluation.excluded:
        raise ValidationError({"evaluation": [_("This rating is already excluded from the statistics.")]})
    rules = appeal_settings()
    if now > evaluation.rated_at + timedelta(days=rules.filing_days):
        raise ValidationError(
            {
                "evaluation": [
                    _("Appeals are accepted within %(n)d days of the rating; this one is too late.")
                    % {"n": rules.filing_days}
                ]
            }
        )
    earlier = Appeal.objects.filter(evaluation=evaluation).exclude(state=AppealState.WITHDRAWN)
    if earlier.filter(state=AppealState.SUBMITTED).exists():
        raise ValidationError({"evaluation": [_("This rating already has an open appeal.")]})
    if earlier.exists():
        raise ValidationError({"evaluation": [_("An appeal on this rating was already decided.")]})
    txn = evaluation.transaction
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(
                evaluation=evaluation,
                appellant=user,
                appellant_kind=kind,
                appellant_unit=membership.unit,
                rated_unit=txn.unit,
                statement=statement,
                due_at=add_working_days(timezone.localdate(now), rules.decision_working_days),
                created_at=now,
            )
    except IntegrityError as exc:
        raise ValidationError({"evaluation": [_("This rating already has an open appeal.")]}) from exc
    _store_evidence(appeal, checked)
    audit_record(
        actor=actor,
        action="appeal.file",
        target=appeal,
        data={
            "evaluation": evaluation.pk,
            "kind": kind,
            "evidence": len(checked),
            "due": appeal.due_at.isoformat(),
        },
    )
    return appeal


@transaction.atomic
def appeal_evidence_add(
    *, actor: Actor, appeal: Appeal, evidence: Sequence[EvidenceUpload]
) -> list[AppealEvidence]:
    """The appellant adds files while the appeal awaits its decision (at most five in all)."""
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    if actor.kind != "user" or actor.id != appeal.appellant_id:
        raise PermissionDenied(_("Only the appellant adds evidence."))
    if appeal.state != AppealState.SUBMITTED:
        raise ValidationError({"evidence": [_("The appeal is no longer open.")]})
    if not evidence:
        raise ValidationError({"evidence": [_("Choose at least one file.")]})
    checked = _check_evidence(evidence, already=appeal.evidence.count())
    stored = _store_evidence(appeal, checked)
    audit_record(
        actor=actor,
        action="appeal.evidence_add",
        target=appeal,
        data={"files": [name for name, _t, _d in checked]},
    )
    return stored


@transaction.atomic
def appeal_decide(
    *, actor: Actor, appeal: Appeal, decision: str, note: str, now: datetime | None = None
) -> Appeal:
    """Uphold or reject, with a note. Upheld: the rating is marked excluded (kept, with the reason) in the same
    transaction, and so leaves every indicator. Rejected: the rating is untouched."""
    if actor.kind != "system" and not has_permission(actor.role, Perm.DECIDE_APPEALS):
        raise PermissionDenied(_("Your role may not decide appeals."))
    appeal = (
        Appeal.objects.select_for_update(of=("self",))
        .select_related("evaluation__transaction__window", "rated_unit", "appellant_unit")
        .get(pk=appeal.pk)
    )
    if actor.kind == "user" and actor.id == appeal.appellant_id:
        raise PermissionDenied(_("Nobody decides their own appeal."))
    if is_rated_staff(decider_scope(actor), appeal):
        raise PermissionDenied(_("The rated staff member cannot decide an appeal about their own rating."))
    if not appeal_may_decide(actor=actor, appeal=appeal):
        raise PermissionDenied(_("Only a reviewer above the rated unit decides this appeal."))
    if appeal.state != AppealState.SUBMITTED:
        raise ValidationError({"decision": [_("This appeal was already decided or withdrawn.")]})
    if decision not in (AppealState.UPHELD, AppealState.REJECTED):
        raise ValidationError({"decision": [_("Uphold or reject the appeal.")]})
    note = _clean_text(
        note,
        field="note",
        max_length=NOTE_MAX_LENGTH,
        required_message=_("Give the reason for the decision."),
    )
    now = now or timezone.now()
    reviewer = user_of(actor)
    appeal.state = decision
    appeal.reviewer = reviewer
    appeal.reviewer_label = actor.label[:254]
    appeal.decision_note = note
    appeal.decided_at = now
    appeal.save(update_fields=["state", "reviewer", "reviewer_label", "decision_note", "decided_at"])
    audit_record(
        actor=actor,
        action="appeal.decide",
        target=appeal,
        data={"decision": decision, "evaluation": appeal.evaluation_id},
    )
    if decision == AppealState.UPHELD:
        evaluation = (
            Evaluation.objects.select_for_update()
            .only("excluded", "excluded_reason")
            .get(pk=appeal.evaluation_id)
        )
        reason = f"appeal #{appeal.pk} upheld: {note}"
        evaluation.excluded = True
        evaluation.excluded_reason = (
            f"{evaluation.excluded_reason}\n{reason}" if evaluation.excluded_reason else reason
        )
        evaluation.save(update_fields=["excluded", "excluded_reason"])
        audit_record(
            actor=actor,
            action="evaluation.exclude",
            target=evaluation,
            data={"appeal": appeal.pk},
            reason=note,
        )
    return appeal


@transaction.atomic
def appeal_withdraw(*, actor: Actor, appeal: Appeal, now: datetime | None = None) -> Appeal:
    """The appellant takes back an appeal that awaits its decision."""
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    if actor.kind != "user" or actor.id != appeal.appellant_id:
        raise PermissionDenied(_("Only the appellant withdraws an appeal."))
    if appeal.state != AppealState.SUBMITTED:
        raise ValidationError({"state": [_("Only an appeal awaiting its decision can be withdrawn.")]})
    appeal.state = AppealState.WITHDRAWN
    appeal.withdrawn_at = now or timezone.now()
    appeal.save(update_fields=["state", "withdrawn_at"])
    audit_record(
        actor=actor, action="appeal.withdraw", target=appeal, data={"evaluation": appeal.evaluation_id}
    )
    return appeal


@transaction.atomic
def appeal_settings_set(*, actor: Actor, filing_days: int, decision_working_days: int) -> AppealSettings:
    if actor.kind != "system" and not has_permission(actor.role, Perm.CONFIGURE_CASES):
        raise PermissionDenied(_("Your role may not change the appeal settings."))
    errors: dict[str, list[str]] = {}
    if not isinstance(filing_days, int) or not 1 <= filing_days <= MAX_FILING_DAYS:
        errors["filing_days"] = [_("Between 1 and %(n)d days.") % {"n": MAX_FILING_DAYS}]
    if (
        not isinstance(decision_working_days, int)
        or not 1 <= decision_working_days <= MAX_DECISION_WORKING_DAYS
    ):
        errors["decision_working_days"] = [
            _("Between 1 and %(n)d working days.") % {"n": MAX_DECISION_WORKING_DAYS}
        ]
    if errors:
        raise ValidationError(errors)
    rules = AppealSettings.objects.select_for_update().order_by("pk").first() or AppealSettings()
    rules.filing_days, rules.decision_working_days = filing_days, decision_working_days
    rules.save()
    audit_record(
        actor=actor,
        action="appeal_settings.set",
        target=rules,
        data={"filing_days": filing_days, "decision_working_days": decision_working_days},
    )
    return rules
