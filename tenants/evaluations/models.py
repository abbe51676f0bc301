"""Transactions (办件) and their five-level evaluations. Evaluations are append-only: a re-rating of the
same transaction and stage is a new revision that supersedes the previous one (both kept, counted once)."""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from tenants.catalog.models import PromiseType


class Channel(models.TextChoices):
    DEVICE = "device", _("Window rating device")
    QR = "qr", _("QR code")
    PAPER = "paper", _("Paper form")
    WEB = "web", _("Web")
    APP = "app", _("Mobile app")
    MINIPROGRAM = "miniprogram", _("Mini-program")
    HOTLINE = "hotline", _("Hotline (12345)")
    SMS = "sms", _("SMS")
    KIOSK = "kiosk", _("Self-service kiosk")


class Stage(models.TextChoices):
    ACCEPTED = "accepted", _("On acceptance (受理)")
    FINISHED = "finished", _("On completion (办结)")


class ApplicantType(models.TextChoices):
    PERSON = "person", _("Person")
    ENTERPRISE = "enterprise", _("Enterprise")


class Scale(models.TextChoices):
    GOOD_BAD = "good_bad", _("很好 / 好 / 一般 / 差 / 很差")
    SATISFACTION = "satisfaction", _("非常满意 / 满意 / 基本满意 / 不满意 / 非常不满意")


SCALE_WORDS = {
    Scale.GOOD_BAD: ("很好", "好", "一般", "差", "很差"),
    Scale.SATISFACTION: ("非常满意", "满意", "基本满意", "不满意", "非常不满意"),
}
BAD_LEVELS = (4, 5)
# TextChoices.values builds a new list on every access; intake checks every rating against these sets.
CHANNEL_CODES = frozenset(Channel.values)
STAGE_CODES = frozenset(Stage.values)


class EvaluationPolicy(models.Model):
    """The tenant's evaluation standards (one row per schema)."""

    scale = models.CharField(_("scale wording"), max_length=16, choices=Scale.choices, default=Scale.GOOD_BAD)
    supplementary_days = models.PositiveSmallIntegerField(
        _("supplementary rating window (days after finish)"), default=7
    )
    default_ratings = models.BooleanField(_("record a default rating when none is given"), default=False)
    default_after_days = models.PositiveSmallIntegerField(_("default rating after (days)"), default=7)
    default_level = models.PositiveSmallIntegerField(_("level of a default rating"), default=2)
    max_revisions = models.PositiveSmallIntegerField(
        _("most ratings of one transaction and stage"), default=5
    )
    comment_max_length = models.PositiveSmallIntegerField(_("longest comment"), default=500)

    def __str__(self) -> str:
        return f"policy ({self.scale})"

    def word(self, level: int) -> str:
        return SCALE_WORDS[Scale(self.scale)][level - 1]


