"""Appeals against ratings (申诉复核): the rated staff member or unit files a statement with evidence; a
reviewer above the unit decides by a working-day deadline. An upheld appeal excludes the rating from every
indicator (the rating is kept and marked, never deleted)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppealSettings(models.Model):
    """The tenant's appeal rules (one row per schema, created on first use)."""

    filing_days = models.PositiveSmallIntegerField(
        _("appeals accepted until (calendar days after the rating)"), default=30
    )
    decision_working_days = models.PositiveSmallIntegerField(
        _("decision due within (working days after filing)"), default=5
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return (
            f"appeals: {self.filing_days} days to file, {self.decision_working_days} working days to decide"
        )


class AppellantKind(models.TextChoices):
    STAFF = "staff", _("The rated staff member")
    UNIT = "unit", _("The rated unit")


class AppealState(models.TextChoices):
    SUBMITTED = "submitted", _("Awaiting decision")
    UPHELD = "upheld", _("Upheld: rating excluded")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATES = (AppealState.SUBMITTED,)


class Appeal(models.Model):
    evaluation = models.ForeignKey(
        "evaluations.Evaluation", on_delete=models.PROTECT, related_name="appeals", verbose_name=_("rating")
    )
    appellant = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="appeals", verbose_name=_("appellant")
    )
    appellant_kind = models.CharField(_("appeal on behalf of"), max_length=8, choices=AppellantKind.choices)
    # Where the appellant sat when filing: a reviewer must sit strictly above it (and above the rated unit).
    appellant_unit = models.ForeignKey(
        "organisation.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("appellant's unit")
    )
    # The rated (handling) unit of the transaction, copied for the reviewers' queue.
    rated_unit = models.ForeignKey(
        "organisation.Unit", on_delete=models.PROTECT, related_name="appeals", verbose_name=_("rated unit")
    )
    statement = models.TextField(_("statement"))
    state = models.CharField(
        _("state"), max_length=10, choices=AppealState.choices, default=AppealState.SUBMITTED
    )
    reviewer = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeals_decided",
        verbose_name=_("reviewer"),
    )
    reviewer_label = models.CharField(max_length=254, blank=True)  # who decided (a person or an API key)
    decision_note = models.TextField(_("decision note"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # The last day (inclusive) for the decision: N working days after filing on the tenant's calendar.
    due_at = models.DateField(_("decision due"))
    created_at = models.DateTimeField(_("filed at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation"],
                condition=Q(state="submitted"),
                name="appeal_one_open_per_rating",
            ),
            models.CheckConstraint(
                condition=Q(state="submitted") | Q(state="withdrawn") | ~Q(decision_note=""),
                name="appeal_decision_has_note",
            ),
        ]
        indexes = [models.Index(fields=["state", "due_at"])]

    def __str__(self) -> str:
        return f"appeal {self.pk} on evaluation {self.evaluation_id} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class AppealEvidence(models.Model):
    """One evidence file, kept in the database so that every web replica serves it."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="evidence")
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=50)  # from the file's first bytes, never from its name
    size = models.PositiveIntegerField()
    data = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.size} bytes)"
