"""The OpenAPI schema is complete and true: real responses, errors included, validate against it."""

import json

import pytest
from openapi_core import Config, OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse

from tests.conftest import host_client, key_client, make_key


def raw_schema(host: str) -> dict:
    response = host_client(host).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def load_spec(host: str) -> OpenAPI:
    # problem+json is JSON; the validator has to be told so.
    config = Config(extra_media_type_deserializers={"application/problem+json": json.loads})
    return OpenAPI.from_dict(raw_schema(host), config=config)


def assert_matches_schema(spec: OpenAPI, response) -> None:
    spec.validate_response(DjangoOpenAPIRequest(response.wsgi_request), DjangoOpenAPIResponse(response))


@pytest.fixture
def tenant_spec(alpha):
    return load_spec(alpha.host)


def test_tenant_responses_validate(alpha, tenant_spec):
    admin = key_client(alpha.host, make_key(alpha.schema, "tenant_admin"))
    created = admin.post(
        "/api/v1/api-keys", {"name": "评价器", "role": "device"}, content_type="application/json"
    )
    responses = [
        admin.get("/api/v1/me"),
        created,
        admin.get("/api/v1/api-keys?limit=1"),
        admin.post(f"/api/v1/api-keys/{created.json()['id']}/revoke"),
        admin.post("/api/v1/api-keys", {"role": "x"}, content_type="application/json"),  # 400
        admin.post("/api/v1/api-keys/987654/revoke"),  # 404
        host_client(alpha.host).get("/api/v1/me"),  # 401
        key_client(alpha.host, make_key(alpha.schema, "device")).get("/api/v1/api-keys"),  # 403
    ]
    assert [r.status_code for r in responses] == [200, 201, 200, 200, 400, 404, 401, 403]
    for response in responses:
        assert_matches_schema(tenant_spec, response)


def test_national_responses_validate(alpha, national_key):
    spec = load_spec("localhost")
    client = key_client("localhost", national_key)
    body = {
        "slug": "eta",
        "name": "庚市",
        "kind": "city",
        "region_code": "130200",
        "admin_email": "a@eta.example",
    }
    responses = [
        client.post("/api/national/v1/tenants", body, content_type="application/json"),
        client.get("/api/national/v1/tenants"),
        client.get("/api/national/v1/tenants/eta"),
        client.post("/api/national/v1/tenants", {**body, "slug": "www"}, content_type="application/json"),
        client.post(
            "/api/national/v1/tenants",
            {**body, "name": "x"},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="i",
        ),
        client.post(
            "/api/national/v1/tenants",
            {**body, "name": "y"},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="i",
        ),  # 409
    ]
    assert [r.status_code for r in responses] == [201, 200, 200, 400, 400, 409]
    for response in responses:
        assert_matches_schema(spec, response)


def test_schema_declares_api_key_auth_and_idempotency(alpha):
    raw = raw_schema(alpha.host)
    assert raw["components"]["securitySchemes"]["ApiKeyAuth"]["name"] == "Authorization"
    create = raw["paths"]["/api/v1/api-keys"]["post"]
    assert "Idempotency-Key" in {p["name"] for p in create["parameters"]}
    assert "application/problem+json" in create["responses"]["400"]["content"]


def test_docs_ui_is_served(alpha):
    assert host_client(alpha.host).get("/api/docs/").status_code == 200


def test_capture_responses_validate(world):
    spec = load_spec(world.info.host)
    device = key_client(world.info.host, world.device_key)
    integration = key_client(world.info.host, world.integration_key)
    rating = {
        "transaction": "OA-1",
        "item_code": "ITEM-001",
        "level": 4,
        "channel": "device",
        "reason_tags": ["attitude"],
        "comment": "排队太久",
    }
    responses = [
        device.post("/api/v1/evaluations", rating, content_type="application/json"),
        device.post("/api/v1/evaluations", {**rating, "level": 9}, content_type="application/json"),
        device.post(
            "/api/v1/evaluations/bulk",
            {
                "items": [
                    {**rating, "transaction": "OA-2", "idempotency_key": "a"},
                    {**rating, "level": 0, "idempotency_key": "b"},
                ]
            },
            content_type="application/json",
        ),
        integration.post(
            "/api/v1/transactions",
            {
                "number": "OA-3",
                "item_code": "ITEM-001",
                "unit_code": "H01",
                "channel": "web",
                "received_at": "2026-11-02T09:00:00+08:00",
            },
            content_type="application/json",
        ),
        integration.post(
            "/api/v1/transactions/bulk",
            {"items": [{"number": "OA-4", "item_code": "ITEM-001", "unit_code": "H01", "channel": "web"}]},
            content_type="application/json",
        ),
        integration.get("/api/v1/transactions/OA-3"),
        integration.get("/api/v1/transactions/NOPE"),
        integration.get("/api/v1/items?code=ITEM-001"),
        integration.get("/api/v1/units"),
        integration.get("/api/v1/staff"),
    ]
    assert [r.status_code for r in responses] == [201, 400, 200, 201, 200, 200, 404, 200, 200, 200]
    for response in responses:
        assert_matches_schema(spec, response)