class ReasonTag(models.Model):
    """A bad-review reason (差评原因) from the tenant's list."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    label = models.CharField(_("label"), max_length=100)
    points_at_guide = models.BooleanField(_("points at the item's guide"), default=False)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.label


# Intake writes a transaction and a rating per citizen, all pointing at the same few hot rows (the hall's
# item, unit, window, device). A database foreign key makes every such INSERT lock its parent row (FOR KEY
# SHARE), so concurrent ratings of one window queue on that row and mint multixacts. These references are
# resolved by intake's own lookups and protected against deletion by Django (on_delete=PROTECT runs in the
# ORM), so the database constraint is left off: `db_constraint=False` below is deliberate. A rating's link to
# its transaction keeps its constraint (that parent is usually the row inserted in the same statement).
HOT_REFERENCE = {"on_delete": models.PROTECT, "db_constraint": False}


class Transaction(models.Model):
    number = models.CharField(_("transaction number"), max_length=64)
    item = models.ForeignKey("catalog.ServiceItem", related_name="transactions", **HOT_REFERENCE)
    guide_version = models.ForeignKey(
        "catalog.GuideVersion",
        null=True,
        blank=True,
        related_name="transactions",
        db_index=False,  # nothing looks transactions up by guide version
        **HOT_REFERENCE,
    )
    unit = models.ForeignKey(
        "organisation.Unit", related_name="transactions", verbose_name=_("handling unit"), **HOT_REFERENCE
    )
    window = models.ForeignKey(
        "organisation.Unit", null=True, blank=True, related_name="window_transactions", **HOT_REFERENCE
    )
    platform = models.ForeignKey(
        "organisation.Platform", null=True, blank=True, related_name="transactions", **HOT_REFERENCE
    )
    staff = models.ForeignKey(
        "organisation.Staff", null=True, blank=True, related_name="transactions", **HOT_REFERENCE
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    applicant_type = models.CharField(
        max_length=10, choices=ApplicantType.choices, default=ApplicantType.PERSON
    )
    applicant_name = models.TextField(blank=True)  # encrypted (tenants.privacy.crypto)
    applicant_phone = models.TextField(blank=True)  # encrypted
    applicant_id_type = models.CharField(max_length=20, blank=True)
    applicant_id_number = models.TextField(blank=True)  # encrypted
    status = models.CharField(max_length=20, default="received")
    promise_type = models.CharField(max_length=10, choices=PromiseType.choices, default=PromiseType.PROMISED)
    received_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # A constraint rather than unique=True: the same unique index, without the second (LIKE) index Django
        # adds for a unique text column, which every INSERT would also have to maintain.
        constraints = [models.UniqueConstraint(fields=["number"], name="transaction_number_unique")]
        indexes = [
            models.Index(fields=["finished_at"]),
            # a transaction's day (received, else finished, else registered): rollups recompute by day
            models.Index(Coalesce("received_at", "finished_at", "created_at"), name="transaction_moment"),
        ]

    def __str__(self) -> str:
        return self.number


class Evaluation(models.Model):
    # no index of its own: the unique (transaction, stage, revision) index starts with it
    transaction = models.ForeignKey(
        Transaction, on_delete=models.PROTECT, related_name="evaluations", db_index=False
    )
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.FINISHED)
    revision = models.PositiveSmallIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    channel = models.CharField(max_length=12, choices=Channel.choices)
    level = models.PositiveSmallIntegerField()
    is_bad = models.BooleanField()
    reason_tags = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    comment = models.TextField(blank=True)
    # the evaluator agreed that the comment (personal data scrubbed) may appear on the public portal
    comment_public = models.BooleanField(default=False, db_default=False)
    answers = models.JSONField(default=dict, blank=True)
    questionnaire_version = models.PositiveIntegerField(null=True, blank=True)
    guide_version = models.ForeignKey(
        "catalog.GuideVersion", null=True, blank=True, related_name="evaluations", **HOT_REFERENCE
    )
    anonymous = models.BooleanField(default=True)
    evaluator_type = models.CharField(
        max_length=10, choices=ApplicantType.choices, default=ApplicantType.PERSON
    )
    evaluator_name = models.TextField(blank=True)  # encrypted
    evaluator_phone = models.TextField(blank=True)  # encrypted
    evaluator_id_type = models.CharField(max_length=20, blank=True)
    evaluator_id_number = models.TextField(blank=True)  # encrypted
    evaluator_hash = models.CharField(max_length=64, blank=True)  # keyed hash, for de-duplication (indexed)
    is_default = models.BooleanField(default=False)
    is_supplementary = models.BooleanField(default=False)
    excluded = models.BooleanField(default=False)  # set by an upheld appeal; never counted when true
    excluded_reason = models.TextField(blank=True)
    device = models.ForeignKey(
        "organisation.Device", null=True, blank=True, related_name="evaluations", **HOT_REFERENCE
    )
    source = models.CharField(max_length=80, blank=True)  # api key or user that submitted it
    # NULL, not "", when absent: the unique (source, key) index applies only to keyed ratings.
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    rated_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=5), name="evaluation_level_1_to_5"),
            models.UniqueConstraint(fields=["transaction", "stage", "revision"], name="evaluation_revision"),
            models.UniqueConstraint(
                fields=["transaction", "stage"],
                condition=Q(is_current=True),
                name="evaluation_one_current_per_stage",
            ),
            models.UniqueConstraint(
                fields=["source", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="evaluation_idempotency",
            ),
        ]
        indexes = [
            models.Index(fields=["rated_at"]),
            models.Index(fields=["is_bad", "rated_at"]),
            models.Index(fields=["evaluator_hash"], name="evaluation_evaluator_hash"),  # no LIKE twin
        ]

    def __str__(self) -> str:
        return f"{self.transaction_id}/{self.stage} r{self.revision}: {self.level}"
