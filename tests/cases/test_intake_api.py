"""The capture API answers with the case a bad rating opened; the case exists, routed to the handling unit."""

from django_tenants.utils import schema_context

from tenants.cases.models import Case
from tests.conftest import key_client


def rating(**overrides) -> dict:
    body = {
        "transaction": "BJ2026112500001",
        "level": 5,
        "channel": "device",
        "item_code": "ITEM-001",
        "reason_tags": ["attitude"],
    }
    body.update(overrides)
    return body


def post(client, body, path="/api/v1/evaluations"):
    return client.post(path, body, content_type="application/json")


def test_a_bad_rating_answers_201_with_its_case(world):
    device = key_client(world.info.host, world.device_key)
    response = post(device, rating())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["is_bad"] is True and body["case_id"] is not None
    with schema_context(world.info.schema):
        case = Case.objects.get(pk=body["case_id"])
    # routed to the transaction's handling unit: the device's hall
    assert (case.evaluation_id, case.unit_id, case.state) == (body["id"], world.hall.pk, "new")


def test_a_good_rating_answers_with_no_case(world):
    device = key_client(world.info.host, world.device_key)
    assert post(device, rating(level=1, reason_tags=[])).json()["case_id"] is None


def test_a_re_rating_answers_with_the_case_the_first_rating_opened(world):
    integration = key_client(world.info.host, world.integration_key)
    first = post(integration, rating(unit_code="H01")).json()
    again = post(integration, rating(unit_code="H01", level=4)).json()  # a revision of the same transaction
    assert again["supersedes"] == first["id"] and again["case_id"] == first["case_id"] is not None
    with schema_context(world.info.schema):
        assert Case.objects.count() == 1


def test_the_bulk_endpoint_names_each_items_case(world):
    device = key_client(world.info.host, world.device_key)
    items = [
        rating(
            transaction=f"B-{i}",
            level=level,
            reason_tags=["attitude"] if level > 3 else [],
            idempotency_key=f"k{i}",
        )
        for i, level in enumerate((1, 5, 4, 2))
    ]
    results = post(device, {"items": items}, "/api/v1/evaluations/bulk").json()["results"]
    with schema_context(world.info.schema):
        by_evaluation = dict(Case.objects.values_list("evaluation_id", "id"))
    assert [r["case_id"] for r in results] == [
        None,
        by_evaluation[results[1]["id"]],
        by_evaluation[results[2]["id"]],
        None,
    ]
    retried = post(device, {"items": items}, "/api/v1/evaluations/bulk").json()["results"]
    assert [r["status"] for r in retried] == ["duplicate"] * 4
    assert [r["case_id"] for r in retried] == [r["case_id"] for r in results]


def test_a_bad_rating_takes_two_more_queries_than_a_good_one(world, django_assert_max_num_queries):
    device = key_client(world.info.host, world.device_key)
    post(
        device, rating(transaction="WARM")
    )  # warms the intake configuration, key, device and calendar caches
    # the general intake path (6 for a rating that registers its transaction inline), then the case:
    # routing with a case number, then the case and its first event in one statement
    with django_assert_max_num_queries(8):
        assert post(device, rating(transaction="PINNED")).status_code == 201
