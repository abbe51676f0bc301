"""Appeals API: list, file (JSON), decide; problem+json refusals; cross-tenant and cross-role; the rating in the
API never carries the evaluator; responses match the OpenAPI schema."""

import json

from django_tenants.utils import schema_context

from tenants.accounts.models import AuditEvent
from tenants.appeals.models import Appeal, AppealState
from tenants.appeals.services import appeal_file
from tenants.evaluations.models import Evaluation
from tests.api.test_openapi import assert_matches_schema, load_spec
from tests.appeals.conftest import (
    EVALUATOR_ID,
    EVALUATOR_MASKED,
    EVALUATOR_NAME,
    EVALUATOR_PHONE,
    FILED,
    bad_ratings,
    client_of,
)
from tests.conftest import host_client, key_client, make_key

STATEMENT = "评价人办理的是其他窗口的业务。"
NOTE = "叫号记录显示评价对象有误。"


def post(client, path: str, body: dict):
    return client.post(path, body, content_type="application/json")


def filed(scene, rating):
    with schema_context(scene.schema):
        return appeal_file(actor=scene.staff.actor, evaluation=rating, statement=STATEMENT, now=FILED)


def test_the_appellant_files_and_lists_without_any_evaluator_field(scene, time_machine):
    (rating,) = bad_ratings(scene)
    time_machine.move_to(FILED, tick=False)
    client = client_of(scene.world.info, scene.staff)
    response = post(client, "/api/v1/appeals", {"evaluation": rating.pk, "statement": STATEMENT})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["state"], body["appellant_kind"], body["due_at"]) == ("submitted", "staff", "2026-03-17")
    assert body["rating"]["transaction"] == "B00000" and body["rating"]["level"] == 5
    listing = client.get("/api/v1/appeals")
    assert [a["id"] for a in listing.json()["results"]] == [body["id"]]
    for text in (response.content.decode(), listing.content.decode()):
        for secret in (EVALUATOR_NAME, EVALUATOR_PHONE, EVALUATOR_ID, *EVALUATOR_MASKED, "evaluator_"):
            assert secret not in text and secret not in json.dumps(json.loads(text), ensure_ascii=False)


def test_filing_refusals_are_problem_json(scene, time_machine):
    (rating,) = bad_ratings(scene)
    time_machine.move_to(FILED, tick=False)
    outsider = post(
        client_of(scene.world.info, scene.outsider),
        "/api/v1/appeals",
        {"evaluation": rating.pk, "statement": "x"},
    )
    wrong_staff = post(
        client_of(scene.world.info, scene.colleague),
        "/api/v1/appeals",
        {"evaluation": rating.pk, "statement": "x", "kind": "staff"},
    )
    unknown = post(
        client_of(scene.world.info, scene.staff), "/api/v1/appeals", {"evaluation": 987654, "statement": "x"}
    )
    empty = post(
        client_of(scene.world.info, scene.staff),
        "/api/v1/appeals",
        {"evaluation": rating.pk, "statement": ""},
    )
    assert [r.status_code for r in (outsider, wrong_staff, unknown, empty)] == [403, 403, 400, 400]
    assert all(
        r["Content-Type"] == "application/problem+json" for r in (outsider, wrong_staff, unknown, empty)
    )
    assert "not the staff member rated" in wrong_staff.json()["detail"]
    first = post(
        client_of(scene.world.info, scene.staff),
        "/api/v1/appeals",
        {"evaluation": rating.pk, "statement": "x"},
    )
    duplicate = post(
        client_of(scene.world.info, scene.hall_officer),
        "/api/v1/appeals",
        {"evaluation": rating.pk, "statement": "x"},
    )
    assert (first.status_code, duplicate.status_code) == (201, 400)
    assert duplicate.json()["errors"][0]["field"] == "evaluation"
    with schema_context(scene.schema):
        assert Appeal.objects.count() == 1


def test_late_filing_is_refused(scene, time_machine):
    (rating,) = bad_ratings(scene)
    time_machine.move_to("2026-05-01T09:00:00+08:00", tick=False)
    response = post(
        client_of(scene.world.info, scene.staff),
        "/api/v1/appeals",
        {"evaluation": rating.pk, "statement": "x"},
    )
    assert response.status_code == 400 and "too late" in response.json()["detail"]


def test_a_reviewer_above_decides_and_the_rating_is_excluded(scene):
    (rating,) = bad_ratings(scene)
    appeal = filed(scene, rating)
    reviewer = client_of(scene.world.info, scene.department_supervisor)
    assert [a["id"] for a in reviewer.get("/api/v1/appeals?state=submitted").json()["results"]] == [appeal.pk]
    response = post(reviewer, f"/api/v1/appeals/{appeal.pk}/decision", {"decision": "upheld", "note": NOTE})
    assert response.status_code == 200 and response.json()["state"] == "upheld"
    assert response.json()["rating"]["excluded"] is True
    with schema_context(scene.schema):
        assert Evaluation.objects.get(pk=rating.pk).excluded


