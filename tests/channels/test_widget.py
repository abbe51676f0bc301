"""The embeddable widget: its script, and the cross-origin submit endpoint it calls."""

import json

import pytest
from django_tenants.utils import schema_context

from tenants.evaluations.models import Evaluation
from tests.channels.conftest import signed_in
from tests.conftest import host_client, key_client

ORIGIN = "https://zwfw.example.gov.cn"
PATH = "/api/v1/widget/evaluations"


def post(client, body, *, key="k-1", **extra):
    headers = {"HTTP_ORIGIN": ORIGIN, **extra}
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(PATH, body, content_type="application/json", **headers)


def rating(**overrides) -> dict:
    return {
        "transaction": "WEB-2026-0001",
        "level": 1,
        "item_code": "ITEM-001",
        "unit_code": "D01",
        **overrides,
    }


def stored(schema: str) -> list[Evaluation]:
    with schema_context(schema):
        return list(Evaluation.objects.select_related("transaction__platform").order_by("id"))


def test_widget_script_bakes_in_the_host_and_the_tenants_words(world):
    response = host_client(world.info.host).get("/widget.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    source = response.content.decode()
    assert "__HCP_CONFIG__" not in source
    config = json.loads(source[source.rindex("})(") + 3 : source.rindex(");")])
    assert config["origin"] == "http://alpha.localhost"
    assert config["submitPath"] == PATH
    assert [lv["word"] for lv in config["levels"]] == ["很好", "好", "一般", "差", "很差"]
    assert config["organisation"] == "甲省政务服务管理局" and len(config["tags"]) == 8
    assert "attachShadow" in source


def test_widget_script_of_beta_is_betas(world, beta):
    source = host_client(beta.host).get("/widget.js").content.decode()
    assert "http://beta.localhost" in source and "乙省政务服务管理局" in source and "甲省" not in source


def test_preflight_is_answered_without_a_key(world):
    response = host_client(world.info.host).options(
        PATH,
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, idempotency-key",
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    allowed = response["Access-Control-Allow-Headers"].lower()
    assert all(h in allowed for h in ("authorization", "content-type", "idempotency-key"))
    assert "POST" in response["Access-Control-Allow-Methods"]


def test_a_rating_from_the_widget_is_a_web_rating_and_a_retry_is_not_a_second(world):
    client = key_client(world.info.host, world.integration_key)
    first = post(client, rating(level=2, platform_code="WEB"))
    assert first.status_code == 201, first.content
    assert first["Access-Control-Allow-Origin"] == "*"
    assert first.json()["level_word"] == "好" and first.json()["created"] is True
    again = post(client, rating(level=2, platform_code="WEB"))
    assert again.status_code == 201 and again.json() == first.json()
    rows = stored(world.info.schema)
    assert len(rows) == 1
    assert (rows[0].channel, rows[0].level, rows[0].idempotency_key) == ("web", 2, "k-1")
    assert rows[0].transaction.platform.code == "WEB"


def test_the_widget_cannot_pick_another_channel(world):
    client = key_client(world.info.host, world.integration_key)
    assert post(client, rating(channel="device")).status_code == 201
    assert [r.channel for r in stored(world.info.schema)] == ["web"]


def test_the_same_key_after_the_replay_record_is_gone_is_still_one_rating(world):
    """The key also reaches the rating itself: when the middleware no longer remembers the request (records
    are purged), the retry is answered 200 with the first rating, not stored again."""
    from api.models import IdempotencyRecord

    client = key_client(world.info.host, world.integration_key)
    first = post(client, rating(), key="k-9")
    assert first.status_code == 201
    with schema_context(world.info.schema):
        IdempotencyRecord.objects.all().delete()
    again = post(client, rating(), key="k-9")
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["id"] == first.json()["id"]
    assert len(stored(world.info.schema)) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (rating(level=5), "reason_tags"),
        (rating(level=0), "level"),
        (rating(reason_tags=["nope"], level=4), "reason_tags"),
        (rating(comment="长" * 501), "comment"),
        ({"level": 1}, "transaction"),
    ],
)
def test_bad_input_is_a_readable_400_problem_and_nothing_is_stored(world, body, field):
    client = key_client(world.info.host, world.integration_key)
    response = post(client, body)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response["Access-Control-Allow-Origin"] == "*"  # the widget can read why
    assert field in [e["field"] for e in response.json()["errors"]]
    assert stored(world.info.schema) == []


def test_without_a_key_the_answer_is_401_and_readable(world):
    response = post(host_client(world.info.host), rating())
    assert response.status_code == 401 and response["Access-Control-Allow-Origin"] == "*"


def test_a_signed_in_clerk_cannot_use_the_widget_endpoint(world):
    response = post(signed_in(world.info), rating())
    assert response.status_code == 401
    assert stored(world.info.schema) == []


def test_alphas_integration_key_on_beta_is_refused_and_nothing_is_stored(world, beta):
    response = post(key_client(beta.host, world.integration_key), rating())
    assert response.status_code == 401
    assert stored(beta.schema) == [] and stored(world.info.schema) == []
