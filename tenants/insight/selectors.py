"""Reading the rollups: the scope of a question (period and filters), the rollup rows in scope, and the DOMAIN.md
§10 indicators with numerator and denominator. Dashboards, scorecards, rankings, reports, the portal and the
indicators API all start here; none of them reads raw evaluations.

Definitions (DOMAIN.md §10; only counted ratings: the current revision, not excluded by an appeal):
- good_rate 好评率 = levels 1–3 ÷ counted ratings; bad_rate 差评率 = levels 4–5 ÷ counted ratings;
- active_good_rate 主动评价好评率 = levels 1–3 ÷ ratings the evaluator gave (defaults kept apart);
- participation_rate 评价率 = transactions with a counted rating ÷ transactions (by day of receipt);
- unrated_rate 未评率 = finished transactions never rated by the end of their rating period ÷ finished
  transactions whose rating period is over;
- reply_rate 差评回复率, callback_rectification_rate 回访整改率, rectification_satisfaction_rate 回访整改满意率 =
  bad reviews answered / called back and rectified / whose evaluator was satisfied ÷ bad reviews (cases of
  counted ratings, by the day of the bad review); rectification_rate 差评整改率 = closed ÷ verified; on_time_rate 按时整改率 =
  closed by the rectification deadline ÷ closed; realname_callback_rectification_rate 实名差评回访整改率 =
  real-name bad reviews called back and closed ÷ real-name bad reviews.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from tenants.catalog.models import ServiceItem
from tenants.insight.models import (
    CaseDayRollup,
    CaseRollup,
    RatingDayRollup,
    RatingHourRollup,
    RatingRollup,
    TransactionDayRollup,
    TransactionRollup,
)
from tenants.organisation.models import Unit


@dataclass(frozen=True)
class Indicator:
    numerator: int
    denominator: int
    value: float | None = field(init=False)  # the ratio, or None when there is nothing to divide by

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", self.numerator / self.denominator if self.denominator else None)

    @property
    def percent(self) -> float | None:
        return None if self.value is None else round(100 * self.value, 2)


# id → label, in the order people read them
INDICATORS = {
    "good_rate": _("Good-review rate (好评率)"),
    "active_good_rate": _("Active good-review rate (主动评价好评率)"),
    "bad_rate": _("Bad-review rate (差评率)"),
    "unrated_rate": _("Unrated rate (未评率)"),
    "participation_rate": _("Participation rate (评价率)"),
    "reply_rate": _("Bad-review reply rate (差评回复率)"),
    "callback_rectification_rate": _("Callback and rectification rate (回访整改率)"),
    "rectification_satisfaction_rate": _("Rectification satisfaction rate (回访整改满意率)"),
    "on_time_rate": _("On-time rectification rate (按时整改率)"),
    "realname_callback_rectification_rate": _(
        "Real-name callback and rectification rate (实名差评回访整改率)"
    ),
    "rectification_rate": _("Rectification rate (差评整改率)"),
}


@dataclass(frozen=True)
class Scope:
    """A question's period (local dates, both included) and filters."""

    start: date
    end: date
    unit: Unit | None = None  # this unit and everything below it (handling unit or window)
    item: ServiceItem | None = None
    channel: str | None = None
    item_type: str | None = None

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("end must not be before start")

    @property
    def filtered(self) -> bool:
        return any((self.unit, self.item, self.channel, self.item_type))


def rollup_filter(scope: Scope) -> Q:
    """The scope as a filter on any fine rollup (rating, transaction, case): the period, the unit's subtree by
    handling unit or window, the item, its type, the channel."""
    q = Q(day__gte=scope.start, day__lte=scope.end)
    if scope.unit is not None:
        # the subtree's ids first: the rollups' (unit, day) and (window, day) indexes then apply
        ids = list(Unit.objects.filter(path__startswith=scope.unit.path).values_list("id", flat=True))
        q &= Q(unit_id__in=ids) | Q(window_id__in=ids)
    if scope.item is not None:
        q &= Q(item=scope.item)
    if scope.item_type:
        q &= Q(item__item_type=scope.item_type)
    if scope.channel:
        q &= Q(channel=scope.channel)
    return q


def rating_rollups(scope: Scope) -> QuerySet:
    """Rating rollup rows in scope: the small per-day table when the question is tenant-wide (with at most a
    channel), the fine table otherwise. Both have day, channel, level, is_default and count."""
    if not any((scope.unit, scope.item, scope.item_type)):
        rows = RatingDayRollup.objects.filter(day__gte=scope.start, day__lte=scope.end)
        return rows.filter(channel=scope.channel) if scope.channel else rows
    return RatingRollup.objects.filter(rollup_filter(scope))


