"""The window device (评价器): its info endpoint, its page, and that only its key can rate through it."""

import uuid

import pytest
from django_tenants.utils import schema_context

from tenants.accounts.roles import Role
from tenants.evaluations.models import Evaluation, Transaction
from tests.channels.conftest import signed_in, staff_user
from tests.conftest import host_client, key_client


def queued(**overrides) -> dict:
    """One rating as the device page queues it."""
    item = {
        "idempotency_key": str(uuid.uuid4()),
        "transaction": f"DEV-W01-20260101101010-{uuid.uuid4().hex[:8].upper()}",
        "level": 1,
        "channel": "device",
        "reason_tags": [],
        "rated_at": "2026-01-01T10:10:10.000Z",
        "item_code": "ITEM-001",
    }
    item.update(overrides)
    return item


def test_device_info_names_the_window_hall_tenant_scale_and_reasons(world):
    response = key_client(world.info.host, world.device_key).get("/api/v1/device")
    assert response.status_code == 200
    body = response.json()
    assert body["tenant"] == {"name": "甲省政务服务管理局"}
    assert body["device"] == {"code": "DEV-W01", "name": "评价器"}
    assert body["window"] == {"code": "W01", "name": "A01 综合受理窗口"}
    assert body["hall"] == {"code": "H01", "name": "市民中心政务服务大厅"}
    assert [lv["word"] for lv in body["levels"]] == ["很好", "好", "一般", "差", "很差"]
    assert [lv["is_bad"] for lv in body["levels"]] == [False, False, False, True, True]
    assert len(body["reason_tags"]) == 8 and body["reason_tags"][0] == {
        "code": "overdue",
        "label": "无理由超过法定办理时间",
    }


def test_device_info_follows_the_tenants_scale(world):
    from tenants.evaluations.models import EvaluationPolicy
    from tenants.evaluations.selectors import intake_config_forget

    with schema_context(world.info.schema):
        EvaluationPolicy.objects.update(scale="satisfaction")
        intake_config_forget()
    body = key_client(world.info.host, world.device_key).get("/api/v1/device").json()
    assert [lv["word"] for lv in body["levels"]] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]


def test_a_key_without_a_device_gets_a_404_problem(world):
    response = key_client(world.info.host, world.integration_key).get("/api/v1/device")
    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"


def test_device_info_takes_no_session(world):
    """The kiosk must not be drivable by a signed-in clerk: the endpoint ignores sessions altogether."""
    client = signed_in(world.info)
    assert client.get("/api/v1/device").status_code == 401


@pytest.mark.parametrize("role", [Role.WINDOW_STAFF, Role.TENANT_ADMIN])
def test_a_staff_session_cannot_rate_through_the_device_api(world, role):
    email = f"{role}@alpha.example"
    staff_user(world.info, role, email)
    client = signed_in(world.info, email)
    for path, body in [
        ("/api/v1/evaluations/bulk", {"items": [queued()]}),
        ("/api/v1/evaluations", {k: v for k, v in queued().items() if k != "idempotency_key"}),
    ]:
        response = client.post(path, body, content_type="application/json")
        assert response.status_code == 403, response.content
    with schema_context(world.info.schema):
        assert not Evaluation.objects.exists()


def test_alphas_device_key_on_beta_is_refused(world, beta):
    client = key_client(beta.host, world.device_key)
    assert client.get("/api/v1/device").status_code == 401
    response = client.post("/api/v1/evaluations/bulk", {"items": [queued()]}, content_type="application/json")
    assert response.status_code == 401
    with schema_context(beta.schema):
        assert not Evaluation.objects.exists()


def test_the_queue_sync_stores_each_rating_once(world):
    """What the page does offline: a batch sent, its answer lost, the same batch sent again."""
    client = key_client(world.info.host, world.device_key)
    batch = [
        queued(),
        queued(level=5, reason_tags=["attitude", "long_wait"]),
        queued(transaction="T-GIVEN-1"),  # a number from the window system, registered inline with the item
    ]
    first = client.post("/api/v1/evaluations/bulk", {"items": batch}, content_type="application/json").json()
    again = client.post("/api/v1/evaluations/bulk", {"items": batch}, content_type="application/json").json()
    assert (first["created"], again["duplicates"]) == (3, 3)
    assert [r["index"] for r in again["results"]] == [0, 1, 2]
    with schema_context(world.info.schema):
        rows = list(Evaluation.objects.select_related("transaction__window").order_by("id"))
        assert len(rows) == 3 and Transaction.objects.count() == 3
        assert {r.channel for r in rows} == {"device"} and {r.device_id for r in rows} == {world.device.pk}
        assert {r.transaction.window.code for r in rows} == {"W01"}
        assert rows[1].reason_tags == ["attitude", "long_wait"]


def test_a_rating_the_server_refuses_is_reported_by_index(world):
    client = key_client(world.info.host, world.device_key)
    batch = [queued(), queued(level=4), queued(transaction="T-UNKNOWN", item_code="")]
    body = client.post("/api/v1/evaluations/bulk", {"items": batch}, content_type="application/json").json()
    assert [r["status"] for r in body["results"]] == ["created", "error", "error"]


def test_the_device_pages_carry_no_key_and_need_no_sign_in(world):
    client = host_client(world.info.host)
    page = client.get("/device/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "channels/device.js" in html and 'id="device-strings"' in html
    assert world.device_key not in html and "sessionid" not in page.cookies
    setup = client.get("/device/setup")
    assert setup.status_code == 200 and 'type="password"' in setup.content.decode()
    worker = client.get("/device/sw.js")
    assert worker.status_code == 200 and worker["Content-Type"].startswith("text/javascript")


def test_the_device_page_is_plain_on_another_tenant(world, beta):
    html = host_client(beta.host).get("/device/").content.decode()
    assert "乙省政务服务管理局" in html and "甲省" not in html
