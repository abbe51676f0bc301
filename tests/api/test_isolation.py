"""Tenant isolation: keys, sessions and users of one tenant see and change nothing of another."""

import pytest
from django_tenants.utils import schema_context

from tenants.accounts.models import ApiKey, AuditEvent
from tests.conftest import PASSWORD, host_client, key_client, make_key

TENANT_ENDPOINTS = [
    ("get", "/api/v1/me", None),
    ("get", "/api/v1/api-keys", None),
    ("post", "/api/v1/api-keys", {"name": "sneaky", "role": "device"}),
    ("post", "/api/v1/api-keys/1/revoke", None),
]


@pytest.mark.parametrize(("method", "path", "body"), TENANT_ENDPOINTS)
def test_alpha_key_on_beta_host_gets_401_and_nothing_happens(alpha, beta, method, path, body):
    # given
    alpha_key = make_key(alpha.schema, "tenant_admin")
    with schema_context(beta.schema):
        make_key(beta.schema, "device", "beta device")
        before = (
            list(ApiKey.objects.values_list("id", "revoked_at", "last_used_at")),
            AuditEvent.objects.count(),
        )
    # when
    response = getattr(key_client(beta.host, alpha_key), method)(path, body, content_type="application/json")
    # then
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    with schema_context(beta.schema):
        after = (
            list(ApiKey.objects.values_list("id", "revoked_at", "last_used_at")),
            AuditEvent.objects.count(),
        )
    assert after == before


@pytest.mark.parametrize(("method", "path", "body"), TENANT_ENDPOINTS)
def test_alpha_session_on_beta_host_is_anonymous(alpha, beta, method, path, body):
    client = host_client(alpha.host)
    assert (
        client.post("/accounts/login/", {"login": alpha.admin_email, "password": PASSWORD}).status_code == 302
    )
    assert client.get("/api/v1/me").json()["tenant"]["slug"] == "alpha"
    # the same browser (same cookie jar) on beta's host
    client.defaults["HTTP_HOST"] = beta.host
    response = getattr(client, method)(path, body, content_type="application/json")
    assert response.status_code in (401, 403)
    assert client.get("/").status_code == 302  # beta's workspace asks for sign-in


def test_alpha_credentials_do_not_sign_in_on_beta(alpha, beta):
    response = host_client(beta.host).post(
        "/accounts/login/", {"login": alpha.admin_email, "password": PASSWORD}
    )
    assert response.status_code == 200  # the form again, with an error
    assert "_auth_user_id" not in host_client(beta.host).session


def test_tenant_key_is_unknown_on_the_control_plane_and_national_key_on_tenants(alpha, national_key):
    tenant_key = make_key(alpha.schema, "tenant_admin")
    assert key_client("localhost", tenant_key).get("/api/national/v1/tenants").status_code == 401
    assert key_client(alpha.host, national_key).get("/api/v1/me").status_code == 401


def test_national_api_is_not_routed_on_tenant_hosts(alpha):
    key = make_key(alpha.schema, "tenant_admin")
    assert key_client(alpha.host, key).get("/api/national/v1/tenants").status_code == 404


def test_unknown_host_gets_a_plain_404_never_another_tenant(alpha):
    response = host_client("nobody.localhost").get("/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "nobody.localhost" in body and alpha.tenant.name not in body


def test_cache_entries_are_scoped_to_the_schema(alpha, beta):
    from django.core.cache import cache

    with schema_context(alpha.schema):
        cache.set("shared-name", "alpha's value")
    with schema_context(beta.schema):
        assert cache.get("shared-name") is None
