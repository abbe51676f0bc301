from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NotifyChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notification(models.Model):
    """One message to one person (an evaluator, a complainant). The address is personal data: stored
    encrypted (tenants/privacy), shown masked, matched by keyed hash."""

    channel = models.CharField(_("channel"), max_length=10, choices=NotifyChannel.choices)
    recipient = models.TextField(_("recipient (encrypted)"))
    recipient_masked = models.CharField(_("recipient"), max_length=120)
    recipient_hash = models.CharField(max_length=64, db_index=True)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    reference = models.CharField(_("reference"), max_length=100, blank=True, db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    provider_id = models.CharField(_("provider message id"), max_length=200, blank=True)
    created_by = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.channel} {self.recipient_masked} {self.status}"
