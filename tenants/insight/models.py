"""Rollups: the aggregates every dashboard, ranking, report and the indicators API read (never raw ratings).

How they stay current (README.md in this folder has the whole story):
- Triggers on the evaluation, transaction and case tables write *change rows* in the same database transaction
  as the change itself (so nothing is missed, whatever code path wrote): a rating that starts or stops counting
  (+1 / −1: a new current rating, a revision superseding it, an exclusion by appeal), a transaction or a case
  touched.
- The worker drains change rows every few seconds: rating deltas are added to the two rating rollups in one
  statement; transaction and case rollups are recomputed for the days the changes touched.
- `rollups_rebuild` recomputes everything from the raw rows; `rollups_check` compares and names any drift.

Dimension columns are plain references without database constraints: rollups are derived data, and a foreign
key would make every drain lock the hot item/unit/window rows.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.catalog.models import PromiseType
from tenants.evaluations.models import Channel

DERIVED = {"on_delete": models.DO_NOTHING, "db_constraint": False, "related_name": "+"}


class _Described:
    """A readable row in the shell and admin: the class name and its fields."""

    def __str__(self) -> str:
        fields = ", ".join(f"{f.attname}={getattr(self, f.attname)}" for f in self._meta.concrete_fields[1:])
        return f"{type(self).__name__}({fields})"


class RatingChange(_Described, models.Model):
    """Written only by the evaluation triggers (migration 0002); deleted by the drain that applies it. It
    carries the rating's key columns as they were, so a −1 lands where the +1 once did even if a row's level
    or time was corrected in place."""

    evaluation_id = models.BigIntegerField()
    transaction_id = models.BigIntegerField()
    rated_at = models.DateTimeField()
    channel = models.CharField(max_length=12)
    level = models.PositiveSmallIntegerField()
    is_default = models.BooleanField()
    sign = models.SmallIntegerField()  # +1 starts counting, -1 stops counting


class TransactionChange(_Described, models.Model):
    """A transaction was registered or changed (trigger); its day's transaction rollup is recomputed."""

    transaction_id = models.BigIntegerField()


class CaseChange(_Described, models.Model):
    """A case was opened or moved (trigger); its day's case rollup is recomputed."""

    case_id = models.BigIntegerField()


class RatingRollup(_Described, models.Model):
    """Counted ratings per local day × item × handling unit × window × staff × platform × channel × level ×
    default-or-given. Drill-downs, scorecards, rankings and filtered indicators read this table."""

    day = models.DateField()
    item = models.ForeignKey("catalog.ServiceItem", **DERIVED)
    unit = models.ForeignKey("organisation.Unit", **DERIVED)
    window = models.ForeignKey("organisation.Unit", null=True, **DERIVED)
    staff = models.ForeignKey("organisation.Staff", null=True, **DERIVED)
    platform = models.ForeignKey("organisation.Platform", null=True, **DERIVED)
    channel = models.CharField(max_length=12, choices=Channel.choices)
    level = models.PositiveSmallIntegerField()
    is_default = models.BooleanField()
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "day",
                    "item",
                    "unit",
                    "window",
                    "staff",
                    "platform",
                    "channel",
                    "level",
                    "is_default",
                ],
                name="insight_rating_rollup_key",
                nulls_distinct=False,
            )
        ]
        # filters by a unit subtree (handling unit or window) and by item, over a period
        indexes = [
            models.Index(fields=["unit", "day"], name="insight_rating_unit_day"),
            models.Index(fields=["window", "day"], name="insight_rating_window_day"),
            models.Index(fields=["item", "day"], name="insight_rating_item_day"),
        ]


class RatingDayRollup(_Described, models.Model):
    """Counted ratings per local day × channel × level × default-or-given: the tenant-wide overview (volume,
    rates, trend, channel mix) reads only this small table (at most days × 9 × 5 × 2 rows)."""

    day = models.DateField()
    channel = models.CharField(max_length=12, choices=Channel.choices)
    level = models.PositiveSmallIntegerField()
    is_default = models.BooleanField()
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "channel", "level", "is_default"], name="insight_day_key")
        ]


class RatingHourRollup(_Described, models.Model):
    """Counted ratings per local day × hour × channel: the hour-of-day heatmap."""

    day = models.DateField()
    hour = models.PositiveSmallIntegerField()
    channel = models.CharField(max_length=12, choices=Channel.choices)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "hour", "channel"], name="insight_hour_key_v2")]