def rating_hours(scope: Scope) -> QuerySet[RatingHourRollup] | None:
    """Counted ratings per day × hour × channel in scope (the hour-of-day heatmap); None when the scope has a
    unit, item or item type (the hour is kept tenant-wide only)."""
    if any((scope.unit, scope.item, scope.item_type)):
        return None
    rows = RatingHourRollup.objects.filter(day__gte=scope.start, day__lte=scope.end)
    return rows.filter(channel=scope.channel) if scope.channel else rows


def transaction_rollups(scope: Scope) -> QuerySet[TransactionRollup]:
    """Fine transaction rollup rows in scope (every dimension)."""
    return TransactionRollup.objects.filter(rollup_filter(scope))


def transaction_totals(scope: Scope) -> QuerySet:
    """Rows to sum TRANSACTION_MEASURES over: the per-day table when the question is tenant-wide."""
    if not any((scope.unit, scope.item, scope.item_type)):
        rows = TransactionDayRollup.objects.filter(day__gte=scope.start, day__lte=scope.end)
        return rows.filter(channel=scope.channel) if scope.channel else rows
    return transaction_rollups(scope)


def case_rollups(scope: Scope) -> QuerySet[CaseRollup]:
    """Fine case rollup rows in scope (every dimension)."""
    return CaseRollup.objects.filter(rollup_filter(scope))


def case_totals(scope: Scope) -> QuerySet:
    """Rows to sum CASE_MEASURES over: the per-day table when the question is tenant-wide."""
    if not any((scope.unit, scope.item, scope.item_type)):
        rows = CaseDayRollup.objects.filter(day__gte=scope.start, day__lte=scope.end)
        return rows.filter(channel=scope.channel) if scope.channel else rows
    return case_rollups(scope)


def _sum(column: str, condition: Q | None = None):
    return Coalesce(Sum(column, filter=condition), 0)


GOOD, BAD, GIVEN = Q(level__lte=3), Q(level__gte=4), Q(is_default=False)
RATING_MEASURES = {
    "ratings": _sum("count"),
    "good": _sum("count", GOOD),
    "bad": _sum("count", BAD),
    "given": _sum("count", GIVEN),
    "given_good": _sum("count", GIVEN & GOOD),
    "defaults": _sum("count", ~GIVEN),
}
TRANSACTION_MEASURES = {
    name: _sum(name) for name in ("transactions", "rated", "finished_closed", "finished_unrated")
}
CASE_MEASURES = {
    name: _sum(name)
    for name in (
        "total", "replied", "rectified", "satisfied", "verified", "closed", "verified_closed", "on_time",
        "realname_total", "realname_done",
    )
}  # fmt: skip


def rating_indicators(r: dict) -> dict[str, Indicator]:
    """The rating indicators from summed rating measures (RATING_MEASURES), for any grouping."""
    return {
        "good_rate": Indicator(r["good"], r["ratings"]),
        "active_good_rate": Indicator(r["given_good"], r["given"]),
        "bad_rate": Indicator(r["bad"], r["ratings"]),
    }


def indicators(scope: Scope) -> dict[str, Indicator]:
    """Every §10 indicator for the scope: three aggregate queries over the rollups."""
    r = rating_rollups(scope).aggregate(**RATING_MEASURES)
    t = transaction_totals(scope).aggregate(**TRANSACTION_MEASURES)
    c = case_totals(scope).aggregate(**CASE_MEASURES)
    return indicators_from(r, t, c)


def indicators_from(r: dict, t: dict, c: dict) -> dict[str, Indicator]:
    """The §10 indicators from summed rating, transaction and case measures (RATING_MEASURES,
    TRANSACTION_MEASURES, CASE_MEASURES): a caller that already sums the ratings in another grouping (the
    dashboards' overview) saves a scan."""
    result = rating_indicators(r)
    result.update(
        {
            "unrated_rate": Indicator(t["finished_unrated"], t["finished_closed"]),
            "participation_rate": Indicator(t["rated"], t["transactions"]),
            "reply_rate": Indicator(c["replied"], c["total"]),
            "callback_rectification_rate": Indicator(c["rectified"], c["total"]),
            "rectification_satisfaction_rate": Indicator(c["satisfied"], c["total"]),
            "on_time_rate": Indicator(c["on_time"], c["closed"]),
            "realname_callback_rectification_rate": Indicator(c["realname_done"], c["realname_total"]),
            "rectification_rate": Indicator(c["verified_closed"], c["verified"]),
        }
    )
    return {key: result[key] for key in INDICATORS}
