"""Comment analysis (堵点难点): the terms of counted ratings' comments, and the ledger of concentrated problems.

`CommentTerm` is derived data kept in step with the rating rollups: the rollup drain re-segments the ratings
whose counting changed (services.comment_terms_apply) and the rollup rebuild recomputes it from the raw rows
(services.comment_terms_rebuild). One row per rating and distinct term: a count of rows is a count of
comments mentioning the term. It never holds the comment itself nor anything about the evaluator.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenants.evaluations.models import Channel

DERIVED = {"on_delete": models.DO_NOTHING, "db_constraint": False, "related_name": "+"}


class TermKind(models.TextChoices):
    KEYWORD = "keyword", _("Keyword")
    PHRASE = "phrase", _("Phrase")
    TAG = "tag", _("Reason tag")


class CommentTerm(models.Model):
    """A term of a counted rating's comment (or one of its reason tags, as "tag:<code>")."""

    evaluation_id = models.BigIntegerField()
    day = models.DateField()  # local day of the rating
    unit = models.ForeignKey("organisation.Unit", **DERIVED)  # the handling unit (hall)
    window = models.ForeignKey("organisation.Unit", null=True, **DERIVED)
    staff = models.ForeignKey("organisation.Staff", null=True, **DERIVED)
    item = models.ForeignKey("catalog.ServiceItem", **DERIVED)
    channel = models.CharField(max_length=12, choices=Channel.choices)
    is_bad = models.BooleanField()
    term = models.CharField(max_length=64)
    kind = models.CharField(max_length=8, choices=TermKind.choices)

    class Meta:
        # few indexes: the drain inserts thousands of rows at a time (pages read a range of days)
        indexes = [
            models.Index(fields=["evaluation_id"], name="insight_text_term_evaluation"),
            models.Index(fields=["day", "kind"], name="insight_text_term_day"),
        ]

    def __str__(self) -> str:
        return f"{self.evaluation_id}: {self.kind} {self.term}"


class LedgerStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class ProblemLedgerEntry(models.Model):
    """A concentrated problem (集中问题台账): a term that spiked at a unit, with its evidence and a deadline
    in working days. One open entry per unit and term."""

    unit = models.ForeignKey(
        "organisation.Unit", on_delete=models.PROTECT, related_name="problem_ledger_entries"
    )
    title = models.CharField(_("title"), max_length=200)
    term = models.CharField(_("term"), max_length=64)
    evidence = models.JSONField(_("evidence"), default=dict)
    deadline = models.DateField(_("deadline"))
    status = models.CharField(
        _("status"), max_length=10, choices=LedgerStatus.choices, default=LedgerStatus.OPEN
    )
    resolution_note = models.TextField(_("resolution"), blank=True)
    created_by = models.CharField(max_length=255)  # the actor's label
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.CharField(max_length=255, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("problem ledger entry")
        verbose_name_plural = _("problem ledger")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "term"], condition=Q(status="open"), name="insight_text_ledger_one_open"
            )
        ]

    def __str__(self) -> str:
        return self.title
