"""Custom-domain writes: claim a name, prove it (verify.py), route it (a tenants.Domain row), remove it.

Claims live in the public schema. Several tenants may claim the same name while pending; the first to prove it
gets it, and only a verified claim holds the name (so nobody can squat on a name they cannot prove). A claim
routes only while verified; routing is exactly the existence of the tenants.Domain row, which the tenant
middleware reads. Each change is audited in the claiming tenant's own trail.
"""

import ipaddress
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import idna
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.services import audit_record
from tenants.middleware import host_cache_clear
from tenants.models import Domain, Tenant
from themes.domains.models import DomainClaim, VerificationMethod
from themes.domains.verify import CheckResult, check

RECHECK_VERIFIED_EVERY = timedelta(days=1)
RECHECK_BATCH = 200  # claims per periodic run; each check ends within its DNS or HTTP timeout
# Checks run side by side (network only, no database), so a few slow servers cannot hold up everyone's re-check.
RECHECK_PARALLEL = 8
# Special-use names (RFC 6761 and friends) that no one can prove from the internet.
RESERVED_SUFFIXES = ("localhost", "local", "invalid", "arpa", "internal", "home.arpa")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
SYSTEM_ACTOR = Actor.system("custom domains")


def _invalid(message: str) -> ValidationError:
    return ValidationError({"domain": [message]}, code="invalid")


