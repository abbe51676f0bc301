"""The evaluator's consent to publish the comment (Evaluation.comment_public) on every way in: API single
(the one-statement path and the general one), bulk (quick reader and serializer), the QR page and the
widget. Absent means no."""

import re

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tenants.channels.tokens import window_token
from tenants.evaluations.models import Evaluation
from tests.conftest import key_client


def consent_of(schema: str, number: str) -> bool:
    with schema_context(schema):
        return Evaluation.objects.get(transaction__number=number).comment_public


def rating(number: str, **overrides) -> dict:
    return {"transaction": number, "level": 1, "channel": "device", "item_code": "ITEM-001", **overrides}


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"comment": "窗口服务很好", "comment_public": True}, True),  # good rating: the one-statement INSERT
        ({"comment": "窗口服务很好", "comment_public": False}, False),
        ({"comment": "窗口服务很好"}, False),  # absent: no consent
        ({"comment": "窗口服务很好", "comment_public": "true"}, True),  # read by the serializer
        ({"level": 4, "reason_tags": ["attitude"], "comment": "态度差", "comment_public": True}, True),
        ({"level": 4, "reason_tags": ["attitude"], "comment": "态度差"}, False),  # the general path
    ],
)
def test_single_rating_stores_the_consent(world, extra, expected):
    device = key_client(world.info.host, world.device_key)
    response = device.post("/api/v1/evaluations", rating("C-1", **extra), content_type="application/json")
    assert response.status_code == 201, response.content
    assert consent_of(world.info.schema, "C-1") is expected


def test_single_rating_refuses_a_consent_that_is_not_a_boolean(world):
    device = key_client(world.info.host, world.device_key)
    for value in (None, "maybe", [True]):
        response = device.post(
            "/api/v1/evaluations", rating("C-2", comment_public=value), content_type="application/json"
        )
        assert response.status_code == 400, value
        assert [e["field"] for e in response.json()["errors"]] == ["comment_public"]


def test_bulk_ratings_store_the_consent_of_each(world):
    device = key_client(world.info.host, world.device_key)
    items = [
        {**rating("B-1", comment="好", comment_public=True), "idempotency_key": "k1"},
        {**rating("B-2", comment="好", comment_public=False), "idempotency_key": "k2"},
        {**rating("B-3", comment="好"), "idempotency_key": "k3"},
        {**rating("B-4", comment="好", comment_public="true"), "idempotency_key": "k4"},  # serializer path
        {
            **rating("B-5", level=5, reason_tags=["attitude"], comment="差", comment_public=True),
            "idempotency_key": "k5",
        },
    ]
    response = device.post("/api/v1/evaluations/bulk", {"items": items}, content_type="application/json")
    assert response.status_code == 200 and response.json()["created"] == 5, response.content
    assert [consent_of(world.info.schema, f"B-{i}") for i in range(1, 6)] == [True, False, False, True, True]


def _qr_post(world, **fields):
    with schema_context(world.info.schema):
        url = f"/q/{window_token(world.window.pk)}/"
    client = Client(HTTP_HOST=world.info.host, enforce_csrf_checks=True)
    page = client.get(url).content.decode()
    assert 'name="comment_public"' in page and "checked" not in page.split('name="comment_public"')[1][:40]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    nonce = re.search(r'name="nonce" value="([0-9a-f]{32})"', page).group(1)
    body = {"csrfmiddlewaretoken": token, "item": "ITEM-001", "level": "4", "reason_tags": "attitude"}
    response = client.post(url, {**body, "nonce": nonce, "comment": "等了很久", **fields})
    assert response.status_code == 200, response.content.decode()[:2000]


def test_the_qr_page_offers_the_consent_unticked_and_stores_it(world):
    _qr_post(world, comment_public="on")
    _qr_post(world)
    with schema_context(world.info.schema):
        assert list(Evaluation.objects.order_by("id").values_list("comment_public", flat=True)) == [
            True,
            False,
        ]


def test_the_widget_sends_the_consent(world):
    client = key_client(world.info.host, world.integration_key)
    for number, extra in (("W-1", {"comment_public": True}), ("W-2", {})):
        response = client.post(
            "/api/v1/widget/evaluations",
            {
                "transaction": number,
                "level": 1,
                "item_code": "ITEM-001",
                "unit_code": "D01",
                "comment": "好",
                **extra,
            },
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=number,
        )
        assert response.status_code == 201, response.content
    assert consent_of(world.info.schema, "W-1") is True and consent_of(world.info.schema, "W-2") is False


def test_the_widget_script_carries_the_consent_label(world):
    source = key_client(world.info.host, world.integration_key).get("/widget.js").content.decode()
    assert "同意在政务服务评价公开平台展示我的评价内容" in source and "comment_public" in source
