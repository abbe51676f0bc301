"""Writes on the catalogue. A published guide is never edited in place: an edit makes a new version."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.accounts.actors import Actor
from tenants.accounts.services import audit_record
from tenants.catalog.models import (
    GuideCorrectionState,
    GuideCorrectionTask,
    GuideVersion,
    ItemStatus,
    ItemType,
    PromiseType,
    ServiceItem,
)
from tenants.organisation.models import Unit

GUIDE_FIELDS = (
    "accepting_unit",
    "channels",
    "conditions",
    "materials",
    "steps",
    "time_limit_days",
    "promise_type",
    "fee_basis",
    "fee_standard",
    "evaluation_channels",
)
ITEM_EDITABLE = ("name", "item_type", "legal_basis", "responsible_unit")
MAX_TIME_LIMIT_DAYS = 999


def guide_problems(values: dict) -> dict[str, str]:
    """The rules a guide must follow, field → message (forms, services and the import share them)."""
    problems = {}
    promise = values.get("promise_type", PromiseType.PROMISED)
    days = values.get("time_limit_days", 0)
    if promise not in PromiseType.values:
        problems["promise_type"] = _("Unknown promise type “%(value)s”.") % {"value": promise}
    if not isinstance(days, int) or not 0 <= days <= MAX_TIME_LIMIT_DAYS:
        problems["time_limit_days"] = _("Give a time limit from 0 to %(max)s working days.") % {
            "max": MAX_TIME_LIMIT_DAYS
        }
    elif promise == PromiseType.PROMISED and days < 1:
        problems["time_limit_days"] = _("A 承诺件 needs a time limit of at least one working day.")
    for field in ("channels", "materials", "steps", "evaluation_channels"):
        if field in values and not (
            isinstance(values[field], list) and all(isinstance(v, str) for v in values[field])
        ):
            problems[field] = _("Give a list of texts.")
    return problems


def _check_guide(values: dict) -> None:
    problems = guide_problems(values)
    if problems:
        raise ValidationError({field: [message] for field, message in problems.items()})


def _check_item(*, code: str, name: str, item_type: str, responsible_unit, exclude: int | None = None):
    errors = {}
    if not (code or "").strip() or len(code) > 64:
        errors["code"] = [_("Give a code of 1–64 characters.")]
    elif ServiceItem.objects.filter(code=code).exclude(pk=exclude).exists():
        errors["code"] = [_("Item code “%(code)s” is already used.") % {"code": code}]
    if not (name or "").strip() or len(name) > 300:
        errors["name"] = [_("Give a name of 1–300 characters.")]
    if item_type not in ItemType.values:
        errors["item_type"] = [_("Unknown item type “%(type)s”.") % {"type": item_type}]
    if responsible_unit is not None and not isinstance(responsible_unit, Unit):
        errors["responsible_unit"] = [_("Choose a unit.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def item_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    item_type: str,
    legal_basis: str = "",
    responsible_unit=None,
    publish: bool = False,
    **guide,
) -> ServiceItem:
    _check_item(code=code, name=name, item_type=item_type, responsible_unit=responsible_unit)
    guide_values = {k: v for k, v in guide.items() if k in GUIDE_FIELDS}
    _check_guide(guide_values)
    item = ServiceItem.objects.create(
        code=code, name=name, item_type=item_type, legal_basis=legal_basis, responsible_unit=responsible_unit
    )
    GuideVersion.objects.create(item=item, version=1, **guide_values)
    audit_record(actor=actor, action="item.create", target=item, data={"code": code})
    if publish:
        item_publish(actor=actor, item=item)
    return item


@transaction.atomic
def item_update(*, actor: Actor, item: ServiceItem, **changes) -> ServiceItem:
    """Change the item's own fields (not versioned). Its code can change only while it was never published:
    integrations and past transactions know a published item by its code."""
    item = ServiceItem.objects.select_for_update().get(pk=item.pk)
    values = {f: getattr(item, f) for f in ("code", *ITEM_EDITABLE)}
    values.update({k: v for k, v in changes.items() if k in values})
    if values["code"] != item.code and item.current_guide_id is not None:
        raise ValidationError({"code": [_("The code of a published item cannot change.")]})
    _check_item(
        code=values["code"],
        name=values["name"],
        item_type=values["item_type"],
        responsible_unit=values["responsible_unit"],
        exclude=item.pk,
    )
    changed = {f: str(values[f]) for f in ("code", *ITEM_EDITABLE) if values[f] != getattr(item, f)}
    if changed:
        for field, value in values.items():
            setattr(item, field, value)
        item.save()
        audit_record(actor=actor, action="item.update", target=item, data={"changed": sorted(changed)})
    return item


@transaction.atomic
def guide_edit(*, actor: Actor, item: ServiceItem, **changes) -> GuideVersion:
    """Edit the newest guide; if it is published, the edit becomes a new draft version. An edit that
    changes nothing makes no version."""
    latest = item.guides.select_for_update().order_by("-version").first()
    values = {field: getattr(latest, field) for field in GUIDE_FIELDS}
    values.update({k: v for k, v in changes.items() if k in GUIDE_FIELDS})
    _check_guide(values)
    if all(getattr(latest, field) == value for field, value in values.items()):
        return latest
    if latest.published_at is None:
        for field, value in values.items():
            setattr(latest, field, value)
        latest.save()
        guide = latest
    else:
        guide = GuideVersion.objects.create(item=item, version=latest.version + 1, **values)
    audit_record(actor=actor, action="guide.edit", target=guide, data={"version": guide.version})
    return guide


@transaction.atomic
def item_publish(*, actor: Actor, item: ServiceItem) -> ServiceItem:
    """Publish the newest guide version; evaluations from now on record it."""
    latest = item.guides.order_by("-version").first()
    newly_published = latest.published_at is None
    if newly_published:
        latest.published_at = timezone.now()
        latest.save(update_fields=["published_at"])
    item.current_guide = latest
    item.status = ItemStatus.PUBLISHED
    item.save(update_fields=["current_guide", "status", "updated_at"])
    audit_record(actor=actor, action="item.publish", target=item, data={"version": latest.version})
    if newly_published:  # a new version corrects the guide: its open correction tasks are done with it
        guide_corrections_done(actor=actor, guides=[latest])
    return item


@transaction.atomic
def item_retire(*, actor: Actor, item: ServiceItem) -> ServiceItem:
    item.status = ItemStatus.RETIRED
    item.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="item.retire", target=item)
    return item


# --- root cause in the catalogue (根因在清单) ------------------------------------------------------------------
@transaction.atomic
def guide_correction_open(
    *,
    actor: Actor,
    item: ServiceItem,
    case_id: int,
    case_number: str,
    tag: str,
    note: str,
    wrong_version: GuideVersion | None = None,
) -> tuple[GuideCorrectionTask, bool]:
    """Open a guide-correction task for the item's responsible unit: case `case_id` (a bad review with reason
    `tag`, which points at the guide) was judged "the guide is wrong". (task, created); a case opens one
    task per reason, so calling again returns the existing one. Called by
    tenants.cases.services.root_cause.case_flag_guide_defect, which checks the case."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Say what is wrong in the guide.")]})
    if len(note) > 2000:
        raise ValidationError({"note": [_("At most %(n)d characters.") % {"n": 2000}]})
    existing = GuideCorrectionTask.objects.filter(case_id=case_id, tag=tag).first()
    if existing is not None:
        return existing, False
    task = GuideCorrectionTask.objects.create(
        item=item,
        unit=item.responsible_unit,
        case_id=case_id,
        case_number=case_number,
        tag=tag,
        note=note,
        wrong_version=wrong_version,
        created_by=actor.label[:254],
        created_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="guide_correction.open",
        target=task,
        reason=note[:500],
        data={"item": item.code, "case": case_number, "tag": tag},
    )
    return task, True


def guide_corrections_done(*, actor: Actor, guides: list[GuideVersion]) -> int:
    """Mark the open correction tasks of each guide's item done with that (newly published) version; returns
    how many. Called by item_publish and by the import's publishing step."""
    done = 0
    now = timezone.now()
    for guide in guides:
        tasks = list(
            GuideCorrectionTask.objects.select_for_update().filter(
                item_id=guide.item_id,
                state=GuideCorrectionState.OPEN,
                created_at__lte=guide.published_at or now,
            )
        )
        for task in tasks:
            task.state, task.done_at, task.corrected_version = GuideCorrectionState.DONE, now, guide
            task.save(update_fields=["state", "done_at", "corrected_version"])
            audit_record(
                actor=actor,
                action="guide_correction.done",
                target=task,
                data={"case": task.case_number, "tag": task.tag, "version": guide.version},
            )
        done += len(tasks)
    return done
