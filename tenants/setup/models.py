"""First-run set-up of a tenant: invitations that let a person set their own password (the first
administrator after sign-up, staff invited later) and the checklist's explicit choices."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

INVITATION_HOURS = 72


class InvitationKind(models.TextChoices):
    FIRST_ADMIN = "first_admin", _("First administrator")
    STAFF = "staff", _("Staff member")


class Invitation(models.Model):
    """A one-time link to set a password. Only a SHA-256 digest of its secret is stored; the link is sent once.
    A newer invitation for the same person revokes the older ones."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations")
    kind = models.CharField(max_length=16, choices=InvitationKind.choices, default=InvitationKind.STAFF)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"invitation {self.pk} for user {self.user_id} ({self.kind})"


class StepState(models.TextChoices):
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")


class SetupStep(models.Model):
    """An administrator's explicit choice for one checklist step (no row: to do, unless its data exists)."""

    key = models.CharField(max_length=32, unique=True)
    state = models.CharField(max_length=16, choices=StepState.choices)
    changed_at = models.DateTimeField(auto_now=True)
    changed_by = models.CharField(max_length=254, blank=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.state}"
