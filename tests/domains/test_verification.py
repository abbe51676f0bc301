"""Proof by a real DNS TXT record or a real HTTP token file; a verified claim routes its host to the tenant."""

from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent
from tenants.models import Domain
from tests.conftest import host_client
from tests.domains.conftest import claim, signed_in
from themes.domains.models import DomainClaim
from themes.domains.services import domain_claim_verify
from themes.domains.verify import HTTP_PATH, check_http_token

ADMIN = Actor.system("tests")


def _verify(c: DomainClaim) -> DomainClaim:
    return domain_claim_verify(actor=ADMIN, claim=c)


def _routes_to(host: str, info) -> bool:
    response = host_client(host).get("/accounts/login/")
    return response.status_code == 200 and info.tenant.name in response.content.decode()


# --- DNS TXT ---------------------------------------------------------------------------------------------------


def test_dns_txt_record_verifies_and_routes_the_domain_at_once(alpha, zone):
    # given a claim whose TXT record is published on the (real, local) DNS server
    c = claim(alpha, "pingjia.alpha-gov.cn")
    assert not _routes_to("pingjia.alpha-gov.cn", alpha)
    zone.publish(c)
    # when
    c = _verify(c)
    # then the name routes to alpha, not as its primary domain
    assert c.verified_at is not None and c.last_error == ""
    route = Domain.objects.get(domain="pingjia.alpha-gov.cn")
    assert route.tenant_id == alpha.tenant.pk and route.is_primary is False
    assert Domain.objects.get(domain="alpha.localhost").is_primary is True
    assert _routes_to("pingjia.alpha-gov.cn", alpha)
    assert _routes_to("www.pingjia.alpha-gov.cn", alpha)
    assert "_haochaping-verify.pingjia.alpha-gov.cn" in zone.resolver.queries
    with schema_context(alpha.schema):
        assert AuditEvent.objects.filter(action="domain.verify", target_id=str(c.pk)).exists()


def test_a_txt_value_split_into_several_strings_counts_as_one(alpha, zone):
    c = claim(alpha, "split.alpha-gov.cn")
    value = f"haochaping-verify={c.token}"
    zone.set(f"_haochaping-verify.{c.domain}", [[value[:10], value[10:]]])
    assert _verify(c).verified_at is not None


def test_wrong_txt_value_is_explained_and_nothing_routes(alpha, zone):
    c = claim(alpha, "pingjia.alpha-gov.cn")
    zone.publish(c, value="haochaping-verify=an-old-token")
    c = _verify(c)
    assert c.verified_at is None and c.last_error == "dns_mismatch"
    assert not Domain.objects.filter(domain="pingjia.alpha-gov.cn").exists()
    assert not _routes_to("pingjia.alpha-gov.cn", alpha)
    page = signed_in(alpha).get("/settings/domains/").content.decode()
    assert "an-old-token" in page and f"haochaping-verify={c.token}" in page


def test_missing_txt_record_is_explained(alpha, zone):
    c = _verify(claim(alpha, "pingjia.alpha-gov.cn"))
    assert c.verified_at is None and c.last_error == "dns_no_record"
    page = signed_in(alpha).get("/settings/domains/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No TXT record was found at _haochaping-verify.pingjia.alpha-gov.cn." in page


def test_a_dns_server_that_does_not_answer_is_said_so(alpha, settings):
    settings.DOMAINS_DNS_NAMESERVERS = ["127.0.0.1:9"]  # nothing listens there
    settings.DOMAINS_DNS_TIMEOUT = 1.0
    c = _verify(claim(alpha, "pingjia.alpha-gov.cn"))
    assert c.verified_at is None and c.last_error == "dns_unavailable"


# --- HTTP token --------------------------------------------------------------------------------------------------


def test_http_token_verifies_and_routes(alpha, site):
    c = claim(alpha, "pingjia.alpha-gov.cn", method="http_token")
    site.serve(c.domain, c.token + "\n")
    c = _verify(c)
    assert c.verified_at is not None and c.last_error == ""
    assert ("pingjia.alpha-gov.cn", HTTP_PATH) in site.requests
    assert _routes_to("pingjia.alpha-gov.cn", alpha)


def test_wrong_or_missing_token_file_is_explained_and_nothing_routes(alpha, site):
    c = claim(alpha, "pingjia.alpha-gov.cn", method="http_token")
    site.route(c.domain)
    missing = _verify(c)
    assert (missing.last_error, missing.last_error_params["status"]) == ("http_status", "404")
    site.serve(c.domain, "someone-else's-token")
    wrong = _verify(c)
    assert wrong.last_error == "http_mismatch" and wrong.verified_at is None
    assert not _routes_to("pingjia.alpha-gov.cn", alpha)
    page = signed_in(alpha).get("/settings/domains/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "does not contain the token shown on this page" in page


def test_redirects_are_followed_on_the_same_name_only(alpha, site):
    c = claim(alpha, "pingjia.alpha-gov.cn", method="http_token")
    site.serve(c.domain, "", status=301, headers={"Location": "/verify/token.txt"})
    site.serve(c.domain, c.token, path="/verify/token.txt")
    assert _verify(c).verified_at is not None

    other = claim(alpha, "other.alpha-gov.cn", method="http_token")
    site.serve(other.domain, "", status=302, headers={"Location": f"http://attacker.example.com{HTTP_PATH}"})
    site.serve("attacker.example.com", other.token)
    refused = _verify(other)
    assert refused.verified_at is None and refused.last_error == "http_redirect_elsewhere"
    assert ("attacker.example.com", HTTP_PATH) not in site.requests


def test_an_endless_redirect_loop_stops(alpha, site):
    c = claim(alpha, "pingjia.alpha-gov.cn", method="http_token")
    site.serve(c.domain, "", status=302, headers={"Location": HTTP_PATH})
    assert _verify(c).last_error == "http_too_many_redirects"


def test_an_oversized_token_file_is_refused(alpha, site):
    c = claim(alpha, "pingjia.alpha-gov.cn", method="http_token")
    site.serve(c.domain, c.token + " " * 5000)
    assert _verify(c).last_error == "http_too_large"


def test_a_closed_port_is_unreachable(alpha, site, settings):
    c = claim(alpha, "pingjia.alpha-gov.cn", method="http_token")
    settings.DOMAINS_HTTP_CONNECT = {c.domain: "127.0.0.1:9"}
    checked = _verify(c)
    assert checked.last_error == "http_unreachable" and checked.last_error_params["reason"] == "refused"


def test_names_on_private_addresses_are_never_fetched(settings):
    settings.DOMAINS_HTTP_CONNECT = {}
    result = check_http_token(domain="localhost", token="x")
    assert (result.ok, result.code) == (False, "http_private_address")


def test_the_platform_serves_the_token_of_a_verified_domain_only(alpha, beta, site):
    # given a verified claim and a pending one
    verified = claim(alpha, "pingjia.alpha-gov.cn", method="http_token")
    site.serve(verified.domain, verified.token)
    _verify(verified)
    pending = claim(alpha, "pending.alpha-gov.cn", method="http_token")
    # then once the domain points here, the daily re-check finds the token on the platform itself
    answer = host_client("pingjia.alpha-gov.cn").get(HTTP_PATH)
    assert answer.status_code == 200 and answer.content.decode() == verified.token
    assert host_client(alpha.host).get(HTTP_PATH).status_code == 404
    assert host_client(beta.host).get(HTTP_PATH).status_code == 404
    assert host_client(pending.domain).get(HTTP_PATH).status_code == 404
