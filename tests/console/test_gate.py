"""What a suspended or archived tenant's host still answers, beyond the main paths tested with the console."""

from django.test import Client

from tenants.models import Tenant
from tests.conftest import host_client, key_client, make_key


def hold(info, status: str) -> None:
    Tenant.objects.filter(pk=info.tenant.pk).update(status=status)


def test_suspended_widget_preflight_and_language_switch_still_answer(alpha):
    hold(alpha, "suspended")
    preflight = Client(HTTP_HOST=alpha.host).options(
        "/api/v1/widget/evaluations",
        HTTP_ORIGIN="https://www.example.gov.cn",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    assert preflight.status_code in (200, 204)
    assert host_client(alpha.host).post("/i18n/setlang/", {"language": "en"}).status_code == 302


def test_suspended_intake_paths_need_a_key(alpha):
    hold(alpha, "suspended")
    anonymous = host_client(alpha.host).get("/api/v1/items")
    assert anonymous.status_code == 403 and anonymous.json()["type"].endswith("/tenant-suspended")
    keyed = key_client(alpha.host, make_key(alpha.schema, "device", "kiosk")).get("/api/v1/items")
    assert keyed.status_code == 200


def test_archived_answers_only_the_language_switch(alpha):
    hold(alpha, "archived")
    assert host_client(alpha.host).post("/i18n/setlang/", {"language": "en"}).status_code == 302
    for path in ["/", "/accounts/login/", "/device/", "/portal/", "/support-access/"]:
        assert host_client(alpha.host).get(path).status_code == 410, path
    assert host_client(alpha.host).get("/api/v1/items").json()["status"] == 410


def test_the_control_plane_is_never_held(tenant_pair, db):
    Tenant.objects.filter(schema_name="public").update(status="suspended")  # not possible from the console
    assert host_client("localhost").get("/").status_code == 200


def test_suspended_or_archived_hosts_still_serve_the_favicon_and_the_domain_token(alpha):
    # the browser's favicon request and a verified custom domain's daily HTTP re-check are answered by their
    # views (404: no favicon, no verified custom domain on this host), not by the hold page
    for status in ("suspended", "archived"):
        hold(alpha, status)
        for path in ("/theme/favicon", "/.well-known/haochaping-verify.txt"):
            assert host_client(alpha.host).get(path).status_code == 404, (status, path)
