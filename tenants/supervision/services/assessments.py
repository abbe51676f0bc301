"""The register of commissioned third-party assessments (第三方评估). Reports are stored in the database,
limited in size and to document types recognised by their first bytes, not by the name the browser sent."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tenants.accounts.actors import Actor
from tenants.accounts.roles import Perm
from tenants.accounts.services import audit_record
from tenants.supervision.models import ThirdPartyAssessment
from tenants.supervision.services.common import require_permission

REPORT_MAX_BYTES = 10 * 1024 * 1024
# extension → (content type, magic prefix). DOCX and XLSX are ZIP containers.
REPORT_TYPES = {
    "pdf": ("application/pdf", b"%PDF-"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK\x03\x04"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK\x03\x04"),
}


def report_check(*, name: str, data: bytes) -> tuple[str, str]:
    """(safe file name, content type) of an upload, or ValidationError keyed `report`."""
    if len(data) > REPORT_MAX_BYTES:
        raise ValidationError({"report": [_("A report is at most 10 MB.")]})
    if not data:
        raise ValidationError({"report": [_("The file is empty.")]})
    base = (name or "report").replace("\\", "/").rsplit("/", 1)[-1].strip()
    extension = base.rsplit(".", 1)[-1].lower() if "." in base else ""
    kind = REPORT_TYPES.get(extension)
    if kind is None or not data.startswith(kind[1]):
        raise ValidationError({"report": [_("Upload the report as PDF, DOCX or XLSX.")]})
    safe = (
        "".join(ch for ch in base if ch.isprintable() and ch not in '"\r\n;')[:200] or f"report.{extension}"
    )
    return safe, kind[0]


@transaction.atomic
def assessment_create(
    *,
    actor: Actor,
    organisation: str,
    scope: str,
    period_start: date,
    period_end: date,
    score=None,
    summary: str = "",
    report_name: str = "",
    report_data: bytes | None = None,
) -> ThirdPartyAssessment:
    require_permission(actor, Perm.RUN_SUPERVISION)
    errors: dict[str, list[str]] = {}
    organisation, scope, summary = (
        (organisation or "").strip(),
        (scope or "").strip(),
        (summary or "").strip(),
    )
    if not organisation or len(organisation) > 200:
        errors["organisation"] = [_("Name the assessing organisation (1–200 characters).")]
    if not scope or len(scope) > 4000:
        errors["scope"] = [_("Describe the scope (1–4,000 characters).")]
    if not isinstance(period_start, date) or not isinstance(period_end, date) or period_end < period_start:
        errors["period_end"] = [_("The period ends on or after the day it starts.")]
    if score is not None and score != "":
        try:
            score = Decimal(str(score))
        except InvalidOperation:
            score = Decimal(-1)
        if not Decimal(0) <= score <= Decimal(1000):
            errors["score"] = [_("A score is a number from 0 to 1000.")]
    else:
        score = None
    if len(summary) > 10000:
        errors["summary"] = [_("The summary is at most 10,000 characters.")]
    name = content_type = ""
    if report_data is not None:
        try:
            name, content_type = report_check(name=report_name, data=report_data)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    assessment = ThirdPartyAssessment.objects.create(
        organisation=organisation,
        scope=scope,
        period_start=period_start,
        period_end=period_end,
        score=score,
        summary=summary,
        report_name=name,
        report_content_type=content_type,
        report_size=len(report_data or b""),
        report_data=report_data if report_data is not None else None,
        created_by=actor.label[:254],
    )
    audit_record(
        actor=actor,
        action="assessment.create",
        target=assessment,
        data={"organisation": organisation, "report": name, "size": assessment.report_size},
    )
    return assessment


@transaction.atomic
def assessment_delete(*, actor: Actor, assessment: ThirdPartyAssessment) -> None:
    require_permission(actor, Perm.RUN_SUPERVISION)
    data = {
        "organisation": assessment.organisation,
        "period": f"{assessment.period_start}–{assessment.period_end}",
    }
    assessment_id = assessment.pk
    assessment.delete()
    audit_record(actor=actor, action="assessment.delete", target=None, data={"id": assessment_id, **data})
