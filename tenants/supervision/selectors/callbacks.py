"""Reads for random-sample callbacks (回访): the population a draw picks from, progress, and tasks."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import CharField, Count, Q, QuerySet, Value
from django.db.models.functions import MD5, Cast, Concat
from django.utils import timezone

from tenants.evaluations.models import Evaluation
from tenants.privacy.identity import Identity, identity_from_row
from tenants.supervision.models import CallbackSample, CallbackTask


@dataclass(frozen=True)
class SampleCriteria:
    period_start: date
    period_end: date
    unit: object | None = None  # organisation.Unit: its whole subtree
    item: object | None = None  # catalog.ServiceItem
    contactable_only: bool = True


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def sample_population(criteria: SampleCriteria) -> QuerySet:
    """Current, not excluded evaluations rated in the period (local dates, both ends included), in the unit's
    subtree (handling unit or window) and of the item, that no open sample has drawn yet."""
    evaluations = Evaluation.objects.filter(
        is_current=True,
        excluded=False,
        rated_at__gte=_local_midnight(criteria.period_start),
        rated_at__lt=_local_midnight(criteria.period_end + timedelta(days=1)),
    )
    if criteria.unit is not None:
        prefix = criteria.unit.path
        evaluations = evaluations.filter(
            Q(transaction__unit__path__startswith=prefix) | Q(transaction__window__path__startswith=prefix)
        )
    if criteria.item is not None:
        evaluations = evaluations.filter(transaction__item=criteria.item)
    if criteria.contactable_only:
        evaluations = evaluations.exclude(evaluator_phone="")
    return evaluations.exclude(pk__in=CallbackTask.objects.filter(sample_open=True).values("evaluation_id"))


def sample_draw_ids(population: QuerySet, *, seed: int, size: int) -> list[int]:
    """The `size` evaluations with the smallest md5("<seed>:<id>"): a pseudo-random order computed in the
    database, so the same seed over the same population always draws the same evaluations."""
    if size <= 0:
        return []
    keyed = population.annotate(
        draw_key=MD5(
            Concat(Value(f"{seed}:"), Cast("id", output_field=CharField()), output_field=CharField())
        )
    )
    return list(keyed.order_by("draw_key", "id").values_list("id", flat=True)[:size])


def samples_with_progress() -> QuerySet:
    return (
        CallbackSample.objects.select_related("unit", "item")
        .annotate(total=Count("tasks"), done_count=Count("tasks", filter=Q(tasks__done=True)))
        .order_by("-created_at", "-id")
    )


def sample_progress(sample: CallbackSample) -> tuple[int, int]:
    counts = sample.tasks.aggregate(total=Count("id"), done=Count("id", filter=Q(done=True)))
    return counts["done"], counts["total"]


def tasks_of_sample(sample: CallbackSample) -> QuerySet:
    return sample.tasks.select_related(
        "assignee", "evaluation__transaction__item", "evaluation__transaction__window"
    ).order_by("id")


def tasks_assigned_to(user) -> QuerySet:
    return (
        CallbackTask.objects.filter(assignee=user)
        .select_related("sample", "evaluation__transaction__item")
        .order_by("done", "sample_id", "id")
    )


def task_detail(pk: int) -> CallbackTask:
    return CallbackTask.objects.select_related(
        "sample",
        "assignee",
        "evaluation__transaction__item",
        "evaluation__transaction__unit",
        "evaluation__transaction__window",
        "evaluation__transaction__staff",
    ).get(pk=pk)


def evaluator_masked(evaluation: Evaluation) -> dict[str, str]:
    """What a callback page shows without a reveal: masked name, phone and ID."""
    return evaluator_identity(evaluation).masked()


def evaluator_identity(evaluation: Evaluation) -> Identity:
    return identity_from_row(evaluation, "evaluator")
