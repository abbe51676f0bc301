"""POST /api/v1/evaluations and /bulk: every channel's intake, its rules and its refusals."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from api.views.capture import QUICK_MAX_BODY_BYTES
from tenants.evaluations.models import Evaluation, Transaction
from tests.conftest import PASSWORD, host_client, key_client, make_key


def rating(**overrides) -> dict:
    body = {"transaction": "BJ2026112500001", "level": 1, "channel": "device", "item_code": "ITEM-001"}
    body.update(overrides)
    return body


@pytest.fixture
def device(world):
    return key_client(world.info.host, world.device_key)


@pytest.fixture
def integration(world):
    return key_client(world.info.host, world.integration_key)


def post(client, body, **extra):
    return client.post("/api/v1/evaluations", body, content_type="application/json", **extra)


def test_device_rating_with_inline_fields_creates_the_transaction(world, device):
    response = post(device, rating())
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["level"], body["level_word"], body["is_bad"], body["revision"]) == (1, "很好", False, 1)
    with schema_context(world.info.schema):
        txn = Transaction.objects.get(number="BJ2026112500001")
        evaluation = Evaluation.objects.get(pk=body["id"])
    assert (txn.window, txn.unit, txn.item) == (world.window, world.hall, world.item)
    assert evaluation.device == world.device and evaluation.anonymous
    assert evaluation.guide_version == world.item.current_guide


def test_registered_transaction_gets_its_deadline_on_the_working_day_calendar(world, integration):
    response = integration.post(
        "/api/v1/transactions",
        {
            "number": "T-1",
            "item_code": "ITEM-001",
            "unit_code": "H01",
            "window_code": "W01",
            "staff_no": "S001",
            "channel": "device",
            "received_at": "2026-09-30T10:00:00+08:00",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["deadline"] == "2026-10-13"  # 5 working days across National Day and its 调休
    assert integration.get("/api/v1/transactions/T-1").json()["staff_no"] == "S001"


def test_bad_review_needs_reason_tags_and_keeps_them(world, device):
    refused = post(device, rating(level=5))
    assert refused.status_code == 400
    assert [e["field"] for e in refused.json()["errors"]] == ["reason_tags"]
    accepted = post(device, rating(level=4, reason_tags=["attitude", "long_wait"], comment="等了一个小时"))
    assert accepted.status_code == 201 and accepted.json()["is_bad"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (rating(level=0), "level"),
        (rating(level=6), "level"),
        (rating(level="good"), "level"),
        (rating(channel="fax"), "channel"),
        (rating(item_code="NOPE", transaction="NEW-1"), "item_code"),
        (rating(transaction="NEW-2", item_code=""), "transaction"),
        (rating(level=4, reason_tags=["made_up"]), "reason_tags"),
        (rating(comment="长" * 501), "comment"),
        (rating(comment="长" * 6000), "comment"),
        (rating(answers=[1, 2]), "answers"),
        (
            rating(evaluator={"name": "王五", "id_type": "resident_id", "id_number": "110101199003071234"}),
            "evaluator.id_number",
        ),
        (rating(evaluator={"phone": "12345"}), "evaluator.phone"),
        (rating(transaction=""), "transaction"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_stored(world, device, body, field):
    response = post(device, body)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]
    with schema_context(world.info.schema):
        assert not Evaluation.objects.exists()


def test_malformed_json_is_refused(world, device):
    response = device.post("/api/v1/evaluations", '{"level": 1,', content_type="application/json")
    assert response.status_code == 400 and response.json()["type"].endswith("/malformed")


def test_second_rating_is_a_revision_counted_once(world, device):
    first = post(device, rating(level=3)).json()
    second = post(device, rating(level=1)).json()
    assert (second["revision"], second["supersedes"]) == (2, first["id"])
    with schema_context(world.info.schema):
        assert Evaluation.objects.count() == 2
        assert list(Evaluation.objects.filter(is_current=True).values_list("level", flat=True)) == [1]
    other_stage = post(device, rating(level=2, stage="accepted")).json()
    assert other_stage["revision"] == 1 and other_stage["supersedes"] is None


def test_supplementary_rating_within_the_window_and_refused_after(world, integration):
    with schema_context(world.info.schema):
        txn = Transaction.objects.create(
            number="OLD-1",
            item=world.item,
            unit=world.hall,
            channel="web",
            finished_at=timezone.now() - timedelta(days=2),
        )
        Transaction.objects.create(
            number="OLD-2",
            item=world.item,
            unit=world.hall,
            channel="web",
            finished_at=timezone.now() - timedelta(days=8),
        )
    ok = post(integration, {"transaction": txn.number, "level": 2, "channel": "web"})
    assert ok.status_code == 201 and ok.json()["is_supplementary"] is True
    late = post(integration, {"transaction": "OLD-2", "level": 2, "channel": "web"})
    assert late.status_code == 400 and late.json()["errors"][0]["field"] == "transaction"


def test_real_name_identity_is_encrypted_at_rest(world, device):
    identity = {
        "name": "李四",
        "phone": "13800138000",
        "id_type": "resident_id",
        "id_number": "11010519491231002X",
    }
    body = post(device, rating(level=4, reason_tags=["attitude"], evaluator=identity)).json()
    assert "13800138000" not in str(body)
    with schema_context(world.info.schema), connection.cursor() as cursor:
        cursor.execute(
            "SELECT evaluator_name, evaluator_phone, evaluator_id_number, evaluator_hash, anonymous "
            "FROM evaluations_evaluation WHERE id = %s",
            [body["id"]],
        )
        name, phone, id_number, hashed, anonymous = cursor.fetchone()
    assert not anonymous
    assert "李四" not in name and "13800138000" not in phone and "11010519491231002X" not in id_number
    assert len(hashed) == 64
    from tenants.privacy.identity import identity_from_row

    with schema_context(world.info.schema):
        assert identity_from_row(Evaluation.objects.get(pk=body["id"]), "evaluator").phone == "13800138000"


def test_idempotent_retry_of_a_single_rating_creates_one_row(world, device):
    a = post(device, rating(), HTTP_IDEMPOTENCY_KEY="tap-1")
    b = post(device, rating(), HTTP_IDEMPOTENCY_KEY="tap-1")
    assert a.status_code == b.status_code == 201 and a.json() == b.json()
    with schema_context(world.info.schema):
        assert Evaluation.objects.count() == 1


def test_bulk_reports_each_item_and_a_retry_creates_nothing_twice(world, device):
    items = [
        {**rating(transaction="OFF-1"), "idempotency_key": "k1"},
        {**rating(transaction="OFF-2", level=9), "idempotency_key": "k2"},
        {**rating(transaction="OFF-3", level=5, reason_tags=["attitude"]), "idempotency_key": "k3"},
        {**rating(transaction="OFF-1"), "idempotency_key": "k1"},  # the same tap queued twice
    ]
    first = device.post("/api/v1/evaluations/bulk", {"items": items}, content_type="application/json").json()
    assert [r["status"] for r in first["results"]] == ["created", "error", "created", "duplicate"]
    assert first["results"][1]["errors"][0]["field"] == "level"
    assert first["results"][3]["id"] == first["results"][0]["id"]
    again = device.post("/api/v1/evaluations/bulk", {"items": items}, content_type="application/json").json()
    assert [r["status"] for r in again["results"]] == ["duplicate", "error", "duplicate", "duplicate"]
    assert (again["created"], again["duplicates"], again["errors"]) == (0, 3, 1)
    with schema_context(world.info.schema):
        assert Evaluation.objects.count() == 2


def test_bulk_item_without_idempotency_key_is_an_error(world, device):
    result = device.post(
        "/api/v1/evaluations/bulk", {"items": [rating()]}, content_type="application/json"
    ).json()
    assert result["results"][0]["status"] == "error"
    assert result["results"][0]["errors"][0]["field"] == "idempotency_key"


@pytest.mark.parametrize("count", [0, 1001])
def test_bulk_size_limits(world, device, count):
    items = [{**rating(transaction=f"B-{i}"), "idempotency_key": f"b{i}"} for i in range(count)]
    response = device.post("/api/v1/evaluations/bulk", {"items": items}, content_type="application/json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "items"


def test_other_tenants_device_key_is_refused_and_nothing_written(world, beta):
    response = post(key_client(beta.host, world.device_key), rating())
    assert response.status_code == 401
    with schema_context(beta.schema):
        assert not Evaluation.objects.exists() and not Transaction.objects.exists()


def test_a_tenant_cannot_rate_another_tenants_transaction(world, beta):
    post(key_client(world.info.host, world.device_key), rating())
    beta_key = make_key(beta.schema, "integration")
    response = post(
        key_client(beta.host, beta_key), {"transaction": "BJ2026112500001", "level": 1, "channel": "web"}
    )
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "transaction"


def test_staff_sessions_cannot_rate_on_an_evaluators_behalf(world):
    client = host_client(world.info.host)
    client.post("/accounts/login/", {"login": world.info.admin_email, "password": PASSWORD})
    response = client.post("/api/v1/evaluations", rating(), content_type="application/json")
    assert response.status_code == 403


def test_single_rating_query_count_is_pinned(world, device, django_assert_max_num_queries):
    post(device, rating(transaction="WARM"))  # warms the intake configuration, key and device caches
    # The common case — the first rating of a transaction named inline — is one statement that registers the
    # transaction and stores the rating (tenants.evaluations.intake_fast): search_path and the statement, here
    # inside the test's transaction so with a savepoint and its release (in production: autocommit, 2 in all).
    with django_assert_max_num_queries(4) as captured:
        assert post(device, rating(transaction="PINNED")).status_code == 201
    assert sum("INSERT INTO evaluations_evaluation" in q["sql"] for q in captured.captured_queries) == 1
    # A re-rating of a known transaction (rare) falls back to the general path after the statement found the
    # number taken: inline codes, upsert-and-lock, lock, current rating, supersede, insert, its open case.
    with django_assert_max_num_queries(13):
        assert post(device, rating(transaction="PINNED", level=2)).json()["revision"] == 2


def test_a_plain_rating_skips_drf_and_is_answered_exactly_as_drf_answers(world, device):
    # given the same rating twice: as sent (the quick path) and padded past the quick path's size (DRF's path)
    quick = post(device, rating(transaction="SHAPE-QUICK", level=2, reason_tags=[]))
    padded = json.dumps(rating(transaction="SHAPE-DRF", level=2)) + " " * (QUICK_MAX_BODY_BYTES + 1)
    drf = device.post("/api/v1/evaluations", padded, content_type="application/json")
    # then both are stored and answered with the same body, but only DRF's answer carries its `Allow` header
    assert quick.status_code == drf.status_code == 201
    assert "Allow" not in quick and "Allow" in drf
    assert quick["Content-Type"] == drf["Content-Type"] == "application/json"
    varying = {"id", "transaction", "rated_at"}
    assert {k: v for k, v in quick.json().items() if k not in varying} == {
        k: v for k, v in drf.json().items() if k not in varying
    }
    assert quick.json()["rated_at"][-6:] == drf.json()["rated_at"][-6:] == "+08:00"
    with schema_context(world.info.schema):
        stored = Evaluation.objects.get(pk=quick.json()["id"])
    assert (stored.level, stored.transaction.number, stored.device) == (2, "SHAPE-QUICK", world.device)


def test_the_one_statement_path_leaves_refusals_and_revisions_to_the_general_path(world, device):
    # unknown codes are named by the general path's errors; nothing is registered
    for field, value in (
        ("item_code", "NOPE"),
        ("unit_code", "NOPE"),
        ("window_code", "H01"),
        ("staff_no", "X"),
    ):
        response = post(device, rating(transaction=f"REFUSED-{field}", **{field: value}))
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == field
    # a first rating, then its revision, then a bad review of it (which opens a case): one current rating
    assert post(device, rating(transaction="R-1", level=1)).json()["revision"] == 1
    assert post(device, rating(transaction="R-1", level=2)).json()["revision"] == 2
    bad = post(device, rating(transaction="R-1", level=5, reason_tags=["attitude"]))
    assert bad.status_code == 201 and bad.json()["revision"] == 3 and bad.json()["is_bad"]
    with schema_context(world.info.schema):
        assert not Transaction.objects.filter(number__startswith="REFUSED-").exists()
        ratings = Evaluation.objects.filter(transaction__number="R-1")
        assert [(e.revision, e.is_current) for e in ratings.order_by("revision")] == [
            (1, False),
            (2, False),
            (3, True),
        ]
        assert ratings.get(revision=1).guide_version == world.item.current_guide


def test_reads_for_integrators(world, integration):
    items = integration.get("/api/v1/items?code=ITEM-001").json()["results"]
    assert items == [
        {
            "code": "ITEM-001",
            "name": "食品经营许可证核发",
            "item_type": "licensing",
            "status": "published",
            "guide_version": 1,
            "promise_type": "promised",
            "time_limit_days": 5,
        }
    ]
    units = {u["code"]: u for u in integration.get("/api/v1/units").json()["results"]}
    assert units["W01"]["parent_code"] == "H01" and units["W01"]["kind"] == "window"
    staff = integration.get("/api/v1/staff").json()["results"]
    assert staff == [{"staff_no": "S001", "name": "张敏", "unit_code": "H01"}]


def test_a_transaction_takes_a_bounded_number_of_re_ratings(world, device):
    statuses = [post(device, rating(level=level)).status_code for level in (1, 2, 3, 2, 1, 3)]
    assert statuses == [201, 201, 201, 201, 201, 400]
    with schema_context(world.info.schema):
        assert Evaluation.objects.count() == 5
        assert Evaluation.objects.get(is_current=True).level == 1


def test_transactions_bulk_back_fill(world, integration):
    items = [
        {
            "number": "BF-1",
            "item_code": "ITEM-001",
            "unit_code": "H01",
            "channel": "web",
            "received_at": "2026-09-30T09:00:00+08:00",
        },
        {"number": "BF-2", "item_code": "NOPE", "unit_code": "H01", "channel": "web"},
        {"number": "BF-3", "item_code": "ITEM-001", "unit_code": "H01", "channel": "teleport"},
    ]
    first = integration.post(
        "/api/v1/transactions/bulk", {"items": items}, content_type="application/json"
    ).json()
    assert [r["status"] for r in first["results"]] == ["created", "error", "error"]
    assert first["results"][1]["errors"][0]["field"] == "item_code"
    assert first["results"][2]["errors"][0]["field"] == "channel"
    again = integration.post(
        "/api/v1/transactions/bulk", {"items": items[:1]}, content_type="application/json"
    ).json()
    assert again["results"][0]["status"] == "duplicate" and again["duplicates"] == 1
    with schema_context(world.info.schema):
        assert Transaction.objects.get(number="BF-1").deadline.isoformat() == "2026-10-13"


def test_widget_key_rates_and_does_nothing_else(world):
    widget = key_client(world.info.host, make_key(world.info.schema, "widget"))
    assert post(widget, rating(channel="web", unit_code="H01")).status_code == 201
    assert widget.get("/api/v1/items").status_code == 403
    assert widget.post("/api/v1/transactions", {}, content_type="application/json").status_code == 403
