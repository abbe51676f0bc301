"""Background exports (导出): an export above EXPORT_SYNC_MAX_ROWS rows is a job a Celery worker writes to a
file under MEDIA_ROOT/exports/<schema>/; the requester is e-mailed a link when it is ready. Files expire."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportKind(models.TextChoices):
    EVALUATIONS = "evaluations", _("Evaluations (评价数据)")
    CASES = "cases", _("Bad-review cases (差评整改)")


class ExportFormat(models.TextChoices):
    CSV = "csv", _("CSV (UTF-8, opens in Excel)")
    XLSX = "xlsx", _("Excel workbook (XLSX)")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


class ExportJob(models.Model):
    FINISHED = (ExportStatus.DONE, ExportStatus.FAILED, ExportStatus.EXPIRED)

    kind = models.CharField(_("data"), max_length=12, choices=ExportKind.choices)
    file_format = models.CharField(_("format"), max_length=4, choices=ExportFormat.choices)
    filters = models.JSONField(_("filters"), default=dict)  # selectors.ExportFilters.as_json()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="export_jobs",
        verbose_name=_("requested by"),
    )
    language = models.CharField(max_length=10, default="zh-hans")
    base_url = models.CharField(max_length=200, blank=True)  # the address the request came to, for the link
    status = models.CharField(
        _("status"), max_length=8, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    total = models.PositiveIntegerField(_("rows counted"), default=0)  # when requested
    row_count = models.PositiveIntegerField(_("rows written"), default=0)
    file_path = models.CharField(max_length=300, blank=True)  # relative to MEDIA_ROOT
    file_size = models.BigIntegerField(default=0)
    message = models.TextField(blank=True)  # why it failed
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("file kept until"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["requested_by", "-created_at"], name="exportjob_requester"),
            models.Index(fields=["expires_at"], name="exportjob_expiry", condition=models.Q(status="done")),
        ]

    def __str__(self) -> str:
        return f"{self.kind} export {self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED
