"""A tenant's claim on a custom domain: routed to the tenant (a django-tenants Domain row) only once verified."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class VerificationMethod(models.TextChoices):
    DNS_TXT = "dns_txt", _("DNS TXT record")
    HTTP_TOKEN = "http_token", _("HTTP token file")


class DomainClaim(models.Model):
    # Public schema. A pending claim does not hold the name: several tenants may wait on the same name (else any
    # tenant could squat a name it cannot prove). Only a verified claim holds it, one per name (constraint below).
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="domain_claims")
    domain = models.CharField(_("domain"), max_length=253)
    method = models.CharField(_("verification method"), max_length=16, choices=VerificationMethod.choices)
    token = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    # Start of the current unverified stretch (creation, or the moment a verified claim was un-routed): the
    # periodic re-check tries pending claims for DOMAINS_PENDING_DAYS from here.
    pending_since = models.DateTimeField(default=timezone.now)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    # The last check's failure as a code of themes/domains/verify.py (rendered in the reader's language) and
    # its parameters; empty after a successful check.
    last_error = models.CharField(max_length=300, blank=True)
    last_error_params = models.JSONField(default=dict, blank=True)
    # Consecutive failed re-checks of a verified claim; DOMAINS_UNROUTE_AFTER_FAILURES of them un-route it.
    failures = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["domain"]
        indexes = [models.Index(fields=["verified_at", "last_checked_at"], name="domainclaim_recheck")]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "domain"], name="domainclaim_tenant_domain"),
            models.UniqueConstraint(
                fields=["domain"],
                condition=models.Q(verified_at__isnull=False),
                name="domainclaim_verified_domain",
            ),
        ]

    def __str__(self) -> str:
        return self.domain

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    def is_lapsed(self, now) -> bool:
        """Unverified past its retry period: no longer re-tried automatically ("verify now" still works)."""
        return self.verified_at is None and self.pending_since < now - timedelta(
            days=settings.DOMAINS_PENDING_DAYS
        )