def test_a_tenant_wide_reviewer_key_decides(scene):
    (rating,) = bad_ratings(scene)
    appeal = filed(scene, rating)
    key = key_client(scene.host, make_key(scene.schema, "supervisor", "appeals desk"))
    assert [a["id"] for a in key.get("/api/v1/appeals").json()["results"]] == [appeal.pk]
    response = post(
        key, f"/api/v1/appeals/{appeal.pk}/decision", {"decision": "rejected", "note": "评价属实。"}
    )
    assert response.status_code == 200 and response.json()["reviewer"].startswith("key:")
    with schema_context(scene.schema):
        assert not Evaluation.objects.get(pk=rating.pk).excluded


def test_decision_refusals(scene):
    (rating,) = bad_ratings(scene)
    appeal = filed(scene, rating)
    path = f"/api/v1/appeals/{appeal.pk}/decision"
    body = {"decision": "upheld", "note": NOTE}
    same_unit = post(client_of(scene.world.info, scene.hall_supervisor), path, body)
    appellant = post(client_of(scene.world.info, scene.staff), path, body)
    window_staff = post(client_of(scene.world.info, scene.colleague), path, body)
    device = post(key_client(scene.host, scene.world.device_key), path, body)
    missing = post(client_of(scene.world.info, scene.supervisor), "/api/v1/appeals/987654/decision", body)
    no_note = post(client_of(scene.world.info, scene.supervisor), path, {"decision": "upheld", "note": ""})
    assert [r.status_code for r in (same_unit, appellant, window_staff, device, missing, no_note)] == [
        404,  # outside the reviewer's scope: not even visible
        403,
        403,
        403,
        404,
        400,
    ]
    for response in (appellant, window_staff, device, missing, no_note):
        assert response["Content-Type"] == "application/problem+json"
    with schema_context(scene.schema):
        assert Appeal.objects.get().state == AppealState.SUBMITTED
        assert not Evaluation.objects.get(pk=rating.pk).excluded


def test_machines_and_readers_without_the_permissions_are_refused(scene):
    device = key_client(scene.host, scene.world.device_key)
    integration = key_client(scene.host, scene.world.integration_key)
    assert device.get("/api/v1/appeals").status_code == 403
    assert integration.get("/api/v1/appeals").status_code == 403
    assert host_client(scene.host).get("/api/v1/appeals").status_code == 401


def test_another_tenants_key_or_session_reaches_nothing(scene, beta):
    (rating,) = bad_ratings(scene)
    appeal = filed(scene, rating)
    beta_key = make_key(beta.schema, "supervisor", "beta desk")
    foreign_on_alpha = key_client(scene.host, beta_key)
    assert foreign_on_alpha.get("/api/v1/appeals").status_code == 401
    assert (
        post(
            foreign_on_alpha, f"/api/v1/appeals/{appeal.pk}/decision", {"decision": "upheld", "note": NOTE}
        ).status_code
        == 401
    )
    on_beta = key_client(beta.host, beta_key)
    assert on_beta.get("/api/v1/appeals").json()["results"] == []
    response = post(on_beta, f"/api/v1/appeals/{appeal.pk}/decision", {"decision": "upheld", "note": NOTE})
    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"
    with schema_context(beta.schema):
        assert not AuditEvent.objects.filter(action__startswith="appeal.").exists()
    with schema_context(scene.schema):
        assert Appeal.objects.get().state == AppealState.SUBMITTED


def test_responses_match_the_schema(scene):
    (rating, other) = bad_ratings(scene, 2)
    appeal = filed(scene, rating)
    spec = load_spec(scene.host)
    reviewer = client_of(scene.world.info, scene.supervisor)
    staff = client_of(scene.world.info, scene.staff)
    responses = [
        reviewer.get("/api/v1/appeals"),
        post(
            reviewer, f"/api/v1/appeals/{appeal.pk}/decision", {"decision": "rejected", "note": "评价属实。"}
        ),
        staff.get("/api/v1/appeals?state=rejected"),
        post(staff, "/api/v1/appeals", {"evaluation": other.pk, "statement": ""}),  # 400
        post(reviewer, "/api/v1/appeals/987654/decision", {"decision": "upheld", "note": "x"}),  # 404
        post(staff, f"/api/v1/appeals/{appeal.pk}/decision", {"decision": "upheld", "note": "x"}),  # 403
        host_client(scene.host).get("/api/v1/appeals"),  # 401
    ]
    assert [r.status_code for r in responses] == [200, 200, 200, 400, 404, 403, 401]
    for response in responses:
        assert_matches_schema(spec, response)
