"""A tenant's claim on a custom domain: routed to the tenant (a django-tenants Domain row) only once verified."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class VerificationMethod(models.TextChoices):
    DNS_TXT = "dns_txt", _("DNS TXT record")
    HTTP_TOKEN = "http_token", _("HTTP token file")


class DomainClaim(models.Model):
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="domain_claims")
    domain = models.CharField(_("domain"), max_length=253, unique=True)
    method = models.CharField(_("verification method"), max_length=16, choices=VerificationMethod.choices)
    token = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.domain
