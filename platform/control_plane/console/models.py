"""The national staff console's tables (public schema).

No foreign key points at a user: the same tables are read from tenant hosts (the search path ends in
`public`), where `accounts_user` is the tenant's own table. People are kept as an id and a label.
"""

from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import TenantStatus

SUPPORT_MAX_MINUTES = 8 * 60
SUPPORT_PENDING_HOURS = 24  # a request not decided within this long can no longer be approved


class TenantStatusChange(models.Model):
    """Every suspension, archiving and resumption: what the tenant was before (resume restores it)."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=16)  # suspend / archive / resume
    before = models.CharField(max_length=16, choices=TenantStatus.choices)
    after = models.CharField(max_length=16, choices=TenantStatus.choices)
    reason = models.TextField()
    actor_id = models.BigIntegerField(null=True)
    actor_label = models.CharField(max_length=254)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["tenant", "-at"], name="console_status_tenant_at")]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.before}→{self.after}"


class TenantStorage(models.Model):
    """A tenant schema's size as last measured (tasks.measure_storage_everywhere, daily)."""

    tenant = models.OneToOneField(
        "tenants.Tenant", on_delete=models.CASCADE, primary_key=True, related_name="console_storage"
    )
    bytes = models.BigIntegerField()
    measured_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.tenant_id}: {self.bytes} B"


class TenantActivity(models.Model):
    """A tenant's latest activity in the national feed, folded in from the feed's new records by
    services.activity_refresh (a range of cursors at a time), so the console reads one row per tenant
    instead of aggregating the whole feed on every page view."""

    tenant = models.OneToOneField(
        "tenants.Tenant", on_delete=models.CASCADE, primary_key=True, related_name="console_activity"
    )
    last_rating_at = models.DateTimeField(null=True)  # newest occurred_at of an evaluation record
    last_appended_at = models.DateTimeField(null=True)  # when the relay last appended any record
    last_lag = models.DurationField(null=True)  # appended_at − occurred_at of the last evaluation record
    last_cursor = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.tenant_id} @ {self.last_cursor}"


class ActivityCursor(models.Model):
    """One row: the feed cursor up to which TenantActivity has been folded in."""

    last = models.BigIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"activity up to {self.last}"


class GrantStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the tenant's approval")
    APPROVED = "approved", _("Approved")
    DENIED = "denied", _("Denied")
    REVOKED = "revoked", _("Revoked")


class SupportGrant(models.Model):
    """A national staff member's time-limited, read-only access to one tenant, asked for with a reason and
    approved (or denied) by that tenant's administrator. While active, the staff member opens the tenant
    through a one-time link as a read-only user made for this grant alone (support_user_id)."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    requested_by_id = models.BigIntegerField()  # a public-schema user
    requested_by_label = models.CharField(max_length=254)
    reason = models.TextField()
    minutes = models.PositiveIntegerField()  # how long the access lasts once approved
    role = models.CharField(max_length=32)
    status = models.CharField(max_length=16, choices=GrantStatus.choices, default=GrantStatus.PENDING)
    requested_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by_label = models.CharField(max_length=254, blank=True)  # a tenant administrator
    decision_note = models.TextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by_label = models.CharField(max_length=254, blank=True)
    support_user_id = models.BigIntegerField(null=True, blank=True)  # in the tenant's schema
    entry_nonce = models.CharField(max_length=64, blank=True)  # the one-time link's, cleared when used
    last_entered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(
        null=True, blank=True
    )  # its read-only user deactivated (revoked, expired)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["tenant", "status"], name="console_grant_tenant_status")]

    def __str__(self) -> str:
        return f"support #{self.pk} {self.tenant_id} {self.status}"

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        return self.status == GrantStatus.APPROVED and self.expires_at is not None and now < self.expires_at

    def is_pending(self, now=None) -> bool:
        now = now or timezone.now()
        return self.status == GrantStatus.PENDING and now < self.requested_at + timedelta(
            hours=SUPPORT_PENDING_HOURS
        )

    def state(self, now=None) -> str:
        """What a person should read: pending / active / expired / denied / revoked / lapsed (never decided)."""
        now = now or timezone.now()
        if self.status == GrantStatus.PENDING:
            return "pending" if self.is_pending(now) else "lapsed"
        if self.status == GrantStatus.APPROVED:
            return "active" if self.is_active(now) else "expired"
        return self.status
