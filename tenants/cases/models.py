"""Bad-review cases (差评整改工单): one per bad rating (levels 4–5) or social complaint, routed to the unit that
handled the transaction ("谁办理、谁负责"), moved through explicit states by actors with the right role, with
deadlines on the working-day calendar and an append-only, hash-chained event log (verifiable closure).

Writes go through tenants.cases.services; reads through tenants.cases.selectors. See README.md.
"""

import hashlib
import hmac
import json
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CaseSettings(models.Model):
    """The tenant's closed-loop rules (one row per schema). Deadlines are working days after opening."""

    contact_days = models.PositiveSmallIntegerField(
        _("contact the evaluator within (working days)"), default=1
    )
    feedback_days = models.PositiveSmallIntegerField(_("feed back within (working days)"), default=5)
    rectify_days = models.PositiveSmallIntegerField(_("rectify within (working days)"), default=15)
    remind_before_hours = models.PositiveSmallIntegerField(
        _("remind this many hours before a deadline"), default=4
    )
    # Overdue: the supervisors hear at once (escalation level 1), the management level this many working
    # days after the missed deadline (level 2).
    escalate_management_days = models.PositiveSmallIntegerField(
        _("escalate to the management level after (working days overdue)"), default=2
    )
    fallback_unit = models.ForeignKey(
        "organisation.Unit",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("unit for cases no rule routes"),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("case settings")
        verbose_name_plural = _("case settings")

    def __str__(self) -> str:
        return (
            f"cases: contact {self.contact_days}, feedback {self.feedback_days}, rectify {self.rectify_days}"
        )

    @classmethod
    def current(cls) -> "CaseSettings":
        """The tenant's row, created with the defaults on first use."""
        found = cls.objects.order_by("pk").first()
        return found if found is not None else cls.objects.create()


class CaseSource(models.TextChoices):
    RATING = "rating", _("Bad rating")
    COMPLAINT = "complaint", _("Complaint (social channel)")


class CaseState(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    CONTACTED = "contacted", _("Evaluator contacted")
    VERIFIED = "verified", _("Verified")
    LEDGER = "ledger", _("In the rectification ledger")
    PENDING_CONFIRMATION = "pending_confirmation", _("Not adopted, awaiting confirmation")
    RESOLVED = "resolved", _("Resolved")
    FEEDBACK_SENT = "feedback_sent", _("Feedback sent")
    CLOSED = "closed", _("Closed")


OPEN_STATES = tuple(s for s in CaseState.values if s != CaseState.CLOSED)


class Verification(models.TextChoices):
    REASONABLE = "reasonable", _("Clear and reasonable")
    NEEDS_EXPLANATION = "needs_explanation", _("Needs an explanation")
    MISTAKEN = "mistaken", _("Mistaken rating")
    MALICIOUS = "malicious", _("Malicious rating")


class Outcome(models.TextChoices):
    FIXED = "fixed", _("Fixed at once (立行立改)")
    LEDGER = "ledger", _("Ledger with a deadline (台账)")
    EXPLAINED = "explained", _("Explained (解释说明)")
    NOT_ADOPTED = "not_adopted", _("Not adopted (误评、恶意差评)")


class Opinion(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    UNSATISFIED = "unsatisfied", _("Not satisfied")


class OpinionSource(models.TextChoices):
    STATUS_PAGE = "status_page", _("Status page")
    SMS = "sms", _("SMS reply")
    PHONE = "phone", _("Phone")


class CallbackMethod(models.TextChoices):
    PHONE = "phone", _("Phone")
    SMS = "sms", _("SMS")
    VISIT = "visit", _("Visit")
    OTHER = "other", _("Other")


class Case(models.Model):
    number = models.CharField(_("case number"), max_length=32, unique=True)
    source = models.CharField(
        _("source"), max_length=10, choices=CaseSource.choices, default=CaseSource.RATING
    )
    source_ref = models.CharField(
        _("source reference"), max_length=100, blank=True
    )  # e.g. a social comment id
    # The rating the case is about (its newest bad revision), NULL for a complaint. Deleting ratings is not
    # something the app does; when test or retention code does, the case goes with them.
    evaluation = models.ForeignKey(
        "evaluations.Evaluation", null=True, blank=True, on_delete=models.CASCADE, related_name="cases"
    )
    transaction = models.ForeignKey(
        "evaluations.Transaction", null=True, blank=True, on_delete=models.CASCADE, related_name="cases"
    )
    stage = models.CharField(max_length=10, blank=True)  # the rated stage; with transaction: one open case
    summary = models.TextField(
        _("summary"), blank=True
    )  # a complaint's text (a rating keeps its own comment)
    unit = models.ForeignKey(
        "organisation.Unit",
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("responsible unit"),
    )
    assignee = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("assigned officer"),
    )
    state = models.CharField(_("state"), max_length=20, choices=CaseState.choices, default=CaseState.NEW)
    verification = models.CharField(
        _("verification"), max_length=20, choices=Verification.choices, blank=True
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    resolution_note = models.TextField(_("resolution"), blank=True)
    ledger_deadline = models.DateField(_("ledger deadline"), null=True, blank=True)
    realname = models.BooleanField(_("real-name"), default=False)  # the rating was not anonymous
    reason_tags = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    opened_at = models.DateTimeField(_("opened at"))
    contact_due = models.DateTimeField(_("contact due"))
    feedback_due = models.DateTimeField(_("feedback due"))
    rectify_due = models.DateTimeField(_("rectification due"))
    contacted_at = models.DateTimeField(_("contacted at"), null=True, blank=True)  # first reached callback
    verified_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    feedback_at = models.DateTimeField(_("feedback sent at"), null=True, blank=True)
    feedback_text = models.TextField(_("feedback"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    evaluator_opinion = models.CharField(
        _("evaluator's opinion"), max_length=12, choices=Opinion.choices, blank=True
    )
    opinion_source = models.CharField(max_length=12, choices=OpinionSource.choices, blank=True)
    opinion_at = models.DateTimeField(null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(default=0)
    escalation_level = models.PositiveSmallIntegerField(default=0)  # 0 none, 1 supervisor, 2 management
    # The step (contact/feedback/rectify, selectors.due_of) the escalation is about: a case that moves on to
    # another step starts again from level 0 (services.common.append_event).
    escalated_step = models.CharField(max_length=10, blank=True, default="", db_default="")
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    # The hash chain's head (the newest event's hash) and its length: the receipt shown to the evaluator.
    head_hash = models.CharField(max_length=64, blank=True)
    last_seq = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(escalation_level__lte=2), name="case_escalation_0_to_2"),
            # A revision of a rating attaches to the open case of its (transaction, stage).
            models.UniqueConstraint(
                fields=["transaction", "stage"],
                condition=Q(transaction__isnull=False) & ~Q(state="closed"),
                name="case_one_open_per_transaction_stage",
            ),
            models.UniqueConstraint(
                fields=["source", "source_ref"], condition=~Q(source_ref=""), name="case_source_ref"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "opened_at"], name="case_state"),
            models.Index(fields=["unit", "state"], name="case_unit_state"),
            models.Index(fields=["contact_due"], name="case_contact_due", condition=~Q(state="closed")),
            models.Index(fields=["feedback_due"], name="case_feedback_due", condition=~Q(state="closed")),
            models.Index(fields=["rectify_due"], name="case_rectify_due", condition=~Q(state="closed")),
            models.Index(fields=["assignee", "state"], name="case_assignee_state"),
            models.Index(fields=["realname", "opened_at"], name="case_realname"),
            models.Index(fields=["closed_at"], name="case_closed_at", condition=Q(state="closed")),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.state != CaseState.CLOSED


class CaseCallback(models.Model):
    """One callback attempt (回访): several are allowed, reached or not; the first reached one contacts."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="callbacks")
    at = models.DateTimeField(_("called at"))
    method = models.CharField(_("method"), max_length=8, choices=CallbackMethod.choices)
    reached = models.BooleanField(_("reached the evaluator"))
    summary = models.TextField(_("summary"), blank=True)
    officer = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    officer_label = models.CharField(max_length=254)  # a person or an integration key
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.at:%Y-%m-%d %H:%M} {'reached' if self.reached else 'not reached'}"


class LedgerMilestone(models.Model):
    """A step of a ledger (台账) rectification, due by a date."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("title"), max_length=200)
    due = models.DateField(_("due"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["due", "id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.due})"


class SpotCheckResult(models.TextChoices):
    CONFIRMED = "confirmed", _("Handled properly")
    PROBLEM = "problem", _("Problem found")


class CaseSpotCheck(models.Model):
    """A supervisor's check of a closed case (抽查), often drawn by cases_sample_closed."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="spot_checks")
    result = models.CharField(_("result"), max_length=10, choices=SpotCheckResult.choices)
    note = models.TextField(_("note"), blank=True)
    checked_by = models.CharField(max_length=254)
    checked_at = models.DateTimeField()

    class Meta:
        ordering = ["-checked_at", "-id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.result}"


# --- the hash-chained event log ------------------------------------------------------------------------
GENESIS_HASH = "0" * 64


def event_hash(
    *,
    case_number: str,
    seq: int,
    kind: str,
    from_state: str,
    to_state: str,
    actor_label: str,
    actor_role: str,
    note: str,
    data: dict,
    created_at: datetime,
    prev_hash: str,
) -> str:
    """HMAC-SHA256, keyed with settings.CASES_CHAIN_KEY, over a canonical JSON of the event (sorted keys, no
    spaces, UTF-8, UTC time in microseconds). Keyed: a plain hash could be recomputed by whoever rewrites rows in
    the database; without the key, which is not in the database, an edited history cannot be made to verify."""
    payload = {
        "case": case_number,
        "seq": seq,
        "kind": kind,
        "from": from_state,
        "to": to_state,
        "actor": actor_label,
        "role": actor_role,
        "note": note,
        "data": data,
        "at": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "prev": prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(settings.CASES_CHAIN_KEY.encode(), canonical.encode(), hashlib.sha256).hexdigest()


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError(_("Case history is append-only."))

    def delete(self):
        raise ValidationError(_("Case history is append-only."))

    _raw_delete = delete


class CaseEvent(models.Model):
    """One entry of a case's history. Append-only: the app refuses updates and deletes, and so does a
    PostgreSQL trigger (migration 0002); each event carries the previous one's hash, so an edit made by
    dropping the trigger breaks the chain (tenants.cases.services.case_chain_verify)."""

    # Django does not cascade here (DO_NOTHING, no Django-made constraint): the database constraint made in
    # migration 0002 is ON DELETE CASCADE, and the trigger lets a case's events go only with the case itself.
    case = models.ForeignKey(Case, on_delete=models.DO_NOTHING, db_constraint=False, related_name="events")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=32)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    actor_label = models.CharField(max_length=254)
    actor_role = models.CharField(max_length=32, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["case_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="case_event_seq")]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.kind}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("Case history is append-only."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Case history is append-only."))

    def computed_hash(self, case_number: str) -> str:
        return event_hash(
            case_number=case_number,
            seq=self.seq,
            kind=self.kind,
            from_state=self.from_state,
            to_state=self.to_state,
            actor_label=self.actor_label,
            actor_role=self.actor_role,
            note=self.note,
            data=self.data,
            created_at=self.created_at,
            prev_hash=self.prev_hash,
        )
