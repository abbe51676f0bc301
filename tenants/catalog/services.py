"""Writes on the catalogue. A published guide is never edited in place: an edit makes a new version."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.accounts.actors import Actor
from tenants.accounts.services import audit_record
from tenants.catalog.models import GuideVersion, ItemStatus, ItemType, ServiceItem

GUIDE_FIELDS = ("accepting_unit", "channels", "conditions", "materials", "steps", "time_limit_days",
                "promise_type", "fee_basis", "fee_standard", "evaluation_channels")


@transaction.atomic
def item_create(*, actor: Actor, code: str, name: str, item_type: str, legal_basis: str = "",
                responsible_unit=None, publish: bool = False, **guide) -> ServiceItem:
    if item_type not in ItemType.values:
        raise ValidationError({"item_type": [_("Unknown item type “%(type)s”.") % {"type": item_type}]})
    if ServiceItem.objects.filter(code=code).exists():
        raise ValidationError({"code": [_("Item code “%(code)s” is already used.") % {"code": code}]})
    item = ServiceItem.objects.create(code=code, name=name, item_type=item_type, legal_basis=legal_basis,
                                      responsible_unit=responsible_unit)
    GuideVersion.objects.create(item=item, version=1, **{k: v for k, v in guide.items() if k in GUIDE_FIELDS})
    audit_record(actor=actor, action="item.create", target=item, data={"code": code})
    if publish:
        item_publish(actor=actor, item=item)
    return item


@transaction.atomic
def guide_edit(*, actor: Actor, item: ServiceItem, **changes) -> GuideVersion:
    """Edit the newest guide; if it is published, the edit becomes a new draft version."""
    latest = item.guides.order_by("-version").first()
    values = {field: getattr(latest, field) for field in GUIDE_FIELDS}
    values.update({k: v for k, v in changes.items() if k in GUIDE_FIELDS})
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
    if latest.published_at is None:
        latest.published_at = timezone.now()
        latest.save(update_fields=["published_at"])
    item.current_guide = latest
    item.status = ItemStatus.PUBLISHED
    item.save(update_fields=["current_guide", "status", "updated_at"])
    audit_record(actor=actor, action="item.publish", target=item, data={"version": latest.version})
    return item


@transaction.atomic
def item_retire(*, actor: Actor, item: ServiceItem) -> ServiceItem:
    item.status = ItemStatus.RETIRED
    item.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="item.retire", target=item)
    return item
