"""Reads on the catalogue for the staff screens."""

from django.db.models import Q, QuerySet

from tenants.catalog.models import GuideVersion, ImportJob, ServiceItem


def item_list(*, q: str = "", status: str = "") -> QuerySet[ServiceItem]:
    items = ServiceItem.objects.select_related("responsible_unit", "current_guide").order_by("code")
    if q:
        items = items.filter(Q(code__icontains=q) | Q(name__icontains=q))
    if status:
        items = items.filter(status=status)
    return items


def item_guides(*, item: ServiceItem) -> list[GuideVersion]:
    """Every version of the item's guide, newest first."""
    return list(item.guides.order_by("-version"))


def import_jobs_recent(*, kinds: list[str], limit: int = 20) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(kind__in=kinds).defer("data", "errors_file")[:limit]
