"""Sign-up requests (public schema): an organisation asks for a tenant; national staff (or the deployment's
auto-approval) decide; a worker provisions it and invites the requester as the tenant's first administrator."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import TenantKind


def stale_claim_cutoff():
    minutes = getattr(settings, "ONBOARDING_STALE_CLAIM_MINUTES", 10)
    return timezone.now() - timedelta(minutes=minutes)


class SignupStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted, waiting for review")
    APPROVED = "approved", _("Approved, waiting for the worker")
    REJECTED = "rejected", _("Rejected")
    PROVISIONING = "provisioning", _("Being set up")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


# A requester has at most one of these at a time; a subdomain is held by one of these (or a ready request).
PENDING_STATUSES = (SignupStatus.SUBMITTED, SignupStatus.APPROVED, SignupStatus.PROVISIONING)
HOLDING_STATUSES = (*PENDING_STATUSES, SignupStatus.READY)
# Organisations may sign themselves up as these kinds (a national tenant is set up by national staff).
SIGNUP_KINDS = (TenantKind.PROVINCE, TenantKind.CITY, TenantKind.COUNTY, TenantKind.AGENCY)


class SignupStep(models.TextChoices):
    """Where the worker is; `progress` says how far in percent."""

    WAITING = "waiting", _("Waiting for review")
    QUEUED = "queued", _("Queued for set-up")
    CHECKING = "checking", _("Checking the application")
    CREATING = "creating", _("Creating the workspace and its database")
    INVITING = "inviting", _("Sending the invitation to the first administrator")
    DONE = "done", _("Your workspace is ready")
    STOPPED = "stopped", _("Stopped")


class SignupRequest(models.Model):
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="signup_requests",
        verbose_name=_("requester"),
    )
    organisation_name = models.CharField(_("organisation name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=TenantKind.choices)
    region_code = models.CharField(_("region code"), max_length=6)
    slug = models.CharField(_("subdomain"), max_length=30)
    contact_name = models.CharField(_("contact name"), max_length=100)
    contact_phone = models.CharField(_("contact phone"), max_length=32)
    contact_email = models.EmailField(_("contact e-mail"))
    status = models.CharField(
        _("status"), max_length=16, choices=SignupStatus.choices, default=SignupStatus.SUBMITTED
    )
    rejection_reason = models.TextField(_("reason for the rejection"), blank=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    step = models.CharField(_("step"), max_length=16, choices=SignupStep.choices, default=SignupStep.WAITING)
    error = models.TextField(_("error"), blank=True)  # what the requester reads
    error_detail = models.TextField(_("technical detail"), blank=True)  # for reviewers only (and the log)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When a worker last claimed it (or reported progress): a PROVISIONING request whose claim is older than
    # ONBOARDING_STALE_CLAIM_MINUTES lost its worker and may be claimed again (services.py).
    claimed_at = models.DateTimeField(null=True, blank=True)
    tenant = models.ForeignKey(
        "tenants.Tenant",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("tenant"),
    )
    # The reseller the organisation chose (or whose staff applied for it): its staff review it, and the tenant
    # is provisioned as that reseller's customer (billing.resellers).
    reseller = models.ForeignKey(
        "billing.Reseller",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="signup_requests",
        verbose_name=_("reseller"),
    )
    # Links sent outside a request (the invitation) are built from the address the application came in on.
    site_url = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=16, blank=True)
    decided_by = models.CharField(max_length=254, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    ready_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["requester"],
                condition=Q(status__in=PENDING_STATUSES),
                name="signup_one_pending_per_requester",
            ),
            models.UniqueConstraint(
                fields=["slug"], condition=Q(status__in=HOLDING_STATUSES), name="signup_slug_held_once"
            ),
            models.UniqueConstraint(
                fields=["organisation_name", "region_code"],
                condition=Q(status__in=HOLDING_STATUSES),
                name="signup_organisation_once",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="signup_status_created")]

    def __str__(self) -> str:
        return f"{self.organisation_name} ({self.slug}, {self.status})"

    @property
    def claim_is_stale(self) -> bool:
        """Being set up, but no worker has reported for too long (killed mid-task): it may be resumed."""
        if self.status != SignupStatus.PROVISIONING:
            return False
        return self.claimed_at is None or self.claimed_at < stale_claim_cutoff()

    @property
    def is_finished(self) -> bool:
        return self.status in (SignupStatus.READY, SignupStatus.FAILED, SignupStatus.REJECTED)
