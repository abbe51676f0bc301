"""Reads on the catalogue for the staff screens."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Q, QuerySet

from tenants.catalog.models import (
    GuideCorrectionState,
    GuideCorrectionTask,
    GuideVersion,
    ImportJob,
    ServiceItem,
)


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


# --- root cause in the catalogue (根因在清单) ------------------------------------------------------------------
def _tag_labels() -> dict[str, str]:
    from tenants.evaluations.models import ReasonTag

    return dict(ReasonTag.objects.values_list("code", "label"))


def guide_corrections_for_item(*, item: ServiceItem) -> dict[str, list[GuideCorrectionTask]]:
    """{"open": [...], "done": [...]}, newest first; each task has `tag_label`."""
    labels = _tag_labels()
    tasks = list(
        GuideCorrectionTask.objects.filter(item=item).select_related(
            "unit", "wrong_version", "corrected_version"
        )
    )
    for task in tasks:
        task.tag_label = labels.get(task.tag, task.tag)
    return {
        "open": [t for t in tasks if t.state == GuideCorrectionState.OPEN],
        "done": [t for t in tasks if t.state == GuideCorrectionState.DONE],
    }


def guide_corrections_for_case(*, case_id: int) -> list[GuideCorrectionTask]:
    """The correction tasks a case opened (for the case page)."""
    return list(
        GuideCorrectionTask.objects.filter(case_id=case_id).select_related("item", "corrected_version")
    )


@dataclass(frozen=True)
class TagRecurrence:
    """Whether a reason the guide was corrected for comes back: ratings with `tag` on the corrected version
    or a later one (`after`), against those on earlier versions (`before`)."""

    tag: str
    label: str
    corrected_version: GuideVersion
    tasks: int
    after: int
    before: int
    last_after: datetime | None

    @property
    def recurred(self) -> bool:
        return self.after > 0


def guide_tag_recurrence(*, item: ServiceItem) -> list[TagRecurrence]:
    """For each reason tag with a done correction task on the item: the corrected version (the newest one
    that closed a task for the tag) and how many current, not excluded ratings of the item carry the tag on
    that version or a later one, and on earlier versions. Ordered by tag."""
    from tenants.evaluations.models import Evaluation

    done = (
        GuideCorrectionTask.objects.filter(item=item, state=GuideCorrectionState.DONE)
        .exclude(corrected_version=None)
        .select_related("corrected_version")
        .order_by("tag", "-corrected_version__version")
    )
    newest: dict[str, tuple[GuideVersion, int]] = {}
    for task in done:
        version, count = newest.get(task.tag, (task.corrected_version, 0))
        newest[task.tag] = (version, count + 1)
    if not newest:
        return []
    labels = _tag_labels()
    rows = []
    ratings = Evaluation.objects.filter(guide_version__item=item, is_current=True, excluded=False)
    for tag, (version, tasks) in sorted(newest.items()):
        counts = ratings.filter(reason_tags__contains=[tag]).aggregate(
            after=Count("id", filter=Q(guide_version__version__gte=version.version)),
            before=Count("id", filter=Q(guide_version__version__lt=version.version)),
            last_after=Max("rated_at", filter=Q(guide_version__version__gte=version.version)),
        )
        rows.append(
            TagRecurrence(
                tag=tag,
                label=labels.get(tag, tag),
                corrected_version=version,
                tasks=tasks,
                after=counts["after"],
                before=counts["before"],
                last_after=counts["last_after"],
            )
        )
    return rows
