"""Evaluator identity never appears in logs, API responses or exports unmasked."""

import logging

from tests.conftest import PASSWORD, host_client, key_client

PHONE, ID_NUMBER, NAME = "13912345678", "11010519491231002X", "欧阳修远"


def test_identity_is_absent_from_logs_responses_and_exports(world, caplog):
    device = key_client(world.info.host, world.device_key)
    identity = {"name": NAME, "phone": PHONE, "id_type": "resident_id", "id_number": ID_NUMBER}
    with caplog.at_level(logging.DEBUG):
        responses = [
            device.post(
                "/api/v1/evaluations",
                {
                    "transaction": "P-1",
                    "item_code": "ITEM-001",
                    "level": 5,
                    "channel": "device",
                    "reason_tags": ["attitude"],
                    "evaluator": identity,
                },
                content_type="application/json",
            ),
            # refused: a wrong checksum must not be echoed back either
            device.post(
                "/api/v1/evaluations",
                {
                    "transaction": "P-2",
                    "item_code": "ITEM-001",
                    "level": 1,
                    "channel": "device",
                    "evaluator": {**identity, "id_number": "110105194912310021"},
                },
                content_type="application/json",
            ),
        ]
        staff = host_client(world.info.host)
        staff.post("/accounts/login/", {"login": world.info.admin_email, "password": PASSWORD})
        pages = [
            staff.get("/evaluations/").content.decode(),
            b"".join(staff.get("/evaluations/export.csv").streaming_content).decode("utf-8-sig"),
        ]
    assert [r.status_code for r in responses] == [201, 400]
    everything = "\n".join([caplog.text, *[r.content.decode() for r in responses], *pages])
    for secret in (PHONE, ID_NUMBER, "110105194912310021", NAME):
        assert secret not in everything
    assert "139****5678" in pages[0]
