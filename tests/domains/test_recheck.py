"""The periodic pass: pending claims re-tried for DOMAINS_PENDING_DAYS, verified ones re-checked daily, and a
verified domain whose proof is gone un-routed after DOMAINS_UNROUTE_AFTER_FAILURES failed daily re-checks."""

from datetime import timedelta

from django.conf import settings as django_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent
from tenants.models import Domain
from tests.conftest import host_client
from tests.domains.conftest import claim, signed_in
from themes.domains.models import DomainClaim
from themes.domains.services import domain_claim_verify, domain_claims_recheck
from themes.domains.tasks import domain_claims_recheck_everywhere


def _routed(name: str) -> bool:
    return (
        Domain.objects.filter(domain=name).exists()
        and host_client(name).get("/accounts/login/").status_code == 200
    )


def _a_day_passes(c: DomainClaim) -> None:
    DomainClaim.objects.filter(pk=c.pk).update(last_checked_at=timezone.now() - timedelta(days=1, minutes=1))


def _verified(info, zone, name: str) -> DomainClaim:
    c = claim(info, name)
    zone.publish(c)
    return domain_claim_verify(actor=Actor.system("tests"), claim=c)


def test_the_beat_task_verifies_a_pending_claim_once_its_record_appears(alpha, zone):
    c = claim(alpha, "pingjia.alpha-gov.cn")
    assert (
        django_settings.CELERY_BEAT_SCHEDULE["domains-recheck"]["task"]
        == domain_claims_recheck_everywhere.name
    )
    assert domain_claims_recheck_everywhere.apply().get() == 1
    assert DomainClaim.objects.get(pk=c.pk).last_error == "dns_no_record" and not _routed(c.domain)
    zone.publish(c)
    assert domain_claims_recheck_everywhere.apply().get() == 1
    assert DomainClaim.objects.get(pk=c.pk).verified_at is not None and _routed(c.domain)
    with schema_context(alpha.schema):  # periodic checks audit changes of state only
        actions = list(
            AuditEvent.objects.filter(action__startswith="domain.").values_list("action", flat=True)
        )
    assert sorted(actions) == ["domain.claim", "domain.verify"]


def test_a_claim_pending_longer_than_the_retry_period_is_no_longer_retried(alpha, zone):
    # given alpha's claim, never proven, older than the retry period
    c = claim(alpha, "pingjia.alpha-gov.cn")
    DomainClaim.objects.filter(pk=c.pk).update(pending_since=timezone.now() - timedelta(days=8))
    zone.publish(c)
    # then the periodic pass no longer tries it, and alpha's page says so
    assert domain_claims_recheck() == 0 and zone.resolver.queries == []
    page = signed_in(alpha).get("/settings/domains/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "no longer checked automatically" in page
    # but "verify now" still works
    assert domain_claim_verify(actor=Actor.system("tests"), claim=c).verified_at is not None and _routed(
        c.domain
    )


def test_verified_claims_are_rechecked_once_a_day(alpha, zone):
    c = _verified(alpha, zone, "pingjia.alpha-gov.cn")
    zone.resolver.queries.clear()
    assert domain_claims_recheck() == 0 and zone.resolver.queries == []
    _a_day_passes(c)
    assert domain_claims_recheck() == 1 and len(zone.resolver.queries) == 1
    assert DomainClaim.objects.get(pk=c.pk).verified_at is not None


def test_a_removed_txt_record_unroutes_after_three_failed_daily_rechecks(alpha, zone):
    # given a verified domain whose TXT record was then removed
    c = _verified(alpha, zone, "pingjia.alpha-gov.cn")
    zone.withdraw(c)
    # when two daily re-checks fail, it still routes
    for failures in (1, 2):
        _a_day_passes(c)
        domain_claims_recheck()
        now = DomainClaim.objects.get(pk=c.pk)
        assert (now.failures, now.last_error, now.verified_at is not None) == (
            failures,
            "dns_no_record",
            True,
        )
        assert _routed(c.domain)
    # when the third fails, it is un-routed and pending again
    _a_day_passes(c)
    domain_claims_recheck()
    now = DomainClaim.objects.get(pk=c.pk)
    assert (now.verified_at, now.failures, now.last_error) == (None, 0, "dns_no_record")
    assert now.pending_since > c.verified_at
    assert not _routed(c.domain) and host_client(c.domain).get("/accounts/login/").status_code == 404
    with schema_context(alpha.schema):
        assert AuditEvent.objects.filter(action="domain.unroute", target_id=str(c.pk)).exists()
    # and it routes again as soon as the record is back (the pending claim is re-tried)
    zone.publish(c)
    domain_claims_recheck()
    assert _routed(c.domain)


def test_a_passing_recheck_resets_the_count(alpha, zone):
    c = _verified(alpha, zone, "pingjia.alpha-gov.cn")
    zone.withdraw(c)
    for _day in range(2):
        _a_day_passes(c)
        domain_claims_recheck()
    zone.publish(c)
    _a_day_passes(c)
    domain_claims_recheck()
    zone.withdraw(c)
    _a_day_passes(c)
    domain_claims_recheck()
    assert DomainClaim.objects.get(pk=c.pk).failures == 1 and _routed(c.domain)


def test_failed_manual_checks_do_not_unroute(alpha, zone):
    c = _verified(alpha, zone, "pingjia.alpha-gov.cn")
    zone.withdraw(c)
    client = signed_in(alpha)
    for _press in range(4):
        client.post(f"/settings/domains/{c.pk}/verify")
    now = DomainClaim.objects.get(pk=c.pk)
    assert (now.failures, now.last_error) == (0, "dns_no_record") and now.verified_at is not None
    assert _routed(c.domain)
