"""Which hosts Django serves: a verified custom domain serves its tenant's pages; any other host a 404."""

from django.conf import settings as django_settings

from tenants.accounts.actors import Actor
from tenants.models import Domain
from tests.conftest import host_client
from tests.domains.conftest import claim, signed_in
from themes.domains.services import domain_claim_verify


def _verified(info, zone, name: str):
    c = claim(info, name)
    zone.publish(c)
    return domain_claim_verify(actor=Actor.system("tests"), claim=c)


def test_a_verified_custom_domain_serves_the_tenants_pages(alpha, beta, zone):
    _verified(alpha, zone, "pingjia.alpha-gov.cn")
    # staff sign in on the custom domain and get alpha's workspace
    client = signed_in(alpha, host="pingjia.alpha-gov.cn")
    home = client.get("/")
    assert home.status_code == 200 and alpha.admin_email in home.content.decode()
    assert alpha.tenant.name in home.content.decode() and beta.tenant.name not in home.content.decode()
    assert 'href="/settings/domains/"' in home.content.decode()
    # citizens get the same public portal as on the platform subdomain
    portal = host_client("pingjia.alpha-gov.cn").get("/portal/")
    same = host_client(alpha.host).get("/portal/")
    assert (portal.status_code, portal.content) == (same.status_code, same.content)
    assert alpha.tenant.name in portal.content.decode()
    # with a port, as behind a proxy on another port
    assert host_client("pingjia.alpha-gov.cn:8443").get("/accounts/login/").status_code == 200


def test_an_unverified_domain_serves_nothing(alpha, zone):
    c = claim(alpha, "pingjia.alpha-gov.cn")
    zone.publish(c, value="haochaping-verify=wrong")
    domain_claim_verify(actor=Actor.system("tests"), claim=c)
    for path in ("/", "/portal/", "/accounts/login/", "/.well-known/haochaping-verify.txt"):
        response = host_client("pingjia.alpha-gov.cn").get(path)
        assert response.status_code == 404, path
        assert alpha.tenant.name not in response.content.decode()


def test_unknown_and_malformed_hosts_never_reach_a_view(alpha):
    # Django accepts any well-formed host (ALLOWED_HOSTS); the tenant middleware is the check, right after the
    # health probes and before anything that reads the host.
    assert django_settings.MIDDLEWARE[:2] == [
        "control_plane.middleware.HealthCheckMiddleware",
        "tenants.middleware.TenantMiddleware",
    ]
    for host in ("evil.example.com", "alpha.localhost.evil.example.com", "203.0.113.7"):
        response = host_client(host).get("/accounts/login/")
        assert response.status_code == 404 and alpha.tenant.name not in response.content.decode(), host
    assert host_client("bad host!").get("/accounts/login/").status_code in (400, 404)


def test_a_verified_domain_is_never_a_tenants_primary_domain(alpha, zone):
    _verified(alpha, zone, "pingjia.alpha-gov.cn")
    assert list(
        Domain.objects.filter(tenant=alpha.tenant, is_primary=True).values_list("domain", flat=True)
    ) == ["alpha.localhost"]
