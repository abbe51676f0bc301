"""Reads for staff screens over evaluations: filtered, current revisions, identity masked."""

from datetime import date, datetime, time

from django.db.models import QuerySet
from django.utils import timezone

from tenants.evaluations.models import SCALE_WORDS, Evaluation
from tenants.evaluations.selectors import intake_config
from tenants.privacy.identity import identity_from_row


def evaluation_list(
    *,
    start: date | None = None,
    end: date | None = None,
    channel: str = "",
    bad_only: bool = False,
    q: str = "",
) -> QuerySet[Evaluation]:
    rows = Evaluation.objects.filter(is_current=True).select_related(
        "transaction__item", "transaction__unit", "transaction__window", "transaction__staff"
    )
    if start:
        rows = rows.filter(rated_at__gte=timezone.make_aware(datetime.combine(start, time.min)))
    if end:
        rows = rows.filter(rated_at__lte=timezone.make_aware(datetime.combine(end, time.max)))
    if channel:
        rows = rows.filter(channel=channel)
    if bad_only:
        rows = rows.filter(is_bad=True)
    if q:
        rows = rows.filter(transaction__number=q.strip())
    return rows.order_by("-rated_at", "-id")


def evaluation_masked_row(evaluation: Evaluation, words: tuple[str, ...] | None = None) -> dict:
    """What a staff screen or an export shows: never the identity in full."""
    words = words or SCALE_WORDS[intake_config().scale]
    txn = evaluation.transaction
    masked = identity_from_row(evaluation, "evaluator").masked() if not evaluation.anonymous else None
    return {
        "id": evaluation.pk,
        "rated_at": timezone.localtime(evaluation.rated_at),
        "transaction": txn.number,
        "item": txn.item.name,
        "unit": txn.unit.name,
        "window": txn.window.name if txn.window else "",
        "staff": txn.staff.name if txn.staff else "",
        "channel": evaluation.get_channel_display(),
        "level": evaluation.level,
        "level_word": words[evaluation.level - 1],
        "is_bad": evaluation.is_bad,
        "reason_tags": evaluation.reason_tags,
        "comment": evaluation.comment,
        "revision": evaluation.revision,
        "is_default": evaluation.is_default,
        "is_supplementary": evaluation.is_supplementary,
        "anonymous": evaluation.anonymous,
        "evaluator": masked,
    }
