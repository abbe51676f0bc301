"""Channels where a person or a gateway relays the rating: paper forms entered by staff, SMS replies to an
invitation, and social comments (综合点评) from suggestion boxes, the hotline, the supervision platform and
e-mail. Ratings themselves are always `evaluations.Evaluation` rows stored through `evaluations_submit`;
the models here keep what the relay adds (the paper form's date and scan, the invitation, the raw message).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PaperEntry(models.Model):
    """A filled paper form (纸质评价表) typed in by a staff member; the rating is `evaluation` (channel paper)."""

    evaluation = models.OneToOneField(
        "evaluations.Evaluation", on_delete=models.PROTECT, related_name="paper_entry"
    )
    form_date = models.DateField(_("date on the form"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="paper_entries",
        verbose_name=_("entered by"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"paper {self.form_date} → evaluation {self.evaluation_id}"


class PaperScan(models.Model):
    """The scanned form, kept in the database with its entry (PDF, PNG or JPEG; type checked by magic bytes)."""

    entry = models.OneToOneField(PaperEntry, on_delete=models.CASCADE, related_name="scan")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    data = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"scan of {self.entry_id} ({self.content_type}, {self.size} bytes)"


class SmsInvitation(models.Model):
    """An SMS that invited a phone to rate a transaction by replying (回复1-5).

    `tag_codes` snapshots the tenant's active reason tags at sending: the numbers in the text and in the
    reply refer to this list, so a later change of the tag list cannot shift what "2" means.
    """

    transaction = models.ForeignKey(
        "evaluations.Transaction", on_delete=models.PROTECT, related_name="sms_invitations"
    )
    phone = models.TextField()  # encrypted (tenants.privacy.crypto)
    phone_hash = models.CharField(max_length=64)  # keyed hash of the normalised number, for lookup
    text = models.TextField()
    tag_codes = models.JSONField(default=list)
    provider_message_id = models.CharField(max_length=100, blank=True)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    evaluation = models.ForeignKey(
        "evaluations.Evaluation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sms_invitations",
    )
    created_by = models.CharField(max_length=80)

    class Meta:
        indexes = [models.Index(fields=["phone_hash", "-sent_at"])]

    def __str__(self) -> str:
        return f"sms invitation {self.pk} for {self.transaction_id}"

    @property
    def answered(self) -> bool:
        return self.answered_at is not None


class SmsOutcome(models.TextChoices):
    ACCEPTED = "accepted", _("Rating recorded")
    REVISED = "revised", _("Rating revised")
    UNREADABLE = "unreadable", _("Reply not understood")
    REFUSED = "refused", _("Rating refused")
    EXPIRED = "expired", _("Invitation expired")
    UNKNOWN_PHONE = "unknown_phone", _("No invitation for this phone")
    OPT_OUT = "opt_out", _("Unsubscribe request")
    CASE_OPINION = "case_opinion", _("Opinion on a case's feedback")


class SmsInbound(models.Model):
    """One message the gateway relayed; `gateway_message_id` makes a replayed delivery a no-op."""

    gateway_message_id = models.CharField(max_length=100, unique=True)
    phone = models.TextField()  # encrypted
    phone_hash = models.CharField(max_length=64, db_index=True)
    text = models.TextField()
    received_at = models.DateTimeField()
    outcome = models.CharField(max_length=16, choices=SmsOutcome.choices)
    reply = models.TextField(blank=True)
    invitation = models.ForeignKey(
        SmsInvitation, null=True, blank=True, on_delete=models.PROTECT, related_name="replies"
    )
    evaluation = models.ForeignKey(
        "evaluations.Evaluation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"sms {self.gateway_message_id}: {self.outcome}"


class SocialSource(models.TextChoices):
    SUGGESTION_BOX = "suggestion_box", _("Suggestion box")
    HOTLINE = "hotline", _("Hotline")
    SUPERVISION_PLATFORM = "supervision_platform", _("Supervision platform")
    EMAIL = "email", _("E-mail")
    SOCIAL_ASSESSMENT = "social_assessment", _("Assessment by a social organisation or third party")


class SocialComment(models.Model):
    """A comment from society (综合点评), attached to the object it names when one is named."""

    source_kind = models.CharField(_("source"), max_length=24, choices=SocialSource.choices)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    text = models.TextField(_("text"))
    received_at = models.DateTimeField(_("received at"))
    contact = models.TextField(blank=True)  # encrypted: a phone, an e-mail address or a name
    unit = models.ForeignKey(
        "organisation.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="social_comments"
    )
    window = models.ForeignKey(
        "organisation.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ForeignKey(
        "organisation.Staff", null=True, blank=True, on_delete=models.PROTECT, related_name="social_comments"
    )
    item = models.ForeignKey(
        "catalog.ServiceItem", null=True, blank=True, on_delete=models.PROTECT, related_name="social_comments"
    )
    platform = models.ForeignKey(
        "organisation.Platform",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="social_comments",
    )
    # NULL, not "", when absent: only comments with an outside id (Message-ID, hotline ticket) are de-duplicated.
    external_id = models.CharField(max_length=250, null=True, blank=True)  # noqa: DJ001
    created_by = models.CharField(max_length=254)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_kind", "external_id"],
                condition=Q(external_id__isnull=False),
                name="social_comment_external_id",
            )
        ]
        indexes = [models.Index(fields=["received_at"])]

    def __str__(self) -> str:
        return f"{self.source_kind} {self.received_at:%Y-%m-%d}: {self.text[:30]}"
