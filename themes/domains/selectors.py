"""Reads for the custom-domain page: a tenant's claims with their instructions and status in plain words."""

from dataclasses import dataclass

import idna
from django.utils import timezone

from tenants.models import Tenant
from themes.domains.models import DomainClaim
from themes.domains.verify import error_text, http_url, txt_name, txt_value


@dataclass(frozen=True)
class ClaimView:
    claim: DomainClaim
    unicode_name: str  # the name as people write it (政务.中国), when it differs from the ASCII form
    status: str  # "verified" | "pending" | "lapsed" (no longer re-tried; "verify now" still works)
    error: str
    txt_name: str
    txt_value: str
    http_url: str


def _unicode(name: str) -> str:
    try:
        text = idna.decode(name)
    except (idna.IDNAError, UnicodeError):
        return ""
    return text if text != name else ""


def claim_view(claim: DomainClaim) -> ClaimView:
    if claim.verified_at:
        status = "verified"
    elif claim.is_lapsed(timezone.now()):
        status = "lapsed"
    else:
        status = "pending"
    return ClaimView(
        claim=claim,
        unicode_name=_unicode(claim.domain),
        status=status,
        error=error_text(claim.last_error, claim.last_error_params) if claim.last_error else "",
        txt_name=txt_name(claim.domain),
        txt_value=txt_value(claim.token),
        http_url=http_url(claim.domain),
    )


def claims_for_tenant(tenant: Tenant) -> list[ClaimView]:
    return [claim_view(claim) for claim in DomainClaim.objects.filter(tenant=tenant).order_by("domain")]


def claim_for_tenant(tenant: Tenant, pk: int) -> DomainClaim | None:
    """The tenant's own claim only: another tenant's id is simply not found."""
    return DomainClaim.objects.filter(tenant=tenant, pk=pk).select_related("tenant").first()


def verified_claim_for_host(tenant: Tenant, host: str) -> DomainClaim | None:
    return DomainClaim.objects.filter(tenant=tenant, domain=host, verified_at__isnull=False).first()