def domain_normalize(raw: str) -> str:
    """The ASCII (IDNA 2008, punycode) lower-case form of a host name a person typed, or ValidationError.

    A leading "www." is dropped: the tenant middleware serves www.<name> as <name> (django-tenants)."""
    text = (raw or "").strip()
    if not text:
        raise _invalid(_("Enter a domain name."))
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        pass
    else:
        raise _invalid(_("An IP address cannot be used; enter a domain name."))
    if "/" in text or ":" in text or "@" in text or " " in text:
        raise _invalid(
            _("Enter only the domain name, like pingjia.example.gov.cn, without http:// or a path.")
        )
    text = text.rstrip(".。．")
    try:
        name = idna.encode(text, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError):
        raise _invalid(_("“%(name)s” is not a valid domain name.") % {"name": text[:100]}) from None
    labels = name.split(".")
    if labels[0] == "www":
        labels = labels[1:]
        name = ".".join(labels)
    if any(name == suffix or name.endswith("." + suffix) for suffix in RESERVED_SUFFIXES):
        raise _invalid(
            _("%(name)s is a reserved name that cannot be reached from the internet.") % {"name": name}
        )
    if (
        len(name) > 253
        or len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise _invalid(
            _("“%(name)s” is not a valid domain name: use a full name such as pingjia.example.gov.cn.")
            % {"name": text[:100]}
        )
    base = settings.BASE_DOMAIN.lower().rstrip(".")
    if name == base or name.endswith("." + base):
        raise _invalid(
            _("%(name)s belongs to the platform itself; enter your organisation's own domain.")
            % {"name": name}
        )
    return name


def _audit(
    *, actor: Actor, tenant: Tenant, action: str, claim: DomainClaim, data: dict | None = None
) -> None:
    """In the tenant's own trail, whichever schema the caller is in (tenant page or periodic task)."""
    with schema_context(tenant.schema_name):
        audit_record(actor=actor, action=action, target=claim, data={"domain": claim.domain, **(data or {})})


def _routes_changed() -> None:
    # Now for this process (and this transaction's later reads), again after commit for requests that cached the
    # old row meanwhile; other processes' caches expire within HOST_CACHE_SECONDS.
    host_cache_clear()
    transaction.on_commit(host_cache_clear)


@transaction.atomic
def domain_claim_add(*, actor: Actor, tenant: Tenant, domain: str, method: str) -> DomainClaim:
    name = domain_normalize(domain)
    if method not in VerificationMethod.values:
        raise ValidationError({"method": [_("Choose how to prove the domain is yours.")]})
    if DomainClaim.objects.filter(tenant=tenant).count() >= settings.DOMAINS_MAX_PER_TENANT:
        raise ValidationError(
            {
                "domain": [
                    _("At most %(count)s domains per organisation.")
                    % {"count": settings.DOMAINS_MAX_PER_TENANT}
                ]
            }
        )
    # Other tenants' pending claims on the name do not count: only proof holds a name.
    if DomainClaim.objects.filter(tenant=tenant, domain=name).exists():
        raise _invalid(_("%(name)s is already on your list.") % {"name": name})
    if DomainClaim.objects.filter(domain=name, verified_at__isnull=False).exists():
        raise _invalid(_("%(name)s is already claimed by another organisation.") % {"name": name})
    if Domain.objects.filter(domain=name).exists():
        raise _invalid(_("%(name)s is already in use on this platform.") % {"name": name})
    try:
        with transaction.atomic():
            claim = DomainClaim.objects.create(
                tenant=tenant,
                domain=name,
                method=method,
                token=secrets.token_urlsafe(24),
                pending_since=timezone.now(),
            )
    except IntegrityError:  # the same tenant's concurrent request committed first
        raise _invalid(_("%(name)s is already on your list.") % {"name": name}) from None
    _audit(actor=actor, tenant=tenant, action="domain.claim", claim=claim, data={"method": method})
    return claim


def _verified_elsewhere() -> Exists:
    """Another tenant's verified claim on the same name (for .annotate/.filter on DomainClaim)."""
    return Exists(
        DomainClaim.objects.filter(domain=OuterRef("domain"), verified_at__isnull=False).exclude(
            tenant=OuterRef("tenant")
        )
    )


def _taken(claim: DomainClaim) -> bool:
    return DomainClaim.objects.filter(pk=claim.pk).filter(_verified_elsewhere()).exists()


def _proof(claim: DomainClaim, *, taken: bool) -> CheckResult:
    """The check over the network; no database, so the periodic pass runs it in worker threads."""
    if taken:  # another organisation proved the name first: nothing to fetch
        return CheckResult.failed("domain_in_use", name=claim.domain)
    return check(domain=claim.domain, method=claim.method, token=claim.token)


def domain_claim_verify(*, actor: Actor, claim: DomainClaim, scheduled: bool = False) -> DomainClaim | None:
    """Check the proof now and record the outcome; None when the claim was removed meanwhile.

    Only scheduled re-checks count towards un-routing a verified claim: a person pressing "verify now" during a
    DNS change must not take the site down."""
    # Network I/O first, outside any transaction: a slow DNS server must not hold row locks.
    result = _proof(claim, taken=_taken(claim))
    return domain_claim_record(actor=actor, claim_id=claim.pk, result=result, scheduled=scheduled)


def _route(claim: DomainClaim) -> bool:
    """The tenants.Domain row for a verified claim; False when the name routes to another tenant."""
    try:
        with transaction.atomic():
            route, _created = Domain.objects.get_or_create(
                domain=claim.domain, defaults={"tenant": claim.tenant, "is_primary": False}
            )
    except IntegrityError:
        return False
    return route.tenant_id == claim.tenant_id


def _unroute(claim: DomainClaim) -> None:
    Domain.objects.filter(domain=claim.domain, tenant=claim.tenant, is_primary=False).delete()


@transaction.atomic
def domain_claim_record(
    *, actor: Actor, claim_id: int, result: CheckResult, scheduled: bool = False
) -> DomainClaim | None:
    claim = DomainClaim.objects.select_for_update().select_related("tenant").filter(pk=claim_id).first()
    if claim is None:
        return None
    now = timezone.now()
    was_verified = claim.is_verified
    # The first proof wins: another tenant may have verified the name since this check started (its routing row,
    # unique per name, settles a race between two proofs).
    if result.ok and (_taken(claim) or not _route(claim)):
        result = CheckResult.failed("domain_in_use", name=claim.domain)
    claim.last_checked_at = now
    claim.last_error = result.code
    claim.last_error_params = result.params
    if result.ok:
        claim.failures = 0
        if not was_verified:
            claim.verified_at = now
            _routes_changed()
            _audit(
                actor=actor,
                tenant=claim.tenant,
                action="domain.verify",
                claim=claim,
                data={"method": claim.method},
            )
    elif was_verified and scheduled:
        claim.failures += 1  # the row is locked: no concurrent count
        if claim.failures >= settings.DOMAINS_UNROUTE_AFTER_FAILURES:
            _unroute(claim)
            claim.verified_at = None
            claim.pending_since = now
            claim.failures = 0
            _routes_changed()
            _audit(
                actor=actor,
                tenant=claim.tenant,
                action="domain.unroute",
                claim=claim,
                data={"error": result.code, "failures": settings.DOMAINS_UNROUTE_AFTER_FAILURES},
            )
    claim.save()
    if not scheduled:  # a person's check is an action of theirs; periodic checks audit only changes of state
        _audit(
            actor=actor,
            tenant=claim.tenant,
            action="domain.check",
            claim=claim,
            data={"ok": result.ok, "error": result.code},
        )
    return claim


@transaction.atomic
def domain_claim_remove(*, actor: Actor, claim: DomainClaim) -> None:
    claim = DomainClaim.objects.select_for_update().select_related("tenant").get(pk=claim.pk)
    _unroute(claim)
    _audit(
        actor=actor,
        tenant=claim.tenant,
        action="domain.remove",
        claim=claim,
        data={"was_verified": claim.is_verified},
    )
    claim.delete()
    _routes_changed()


def domain_claims_recheck(*, now=None, batch: int = RECHECK_BATCH) -> int:
    """The periodic pass: pending claims within DOMAINS_PENDING_DAYS of pending_since, and verified claims not
    checked for a day. Returns how many claims were checked."""
    now = now or timezone.now()
    pending = DomainClaim.objects.filter(
        verified_at__isnull=True, pending_since__gte=now - timedelta(days=settings.DOMAINS_PENDING_DAYS)
    )
    due = DomainClaim.objects.filter(verified_at__isnull=False).filter(
        Q(last_checked_at__isnull=True) | Q(last_checked_at__lte=now - RECHECK_VERIFIED_EVERY)
    )
    order = F("last_checked_at").asc(nulls_first=True)
    claims = [
        *pending.annotate(taken=_verified_elsewhere()).order_by(order)[:batch],
        *due.annotate(taken=_verified_elsewhere()).order_by(order)[:batch],
    ]
    # Each check ends within its timeout (verify.py); side by side, one slow server delays no other claim.
    with ThreadPoolExecutor(max_workers=RECHECK_PARALLEL) as pool:
        results = pool.map(lambda claim: _proof(claim, taken=claim.taken), claims)
        for claim, result in zip(claims, results, strict=True):
            domain_claim_record(actor=SYSTEM_ACTOR, claim_id=claim.pk, result=result, scheduled=True)
    return len(claims)