class TransactionRollup(_Described, models.Model):
    """Transactions per local day of receipt × item × unit × window × staff × platform × channel × promise type:
    how many, how many have a counted rating (评价率), how many finished and are past their rating period, and
    how many of those were never rated (未评率)."""

    day = models.DateField()
    item = models.ForeignKey("catalog.ServiceItem", **DERIVED)
    unit = models.ForeignKey("organisation.Unit", **DERIVED)
    window = models.ForeignKey("organisation.Unit", null=True, **DERIVED)
    staff = models.ForeignKey("organisation.Staff", null=True, **DERIVED)
    platform = models.ForeignKey("organisation.Platform", null=True, **DERIVED)
    channel = models.CharField(max_length=12, choices=Channel.choices)
    promise_type = models.CharField(max_length=10, choices=PromiseType.choices)
    transactions = models.BigIntegerField(default=0)
    rated = models.BigIntegerField(default=0)
    finished_closed = models.BigIntegerField(default=0)  # finished, rating period over
    finished_unrated = models.BigIntegerField(default=0)  # of those, never rated

    class Meta:
        indexes = [
            models.Index(fields=["day"]),
            models.Index(fields=["unit", "day"], name="insight_txn_unit_day"),
            models.Index(fields=["window", "day"], name="insight_txn_window_day"),
        ]


class TransactionDayRollup(_Described, models.Model):
    """TransactionRollup summed per day × channel (derived from it whenever a day is recomputed): tenant-wide
    评价率 and 未评率 read this small table."""

    day = models.DateField()
    channel = models.CharField(max_length=12, choices=Channel.choices)
    transactions = models.BigIntegerField(default=0)
    rated = models.BigIntegerField(default=0)
    finished_closed = models.BigIntegerField(default=0)
    finished_unrated = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "channel"], name="insight_transaction_day_key")]


class CaseRollup(_Described, models.Model):
    """Bad-review cases (of counted ratings) per local day of the bad review × unit × window × item × channel × state,
    with the closed-loop measures (tenants.cases.selectors.case_measures: one definition for the live /cases/
    figures and this)."""

    day = models.DateField()
    unit = models.ForeignKey("organisation.Unit", **DERIVED)
    window = models.ForeignKey("organisation.Unit", null=True, **DERIVED)  # the rated transaction's window
    item = models.ForeignKey("catalog.ServiceItem", null=True, **DERIVED)
    channel = models.CharField(max_length=12, blank=True)
    state = models.CharField(max_length=20, default="new")  # as of the last recomputation of its day
    total = models.BigIntegerField(default=0)
    replied = models.BigIntegerField(default=0)
    rectified = models.BigIntegerField(default=0)
    satisfied = models.BigIntegerField(default=0)
    verified = models.BigIntegerField(default=0)
    closed = models.BigIntegerField(default=0)
    verified_closed = models.BigIntegerField(default=0)
    on_time = models.BigIntegerField(default=0)
    realname_total = models.BigIntegerField(default=0)
    realname_done = models.BigIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["day"]),
            models.Index(fields=["unit", "day"], name="insight_case_unit_day"),
        ]


class CaseDayRollup(_Described, models.Model):
    """CaseRollup summed per day × channel × state (derived whenever a day is recomputed): tenant-wide
    closed-loop rates read this small table."""

    day = models.DateField()
    channel = models.CharField(max_length=12, blank=True)
    state = models.CharField(max_length=20)
    total = models.BigIntegerField(default=0)
    replied = models.BigIntegerField(default=0)
    rectified = models.BigIntegerField(default=0)
    satisfied = models.BigIntegerField(default=0)
    verified = models.BigIntegerField(default=0)
    closed = models.BigIntegerField(default=0)
    verified_closed = models.BigIntegerField(default=0)
    on_time = models.BigIntegerField(default=0)
    realname_total = models.BigIntegerField(default=0)
    realname_done = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "channel", "state"], name="insight_case_day_key")
        ]


class RollupRun(models.Model):
    """The last drain, rebuild and check of this tenant (shown on the dashboards' status line)."""

    kind = models.CharField(max_length=10, unique=True)  # drain / rebuild / check
    at = models.DateTimeField()
    detail = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("rollup run")

    def __str__(self) -> str:
        return f"{self.kind} @ {self.at:%Y-%m-%d %H:%M:%S}"
