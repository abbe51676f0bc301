"""The service catalogue (政务服务事项清单): items and their versioned guides (办事指南)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ItemType(models.TextChoices):
    LICENSING = "licensing", _("Administrative licensing (行政许可)")
    PAYMENT = "payment", _("Administrative payment (行政给付)")
    CONFIRMATION = "confirmation", _("Administrative confirmation (行政确认)")
    LEVY = "levy", _("Administrative levy (行政征收)")
    ADJUDICATION = "adjudication", _("Administrative adjudication (行政裁决)")
    REWARD = "reward", _("Administrative reward (行政奖励)")
    OTHER_POWER = "other_power", _("Other administrative power (其他行政权力)")
    PUBLIC_SERVICE = "public_service", _("Public service (公共服务)")


class PromiseType(models.TextChoices):
    IMMEDIATE = "immediate", _("Done on the spot (即办件)")
    PROMISED = "promised", _("Done within a promised limit (承诺件)")


class ItemStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class ServiceItem(models.Model):
    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=300)
    item_type = models.CharField(_("type"), max_length=16, choices=ItemType.choices)
    legal_basis = models.TextField(_("legal basis"), blank=True)
    responsible_unit = models.ForeignKey(
        "organisation.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
        verbose_name=_("responsible unit"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ItemStatus.choices, default=ItemStatus.DRAFT
    )
    current_guide = models.ForeignKey(
        "GuideVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("published guide"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class GuideVersion(models.Model):
    """One version of an item's guide. A published version is never edited: editing makes a new one."""

    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="guides")
    version = models.PositiveIntegerField()
    accepting_unit = models.CharField(_("accepting unit"), max_length=200, blank=True)
    channels = models.JSONField(_("service channels"), default=list, blank=True)
    conditions = models.TextField(_("conditions"), blank=True)
    materials = models.JSONField(_("required materials"), default=list, blank=True)
    steps = models.JSONField(_("procedure steps"), default=list, blank=True)
    time_limit_days = models.PositiveSmallIntegerField(_("time limit (working days)"), default=0)
    promise_type = models.CharField(
        _("promise type"), max_length=10, choices=PromiseType.choices, default=PromiseType.PROMISED
    )
    fee_basis = models.TextField(_("fee basis"), blank=True)
    fee_standard = models.TextField(_("fee standard"), blank=True)
    evaluation_channels = models.JSONField(_("evaluation channels"), default=list, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item", "-version"]
        constraints = [models.UniqueConstraint(fields=["item", "version"], name="guide_item_version")]

    def __str__(self) -> str:
        return f"{self.item.code} v{self.version}"


class ImportKind(models.TextChoices):
    ITEMS = "items", _("Service items")
    UNITS = "units", _("Units")
    STAFF = "staff", _("Staff")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    CHECKING = "checking", _("Checking rows")
    IMPORTING = "importing", _("Importing")
    SUCCEEDED = "succeeded", _("Imported")
    REJECTED = "rejected", _("Not imported: some rows have errors")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One upload of a CSV or XLSX file (service items, units or staff) and its progress.

    The file itself is kept in the row (not on a shared disk) so that the web process and any Celery worker
    see the same bytes inside the tenant's schema; it is dropped once the job ends. The error file (the
    upload with an added 错误 column) stays for download.
    """

    FINISHED = (ImportStatus.SUCCEEDED, ImportStatus.REJECTED, ImportStatus.FAILED)

    kind = models.CharField(_("kind"), max_length=10, choices=ImportKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    filename = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(max_length=4)  # "csv" | "xlsx"
    encoding = models.CharField(max_length=16, blank=True)  # CSV only: utf-8-sig or gb18030
    data = models.BinaryField(editable=False, default=bytes)  # the upload, zlib-compressed
    valid_only = models.BooleanField(_("import only the valid rows"), default=False)
    publish = models.BooleanField(_("publish the imported guides"), default=False)
    language = models.CharField(max_length=10, default="zh-hans")
    total = models.PositiveIntegerField(_("rows"), default=0)
    checked = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(_("rows imported"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    errors_preview = models.JSONField(default=list, blank=True)  # [[row number, "messages"], ...] (first 100)
    errors_file = models.BinaryField(null=True, editable=False)
    result = models.JSONField(default=dict, blank=True)  # counts: created, updated, versions, unchanged, ...
    message = models.TextField(blank=True)  # why a job failed as a whole
    created_by = models.CharField(_("created by"), max_length=254)
    created_by_kind = models.CharField(max_length=10, default="user")
    created_by_id = models.BigIntegerField(null=True, blank=True)
    created_by_role = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} import {self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED


class GuideCorrectionState(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class GuideCorrectionTask(models.Model):
    """Root cause in the catalogue (根因在清单): a bad-review case whose reason points at the item's guide
    (e.g. materials or conditions beyond the guide) was closed with the verdict "the guide is wrong". The
    item's responsible unit corrects the guide; publishing a new version marks the item's open tasks done
    with that version, and the item page shows whether the same reason recurs on the corrected version.

    The case is referenced by id and number (the catalogue sits below the cases app)."""

    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="corrections")
    unit = models.ForeignKey(
        "organisation.Unit",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("responsible unit"),
    )
    case_id = models.PositiveBigIntegerField(_("case"))
    case_number = models.CharField(_("case number"), max_length=32)
    tag = models.CharField(_("reason"), max_length=32)
    note = models.TextField(_("what is wrong in the guide"))
    state = models.CharField(
        _("state"), max_length=8, choices=GuideCorrectionState.choices, default=GuideCorrectionState.OPEN
    )
    wrong_version = models.ForeignKey(
        GuideVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )  # the version in force for the rated transaction
    corrected_version = models.ForeignKey(
        GuideVersion,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="corrections",
        verbose_name=_("corrected by version"),
    )
    created_by = models.CharField(max_length=254)
    created_at = models.DateTimeField(_("opened at"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case_id", "tag"], name="guide_correction_case_tag"),
            models.CheckConstraint(
                condition=models.Q(state="open", done_at__isnull=True)
                | models.Q(state="done", done_at__isnull=False),
                name="guide_correction_done_at",
            ),
        ]
        indexes = [models.Index(fields=["item", "state"], name="guide_correction_item_state")]

    def __str__(self) -> str:
        return f"{self.item_id} {self.tag} ({self.case_number}, {self.state})"
