"""API conventions every later endpoint inherits: problem+json, auth, roles, pagination, idempotency, throttling."""

import json
from datetime import UTC, datetime

import pytest
import time_machine
from django_tenants.utils import schema_context

from tenants.accounts.models import ApiKey
from tests.conftest import key_client, make_key


@pytest.fixture
def admin_client(alpha):
    return key_client(alpha.host, make_key(alpha.schema, "tenant_admin"))


def test_me_describes_the_key_and_its_tenant(alpha, admin_client):
    body = admin_client.get("/api/v1/me").json()
    assert body["kind"] == "api_key" and body["role"] == "tenant_admin"
    assert body["tenant"] == {
        "slug": "alpha",
        "name": alpha.tenant.name,
        "kind": "province",
        "region_code": "130000",
    }
    assert "api_keys.manage" in body["permissions"]


def test_validation_error_is_problem_json_naming_the_field(admin_client):
    response = admin_client.post(
        "/api/v1/api-keys", {"name": "x", "role": "emperor"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400 and body["type"].endswith("/validation")
    assert [e["field"] for e in body["errors"]] == ["role"]
    assert body["detail"].startswith("role:")


def test_malformed_json_is_a_400_problem(admin_client):
    response = admin_client.post("/api/v1/api-keys", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["type"].endswith("/malformed")


def test_missing_credentials_is_401_with_the_scheme(alpha):
    from tests.conftest import host_client

    response = host_client(alpha.host).get("/api/v1/me")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Api-Key"
    assert response.json()["title"]


def test_revoked_key_is_refused(alpha, admin_client):
    plaintext = make_key(alpha.schema, "device")
    with schema_context(alpha.schema):
        key_id = ApiKey.objects.get(role="device").pk
    assert admin_client.post(f"/api/v1/api-keys/{key_id}/revoke").json()["revoked_at"]
    assert key_client(alpha.host, plaintext).get("/api/v1/me").status_code == 401


def test_role_without_permission_gets_403(alpha):
    device = key_client(alpha.host, make_key(alpha.schema, "device"))
    response = device.post(
        "/api/v1/api-keys", {"name": "x", "role": "device"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"


def test_unknown_object_is_a_404_problem(admin_client):
    response = admin_client.post("/api/v1/api-keys/999999/revoke")
    assert response.status_code == 404 and response.json()["status"] == 404


def test_created_key_is_shown_once_and_stored_hashed(alpha, admin_client):
    created = admin_client.post(
        "/api/v1/api-keys", {"name": "窗口评价器 A01", "role": "device"}, content_type="application/json"
    ).json()
    assert created["key"].startswith("hcp_")
    listed = admin_client.get("/api/v1/api-keys").json()["results"]
    assert all("key" not in row for row in listed)
    with schema_context(alpha.schema):
        stored = ApiKey.objects.get(pk=created["id"])
    assert stored.digest != created["key"] and created["key"] not in json.dumps(
        list(ApiKey.objects.values()), default=str
    )
    # the key works, and its use is recorded
    assert key_client(alpha.host, created["key"]).get("/api/v1/me").status_code == 200
    with schema_context(alpha.schema):
        assert ApiKey.objects.get(pk=created["id"]).last_used_at is not None


def test_cursor_pagination_walks_every_row_once(alpha, admin_client):
    for index in range(5):
        make_key(alpha.schema, "device", f"device {index}")
    seen, url = [], "/api/v1/api-keys?limit=2"
    while url:
        page = admin_client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    with schema_context(alpha.schema):
        assert sorted(seen) == sorted(ApiKey.objects.values_list("id", flat=True))
    assert len(seen) == len(set(seen))


def test_idempotency_key_replays_the_first_response(alpha, admin_client):
    body = {"name": "kiosk", "role": "device"}
    first = admin_client.post(
        "/api/v1/api-keys", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    again = admin_client.post(
        "/api/v1/api-keys", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    with schema_context(alpha.schema):
        assert ApiKey.objects.filter(name="kiosk").count() == 1


def test_idempotency_key_with_another_body_is_a_409(alpha, admin_client):
    admin_client.post(
        "/api/v1/api-keys",
        {"name": "a", "role": "device"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-2",
    )
    response = admin_client.post(
        "/api/v1/api-keys",
        {"name": "b", "role": "device"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-2",
    )
    assert response.status_code == 409 and response["Content-Type"] == "application/problem+json"
    with schema_context(alpha.schema):
        assert not ApiKey.objects.filter(name="b").exists()


def test_idempotency_keys_belong_to_their_caller(alpha, admin_client):
    other = key_client(alpha.host, make_key(alpha.schema, "tenant_admin"))
    body = {"name": "same", "role": "device"}
    a = admin_client.post(
        "/api/v1/api-keys", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="shared"
    )
    b = other.post("/api/v1/api-keys", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="shared")
    assert a.status_code == b.status_code == 201 and a.json()["id"] != b.json()["id"]


def test_oversized_idempotency_key_is_refused(admin_client):
    response = admin_client.post(
        "/api/v1/api-keys",
        {"name": "a", "role": "device"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="x" * 300,
    )
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["detail"]


def test_throttle_is_per_key_not_per_ip(alpha, settings):
    from django.core.cache import cache
    from rest_framework.settings import api_settings

    cache.delete_pattern("*throttle*")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"principal": "3/min"}}
    api_settings.reload()
    from api.throttling import PrincipalRateThrottle

    PrincipalRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        first = key_client(alpha.host, make_key(alpha.schema, "device", "first"))
        second = key_client(alpha.host, make_key(alpha.schema, "device", "second"))
        codes = [first.get("/api/v1/me").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert second.get("/api/v1/me").status_code == 200  # same IP, its own budget
    finally:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"principal": "1000/min"},
        }
        api_settings.reload()
        PrincipalRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        cache.delete_pattern("*throttle*")


def test_throttle_counts_in_batches_far_from_the_limit_and_exactly_near_it(alpha, settings):
    from django.core.cache import cache
    from django_redis import get_redis_connection
    from rest_framework.settings import api_settings

    from api.throttling import BATCH, PrincipalRateThrottle

    cache.delete_pattern("*throttle*")
    PrincipalRateThrottle._windows.clear()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"principal": "100/min"}}
    api_settings.reload()
    PrincipalRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    redis = get_redis_connection("default")

    def shared_total() -> int:
        keys = redis.keys("*throttle:principal:key:*")
        return sum(int(redis.get(k)) for k in keys)

    try:
        client = key_client(alpha.host, make_key(alpha.schema, "device", "batched"))
        # one window throughout (a minute boundary would start a new count)
        with time_machine.travel(datetime(2026, 11, 26, 2, 0, 5, tzinfo=UTC), tick=False):
            # far from the limit: the first BATCH − 1 requests are counted in this process only
            assert [client.get("/api/v1/me").status_code for _ in range(BATCH - 1)] == [200] * (BATCH - 1)
            assert shared_total() == 0
            assert client.get("/api/v1/me").status_code == 200
            assert shared_total() == BATCH
            # up to the limit every request is admitted, the next refused, and Redis has counted them all
            codes = [client.get("/api/v1/me").status_code for _ in range(100 - BATCH + 1)]
            assert codes == [200] * (100 - BATCH) + [429]
            assert shared_total() == 101
    finally:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"principal": "1000/min"},
        }
        api_settings.reload()
        PrincipalRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        PrincipalRateThrottle._windows.clear()
        cache.delete_pattern("*throttle*")
