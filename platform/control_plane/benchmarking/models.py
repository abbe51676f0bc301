"""National benchmarking's tables in the public schema.

TenantMonthStats: a tenant's figures for one calendar month, the sum of its TenantDayStats rows of that month
(kept current by the feed relay through services.month_stats_refresh). League tables over months and years
read twelve rows per tenant instead of 365: see README.md for the measurement that decided it.

PublishedRanking: a league table as it stood when national staff published it. Its rows are a snapshot
(names, regions, figures), so the public page never changes after publication, whatever the data does.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.models import TenantKind

# the figures summed per tenant: every numeric column of control_plane.TenantDayStats
MEASURES = (
    "ratings", "good", "bad", "given", "given_good", "defaults",
    "transactions", "rated", "finished_closed", "finished_unrated", "immediate",
    "cases", "replied", "rectified", "satisfied", "verified", "closed", "verified_closed", "on_time",
    "realname_total", "realname_done",
)  # fmt: skip


class PeerGroup(models.TextChoices):
    """Tenants are compared with tenants of their own kind only."""

    PROVINCE = TenantKind.PROVINCE.value, _("Provinces")
    CITY = TenantKind.CITY.value, _("Cities")
    COUNTY = TenantKind.COUNTY.value, _("Counties")
    AGENCY = TenantKind.AGENCY.value, _("Agencies")


class TenantMonthStats(models.Model):
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # the first day of the month
    days = models.PositiveSmallIntegerField(default=0)  # day rows summed
    ratings = models.BigIntegerField(default=0)
    good = models.BigIntegerField(default=0)
    bad = models.BigIntegerField(default=0)
    given = models.BigIntegerField(default=0)
    given_good = models.BigIntegerField(default=0)
    defaults = models.BigIntegerField(default=0)
    transactions = models.BigIntegerField(default=0)
    rated = models.BigIntegerField(default=0)
    finished_closed = models.BigIntegerField(default=0)
    finished_unrated = models.BigIntegerField(default=0)
    immediate = models.BigIntegerField(default=0)
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
    channels = models.JSONField(default=dict)  # counted ratings per channel
    refreshed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "month"], name="tenant_month_stats_once")]
        indexes = [models.Index(fields=["month", "tenant"], name="tenant_month_stats_month")]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.month:%Y-%m}"


class PublishedRanking(models.Model):
    title = models.CharField(_("title"), max_length=200)
    peer_group = models.CharField(_("peer group"), max_length=16, choices=PeerGroup.choices)
    indicator = models.CharField(_("indicator"), max_length=64)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    min_sample = models.PositiveIntegerField(_("minimum sample"))
    exclude_defaults = models.BooleanField(_("default ratings left out"), default=False)
    rows = models.JSONField(default=list)  # the snapshot: ranked rows, then the unranked ones
    published_by = models.CharField(_("published by"), max_length=254)
    publisher_user_id = models.BigIntegerField(null=True, blank=True)  # the user in the public schema
    published_at = models.DateTimeField(_("published at"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["withdrawn_at", "-published_at"], name="published_ranking_live")]

    def __str__(self) -> str:
        return self.title
