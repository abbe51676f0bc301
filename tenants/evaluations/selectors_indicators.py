"""Rating indicators (DOMAIN.md §10) over a period, computed from the raw evaluation rows in one aggregate
query. A later issue moves this onto rollup tables; the definitions and the return shape stay.

- Only current revisions count (a re-rating is a revision, not a second vote); excluded ratings (an upheld
  appeal) never count.
- 好评率 good_rate = valid ratings at levels 1–3 ÷ all valid ratings; 差评率 bad_rate = levels 4–5 ÷ all valid.
- 主动评价好评率 active_good_rate = the same among ratings the evaluator actually gave (not defaults).
- Default ratings are reported apart: default_share = default ratings ÷ all valid ratings.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from tenants.evaluations.models import Evaluation
from tenants.organisation.models import Unit


@dataclass(frozen=True)
class Indicator:
    numerator: int
    denominator: int
    value: float | None = field(init=False)  # the ratio, or None when there is nothing to divide by

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", self.numerator / self.denominator if self.denominator else None)


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[local midnight of start, local midnight after end): whole local days, both ends included."""
    return (
        timezone.make_aware(datetime.combine(start, time.min)),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min)),
    )


def valid_ratings(*, start: date, end: date, unit: Unit | None = None):
    """Current, non-excluded ratings rated in [start, end] (local dates), under `unit` (its subtree, by the
    transaction's handling unit or window) when given."""
    low, high = _bounds(start, end)
    rows = Evaluation.objects.filter(is_current=True, excluded=False, rated_at__gte=low, rated_at__lt=high)
    if unit is not None:
        rows = rows.filter(
            Q(transaction__unit__path__startswith=unit.path)
            | Q(transaction__window__path__startswith=unit.path)
        )
    return rows


def indicators(*, start: date, end: date, unit: Unit | None = None) -> dict[str, Indicator]:
    if end < start:
        raise ValueError("end must not be before start")
    good, bad = Q(level__lte=3), Q(level__gte=4)
    active = Q(is_default=False)
    totals = valid_ratings(start=start, end=end, unit=unit).aggregate(
        valid=Count("id"),
        good=Count("id", filter=good),
        bad=Count("id", filter=bad),
        active=Count("id", filter=active),
        active_good=Count("id", filter=active & good),
        defaults=Count("id", filter=~active),
    )
    return {
        "good_rate": Indicator(totals["good"], totals["valid"]),
        "bad_rate": Indicator(totals["bad"], totals["valid"]),
        "active_good_rate": Indicator(totals["active_good"], totals["active"]),
        "default_share": Indicator(totals["defaults"], totals["valid"]),
    }
