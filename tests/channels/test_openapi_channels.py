"""The channel endpoints answer what the OpenAPI schema says, errors included."""

from tenants.evaluations.models import Channel
from tenants.evaluations.services import TransactionInput, transaction_register
from tests.api.test_openapi import assert_matches_schema, load_spec
from tests.conftest import host_client, key_client


def test_channel_responses_validate(world):
    from django_tenants.utils import schema_context

    from tenants.accounts.actors import Actor

    with schema_context(world.info.schema):
        transaction_register(
            actor=Actor.system("tests"),
            data=TransactionInput(
                number="T-API-1", item_code="ITEM-001", unit_code="H01", channel=Channel.WEB
            ),
        )
    spec = load_spec(world.info.host)
    device = key_client(world.info.host, world.device_key)
    integration = key_client(world.info.host, world.integration_key)
    widget = "/api/v1/widget/evaluations"
    responses = [
        device.get("/api/v1/device"),
        integration.get("/api/v1/device"),  # 404: no device behind this key
        integration.get("/api/v1/transactions/T-API-1/qr"),
        integration.get("/api/v1/transactions/NOPE/qr"),
        integration.post(widget, {"transaction": "T-API-1", "level": 2}, content_type="application/json"),
        integration.post(widget, {"transaction": "T-API-1", "level": 5}, content_type="application/json"),
        host_client(world.info.host).post(
            widget, {"transaction": "T-API-1", "level": 1}, content_type="application/json"
        ),
    ]
    assert [r.status_code for r in responses] == [200, 404, 200, 404, 201, 400, 401]
    for response in responses:
        assert_matches_schema(spec, response)
