"""/settings/domains/: add, instructions, verify now, status, remove — one tenant's claims only."""

from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent
from tenants.accounts.roles import Role
from tenants.accounts.services import user_create
from tenants.models import Domain
from tests.conftest import PASSWORD, host_client
from tests.domains.conftest import claim, signed_in
from themes.domains.models import DomainClaim
from themes.domains.services import domain_claim_verify


def _actions(info) -> list[str]:
    with schema_context(info.schema):
        return list(AuditEvent.objects.filter(action__startswith="domain.").values_list("action", flat=True))


def test_adding_a_domain_shows_the_exact_dns_instructions(alpha):
    client = signed_in(alpha)
    response = client.post("/settings/domains/", {"domain": " PingJia.Alpha-Gov.CN ", "method": "dns_txt"})
    assert response.status_code == 302
    c = DomainClaim.objects.get(tenant=alpha.tenant)
    assert (c.domain, c.method, c.verified_at) == ("pingjia.alpha-gov.cn", "dns_txt", None) and len(
        c.token
    ) >= 32
    page = client.get("/settings/domains/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<code>_haochaping-verify.pingjia.alpha-gov.cn</code>" in page
    assert f"<code>haochaping-verify={c.token}</code>" in page
    assert "Waiting for proof" in page
    assert _actions(alpha) == ["domain.claim"]


def test_adding_a_domain_for_http_shows_the_file_address_and_token(alpha):
    client = signed_in(alpha)
    client.post("/settings/domains/", {"domain": "政务.中国", "method": "http_token"})
    c = DomainClaim.objects.get(tenant=alpha.tenant)
    page = client.get("/settings/domains/").content.decode()
    assert c.domain == "xn--zfr164b.xn--fiqs8s"
    assert "http://xn--zfr164b.xn--fiqs8s/.well-known/haochaping-verify.txt" in page
    assert f'value="{c.token}"' in page and "政务.中国" in page


def test_bad_input_is_refused_on_the_page_and_nothing_is_claimed(alpha):
    client = signed_in(alpha)
    for domain in ("localhost", "beta.localhost", "127.0.0.1", "not a name", "https://x.example.cn/"):
        response = client.post("/settings/domains/", {"domain": domain, "method": "dns_txt"})
        assert response.status_code == 400 and response.context["form"].errors["domain"], domain
    refused = client.post("/settings/domains/", {"domain": "ok.alpha-gov.cn", "method": "carrier-pigeon"})
    assert refused.status_code == 400 and refused.context["form"].errors["method"]
    assert not DomainClaim.objects.exists()


def test_a_verified_claim_holds_the_name_a_pending_one_does_not(alpha, beta, zone):
    # given alpha's pending claim and alpha's verified one
    pending = claim(alpha, "pingjia.alpha-gov.cn")
    verified = claim(alpha, "www2.alpha-gov.cn")
    zone.publish(verified)
    domain_claim_verify(actor=Actor.system("tests"), claim=verified)
    client = signed_in(beta)
    for name in (verified.domain, "WWW.WWW2.ALPHA-GOV.CN"):
        # when beta tries to claim the verified name
        response = client.post(
            "/settings/domains/", {"domain": name, "method": "dns_txt"}, HTTP_ACCEPT_LANGUAGE="en"
        )
        # then
        assert response.status_code == 400
        assert "already claimed by another organisation" in str(response.context["form"].errors["domain"])
    # but the pending name is open to beta too (the first to prove it gets it)
    response = client.post("/settings/domains/", {"domain": pending.domain, "method": "dns_txt"})
    assert response.status_code == 302
    assert list(DomainClaim.objects.filter(tenant=beta.tenant).values_list("domain", flat=True)) == [
        pending.domain
    ]
    # and alpha cannot add a name already on its own list
    again = signed_in(alpha).post(
        "/settings/domains/",
        {"domain": "pingjia.alpha-gov.cn", "method": "dns_txt"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert again.status_code == 400 and "already on your list" in str(again.context["form"].errors["domain"])


def test_a_domain_already_routed_outside_claims_cannot_be_claimed(alpha, beta, settings):
    settings.BASE_DOMAIN = "haochaping.example.net"
    Domain.objects.create(domain="legacy.beta-gov.cn", tenant=beta.tenant, is_primary=False)
    response = signed_in(alpha).post(
        "/settings/domains/", {"domain": "legacy.beta-gov.cn", "method": "dns_txt"}
    )
    assert response.status_code == 400 and not DomainClaim.objects.exists()


def test_a_tenant_may_hold_a_limited_number_of_claims(alpha, settings):
    settings.DOMAINS_MAX_PER_TENANT = 2
    claim(alpha, "one.alpha-gov.cn")
    claim(alpha, "two.alpha-gov.cn")
    response = signed_in(alpha).post(
        "/settings/domains/", {"domain": "three.alpha-gov.cn", "method": "dns_txt"}
    )
    assert response.status_code == 400 and DomainClaim.objects.count() == 2


def test_verify_now_verifies_and_reports_in_plain_words(alpha, zone):
    c = claim(alpha, "pingjia.alpha-gov.cn")
    client = signed_in(alpha)
    failed = client.post(f"/settings/domains/{c.pk}/verify", follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "is not verified yet: No TXT record was found" in failed.content.decode()
    zone.publish(c)
    passed = client.post(f"/settings/domains/{c.pk}/verify", follow=True, HTTP_ACCEPT_LANGUAGE="en")
    page = passed.content.decode()
    assert "is verified and now opens this organisation" in page and "Verified on" in page
    assert Domain.objects.filter(domain=c.domain, tenant=alpha.tenant).exists()
    assert _actions(alpha).count("domain.check") == 2 and "domain.verify" in _actions(alpha)


def test_removing_a_verified_domain_unroutes_it(alpha, zone):
    # given a verified domain that has served a page (so the host cache holds it)
    c = claim(alpha, "pingjia.alpha-gov.cn")
    zone.publish(c)
    domain_claim_verify(actor=Actor.system("tests"), claim=c)
    assert host_client(c.domain).get("/accounts/login/").status_code == 200
    # when
    response = signed_in(alpha).post(f"/settings/domains/{c.pk}/remove")
    # then
    assert response.status_code == 302
    assert not DomainClaim.objects.exists() and not Domain.objects.filter(domain=c.domain).exists()
    assert host_client(c.domain).get("/accounts/login/").status_code == 404
    assert host_client(alpha.host).get("/accounts/login/").status_code == 200
    assert "domain.remove" in _actions(alpha)


def test_beta_cannot_see_verify_or_remove_alphas_claims(alpha, beta, zone):
    # given alpha's verified claim and alpha's pending one
    verified = claim(alpha, "pingjia.alpha-gov.cn")
    zone.publish(verified)
    domain_claim_verify(actor=Actor.system("tests"), claim=verified)
    pending = claim(alpha, "pending.alpha-gov.cn")
    zone.publish(pending)
    before = list(DomainClaim.objects.order_by("pk").values())
    alpha_trail = sorted(_actions(alpha))
    client = signed_in(beta)
    # when / then
    assert "alpha-gov.cn" not in client.get("/settings/domains/").content.decode()
    for c in (verified, pending):
        assert client.post(f"/settings/domains/{c.pk}/verify").status_code == 404
        assert client.post(f"/settings/domains/{c.pk}/remove").status_code == 404
    assert list(DomainClaim.objects.order_by("pk").values()) == before
    assert Domain.objects.filter(domain=verified.domain, tenant=alpha.tenant).exists()
    assert not Domain.objects.filter(domain=pending.domain).exists()
    assert _actions(beta) == []
    assert sorted(_actions(alpha)) == alpha_trail


def test_the_page_needs_the_branding_permission(alpha):
    with schema_context(alpha.schema):
        user_create(
            actor=Actor.system("tests"), email="officer@alpha.example", role=Role.OFFICER, password=PASSWORD
        )
    client = host_client(alpha.host)
    client.post("/accounts/login/", {"login": "officer@alpha.example", "password": PASSWORD})
    c = claim(alpha, "pingjia.alpha-gov.cn")
    assert client.get("/settings/domains/").status_code == 403
    assert (
        client.post("/settings/domains/", {"domain": "x.alpha-gov.cn", "method": "dns_txt"}).status_code
        == 403
    )
    assert client.post(f"/settings/domains/{c.pk}/remove").status_code == 403
    assert list(DomainClaim.objects.values_list("domain", flat=True)) == ["pingjia.alpha-gov.cn"]
    assert host_client(alpha.host).get("/settings/domains/").status_code == 302  # anonymous: to sign-in
