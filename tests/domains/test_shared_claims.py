"""A pending claim does not hold a name: several organisations may wait on the same domain, and the first to prove
it gets it. Only a verified claim holds the name (the database refuses a second verified claim); the others are
then refused at verification, so nobody can squat on a name they cannot prove."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tenants.accounts.actors import Actor
from tenants.models import Domain
from tests.conftest import host_client
from tests.domains.conftest import claim, signed_in
from themes.domains.models import DomainClaim
from themes.domains.services import domain_claim_remove, domain_claim_verify, domain_claims_recheck

NAME = "pingjia.shenzhen-gov.cn"
ADMIN = Actor.system("tests")


def _routes_to(info) -> bool:
    response = host_client(NAME).get("/accounts/login/")
    return response.status_code == 200 and info.tenant.name in response.content.decode()


def test_alphas_pending_claim_does_not_block_beta(alpha, beta):
    # given alpha's claim, never proven, removed and added again (which used to renew its hold on the name)
    domain_claim_remove(actor=ADMIN, claim=claim(alpha, NAME))
    claim(alpha, NAME)
    # when beta adds the same name on its page
    response = signed_in(beta).post("/settings/domains/", {"domain": NAME, "method": "dns_txt"})
    # then beta has its own pending claim, next to alpha's
    assert response.status_code == 302
    assert sorted(DomainClaim.objects.filter(domain=NAME).values_list("tenant__slug", flat=True)) == [
        "alpha",
        "beta",
    ]


def test_the_first_to_prove_the_domain_gets_it_and_the_others_verify_is_refused(alpha, beta, zone):
    # given both organisations claim the name, each with its own token
    alphas, betas = claim(alpha, NAME), claim(beta, NAME)
    assert alphas.token != betas.token
    # when beta (the real owner) publishes its proof and verifies
    zone.publish(betas)
    assert domain_claim_verify(actor=ADMIN, claim=betas).verified_at is not None
    # then the name routes to beta
    assert Domain.objects.get(domain=NAME).tenant_id == beta.tenant.pk and _routes_to(beta)
    # and alpha's "verify now" is refused with a clear message, even with alpha's own record in place
    zone.set(f"_haochaping-verify.{NAME}", [f"haochaping-verify={alphas.token}"])
    response = signed_in(alpha).post(
        f"/settings/domains/{alphas.pk}/verify", HTTP_ACCEPT_LANGUAGE="en", follow=True
    )
    assert f"{NAME} is already in use by another organisation on this platform." in response.content.decode()
    alphas = DomainClaim.objects.get(pk=alphas.pk)
    assert (alphas.verified_at, alphas.last_error) == (None, "domain_in_use")
    assert Domain.objects.get(domain=NAME).tenant_id == beta.tenant.pk and _routes_to(beta)


def test_the_periodic_pass_refuses_a_name_proven_by_another_without_fetching_anything(alpha, beta, zone):
    alphas, betas = claim(alpha, NAME), claim(beta, NAME)
    zone.publish(betas)
    domain_claim_verify(actor=ADMIN, claim=betas)
    zone.resolver.queries.clear()
    # when the periodic pass re-tries alpha's pending claim
    assert domain_claims_recheck() == 1
    # then it is refused unchecked
    assert DomainClaim.objects.get(pk=alphas.pk).last_error == "domain_in_use"
    assert zone.resolver.queries == []


def test_a_verified_name_cannot_be_claimed_by_another_organisation(alpha, beta, zone):
    verified = claim(beta, NAME)
    zone.publish(verified)
    domain_claim_verify(actor=ADMIN, claim=verified)
    response = signed_in(alpha).post(
        "/settings/domains/", {"domain": NAME, "method": "dns_txt"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "already claimed by another organisation" in str(response.context["form"].errors["domain"])
    assert not DomainClaim.objects.filter(tenant=alpha.tenant).exists()


def test_once_the_winner_removes_the_domain_a_waiting_claim_can_prove_it(alpha, beta, zone):
    alphas, betas = claim(alpha, NAME), claim(beta, NAME)
    zone.publish(betas)
    domain_claim_verify(actor=ADMIN, claim=betas)
    domain_claim_remove(actor=ADMIN, claim=betas)
    zone.publish(alphas)
    assert domain_claim_verify(actor=ADMIN, claim=alphas).verified_at is not None
    assert _routes_to(alpha)


def test_the_database_holds_one_verified_claim_per_name_and_one_claim_per_organisation(alpha, beta):
    claim(alpha, NAME)
    beta_claim = claim(beta, NAME)
    DomainClaim.objects.filter(tenant=alpha.tenant).update(verified_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        DomainClaim.objects.filter(pk=beta_claim.pk).update(verified_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        DomainClaim.objects.create(tenant=alpha.tenant, domain=NAME, method="dns_txt", token="t")
