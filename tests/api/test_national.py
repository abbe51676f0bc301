"""The national API on the control-plane host: provisioning through the same service as the CLI."""

from django_tenants.utils import schema_exists

from tenants.models import Tenant
from tests.conftest import key_client, make_key

BODY = {
    "slug": "zeta",
    "name": "己市政务服务数据管理局",
    "kind": "city",
    "region_code": "130100",
    "parent": "alpha",
    "admin_email": "admin@zeta.example",
}


def test_national_staff_provision_a_tenant(alpha, national_key):
    response = key_client("localhost", national_key).post(
        "/api/national/v1/tenants", BODY, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == "zeta" and body["parent"] == "alpha" and body["domain"] == "zeta.localhost"
    assert body["admin_password"]
    assert schema_exists("zeta") and Tenant.objects.get(slug="zeta").parent == alpha.tenant


def test_provisioning_retry_with_idempotency_key_creates_one_tenant(alpha, national_key):
    client = key_client("localhost", national_key)
    first = client.post(
        "/api/national/v1/tenants", BODY, content_type="application/json", HTTP_IDEMPOTENCY_KEY="p1"
    )
    again = client.post(
        "/api/national/v1/tenants", BODY, content_type="application/json", HTTP_IDEMPOTENCY_KEY="p1"
    )
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert Tenant.objects.filter(slug="zeta").count() == 1


def test_bad_provisioning_input_names_each_field(alpha, national_key):
    body = {**BODY, "slug": "www", "region_code": "999999", "parent": "nope"}
    response = key_client("localhost", national_key).post(
        "/api/national/v1/tenants", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "parent"
    body["parent"] = None
    fields = {
        e["field"]
        for e in key_client("localhost", national_key)
        .post("/api/national/v1/tenants", body, content_type="application/json")
        .json()["errors"]
    }
    assert fields == {"slug", "region_code"}
    assert not Tenant.objects.filter(slug="www").exists()


def test_tenant_list_and_detail(alpha, beta, national_key):
    client = key_client("localhost", national_key)
    slugs = [row["slug"] for row in client.get("/api/national/v1/tenants").json()["results"]]
    assert {"alpha", "beta"} <= set(slugs) and "public" not in slugs
    assert client.get("/api/national/v1/tenants/beta").json()["name"] == beta.tenant.name
    assert client.get("/api/national/v1/tenants/public").status_code == 404


def test_feed_consumer_key_cannot_provision(tenant_pair, db):
    feed = key_client("localhost", make_key("public", "national_feed"))
    response = feed.post("/api/national/v1/tenants", BODY, content_type="application/json")
    assert response.status_code == 403
    assert not Tenant.objects.filter(slug="zeta").exists()
