"""Periodic reports (月报、季报) and before/after comparisons (整改前后对比), generated in the background from the
rollups into a PDF and an XLSX kept in the row, and the schedules that make monthly or quarterly reports on
their own and e-mail them.

The public portal lists `selectors.reports_published()` (published, done, with a public PDF) and serves
`Report.public_pdf`, never `Report.pdf`."""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ReportKind(models.TextChoices):
    MONTHLY = "monthly", _("Monthly report (月报)")
    QUARTERLY = "quarterly", _("Quarterly report (季报)")
    COMPARISON = "comparison", _("Before/after comparison (整改前后对比)")


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Generating")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class ScheduleKind(models.TextChoices):
    MONTHLY = "monthly", _("Monthly report (月报)")
    QUARTERLY = "quarterly", _("Quarterly report (季报)")


class ReportSchedule(models.Model):
    """Make a report for every calendar month (or quarter) once it has ended, and e-mail it."""

    kind = models.CharField(_("kind"), max_length=10, choices=ScheduleKind.choices)
    unit = models.ForeignKey(
        "organisation.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("unit"),
    )
    recipients = ArrayField(models.EmailField(), default=list, blank=True, verbose_name=_("recipients"))
    active = models.BooleanField(_("active"), default=True)
    last_period_end = models.DateField(_("last period reported"), null=True, blank=True)
    created_by = models.CharField(_("created by"), max_length=254)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-active", "kind", "id"]

    def __str__(self) -> str:
        return f"{self.kind} schedule {self.pk}"


class Report(models.Model):
    FINISHED = (ReportStatus.DONE, ReportStatus.FAILED)

    title = models.CharField(_("title"), max_length=300)
    kind = models.CharField(_("kind"), max_length=10, choices=ReportKind.choices)
    # the period reported on (for a comparison: the period after the rectification)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    # comparison only: the period before
    before_start = models.DateField(_("before: start"), null=True, blank=True)
    before_end = models.DateField(_("before: end"), null=True, blank=True)
    unit = models.ForeignKey(
        "organisation.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("unit"),
    )  # the region or department covered; null = the whole tenant
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)  # 0–100
    error = models.TextField(_("error"), blank=True)
    pdf = models.BinaryField(null=True, editable=False)
    xlsx = models.BinaryField(null=True, editable=False)
    # the PDF the public portal serves: made when the report is published (small departments and halls folded
    # into one row, as the portal hides them), cleared when it is withdrawn
    public_pdf = models.BinaryField(null=True, editable=False)
    summary = models.JSONField(default=dict, blank=True)  # indicator id → [numerator, denominator]
    published = models.BooleanField(_("published on the portal"), default=False)
    language = models.CharField(max_length=10, default="zh-hans")
    schedule = models.ForeignKey(
        ReportSchedule, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_error = models.TextField(blank=True)
    created_by = models.CharField(_("created by"), max_length=254)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-period_end"], name="report_published", condition=Q(published=True))]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="report_period"
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="report_progress_0_to_100"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def is_comparison(self) -> bool:
        return self.kind == ReportKind.COMPARISON
