"""The national feed in the public schema: an append-only log of what every tenant recorded, ordered by a
gap-free cursor, and the per-tenant daily figures it carries (the national rollups).

Cursor: one appender at a time (a transaction-scoped advisory lock) takes the next numbers from
`FeedCounter` and commits before the next appender starts, so a reader that sees cursor N has every record
below N, and a rolled-back append returns its numbers (no gaps).
"""

from django.db import models


class FeedCounter(models.Model):
    """One row: the last cursor handed out."""

    last = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"feed cursor {self.last}"


class FeedRecord(models.Model):
    cursor = models.BigIntegerField(primary_key=True)
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12)  # evaluation / exclusion / case / day
    ref_id = (
        models.BigIntegerField()
    )  # the id in the tenant's schema (an evaluation, a case; a day's ordinal)
    revision = models.BigIntegerField()
    day = models.DateField()  # the rating's local day (the bad review's, for cases; the day itself for `day`)
    occurred_at = models.DateTimeField()  # when it happened in the tenant (outbox time)
    appended_at = models.DateTimeField()  # when the relay appended it here
    payload = models.JSONField()
    # evaluation records: the rated transaction and stage, so "is there a later revision?" is an index probe
    transaction = models.CharField(max_length=64, blank=True, default="")
    stage = models.CharField(max_length=10, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "kind", "ref_id", "revision"], name="feed_record_once")
        ]
        indexes = [
            models.Index(fields=["tenant", "kind", "day"], name="feed_tenant_kind_day"),
            models.Index(fields=["tenant", "transaction", "stage", "revision"], name="feed_tenant_rating"),
        ]

    def __str__(self) -> str:
        return f"#{self.cursor} {self.kind} {self.ref_id} r{self.revision}"


class TenantDayStats(models.Model):
    """A tenant's own figures for one local day, as its latest `day` record in the feed carried them: the
    numerators and denominators of every DOMAIN.md §10 indicator and the case mix. National benchmarking reads
    only this table."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    revision = models.BigIntegerField()
    # ratings (counted)
    ratings = models.BigIntegerField(default=0)
    good = models.BigIntegerField(default=0)
    bad = models.BigIntegerField(default=0)
    given = models.BigIntegerField(default=0)
    given_good = models.BigIntegerField(default=0)
    defaults = models.BigIntegerField(default=0)
    # transactions
    transactions = models.BigIntegerField(default=0)
    rated = models.BigIntegerField(default=0)
    finished_closed = models.BigIntegerField(default=0)
    finished_unrated = models.BigIntegerField(default=0)
    immediate = models.BigIntegerField(default=0)  # 即办件 among transactions (case mix)
    # cases
    cases = models.BigIntegerField(default=0)
    replied = models.BigIntegerField(default=0)
    rectified = models.BigIntegerField(default=0)
    satisfied = models.BigIntegerField(default=0)
    verified = models.BigIntegerField(default=0)
    closed = models.BigIntegerField(default=0)
    verified_closed = models.BigIntegerField(default=0)
    on_time = models.BigIntegerField(default=0)
    realname_total = models.BigIntegerField(default=0)
    realname_done = models.BigIntegerField(default=0)
    channels = models.JSONField(default=dict)  # counted ratings per channel (channel mix)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "day"], name="tenant_day_stats_once")]
        indexes = [models.Index(fields=["day"], name="tenant_day_stats_day")]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.day}"
