"""The cases API: list and detail scoped like the services, one POST per transition, 409 for a transition the
state does not allow, 403 for role and unit scope, 404 across tenants, the evaluator masked, and responses
true to the OpenAPI schema."""

from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.models import AuditEvent
from tenants.cases.models import Case, CaseEvent
from tests.api.test_openapi import assert_matches_schema, load_spec
from tests.cases.conftest import bad_case, signed_in
from tests.conftest import key_client, make_key


def post(client, path: str, body: dict | None = None):
    return client.post(path, body or {}, content_type="application/json")


def now_iso(minutes: int = 0) -> str:
    return (timezone.now() + timedelta(minutes=minutes)).isoformat()


def test_the_whole_loop_through_the_api(world, people):
    case = bad_case(world, realname=True)
    officer = signed_in(world.info, people.officer)
    supervisor = signed_in(world.info, people.supervisor)
    base = f"/api/v1/cases/{case.pk}"
    steps = [
        (officer, "assign", {}),
        (officer, "contact", {"at": now_iso(-1), "method": "phone", "reached": False, "summary": "无人接听"}),
        (officer, "contact", {"at": now_iso(), "method": "phone", "reached": True, "summary": "已联系"}),
        (officer, "verify", {"verification": "malicious", "note": "同一号码多次差评"}),
        (officer, "resolve", {"outcome": "not_adopted", "note": "恶意差评"}),
        (supervisor, "confirm-not-adopted", {"confirm": False, "note": "证据不足"}),
        (officer, "verify", {"verification": "reasonable", "note": "重新核实属实"}),
        (
            officer,
            "resolve",
            {
                "outcome": "ledger",
                "note": "需要改造",
                "deadline": timezone.localtime(case.rectify_due).date().isoformat(),
                "milestones": [{"title": "增加窗口", "due": timezone.localdate().isoformat()}],
            },
        ),
    ]
    states = []
    for client, action, body in steps:
        response = post(client, f"{base}/{action}", body)
        assert response.status_code == 200, (action, response.content)
        states.append(response.json()["state"])
    assert states == [
        "assigned",
        "assigned",
        "contacted",
        "verified",
        "pending_confirmation",
        "verified",
        "verified",
        "ledger",
    ]
    milestone = response.json()["milestones"][0]["id"]
    assert post(officer, f"{base}/milestones/{milestone}/done", {"note": "已增加"}).status_code == 200
    for client, action, body in [
        (officer, "complete-ledger", {"note": "完成"}),
        (officer, "feedback", {"text": "您反映的问题已整改"}),
        (officer, "opinion", {"opinion": "unsatisfied", "source": "phone"}),
        (officer, "reopen", {"note": "评价人不满意"}),
    ]:
        response = post(client, f"{base}/{action}", body)
        assert response.status_code == 200, (action, response.content)
    detail = response.json()
    assert (detail["state"], detail["reopened_count"]) == ("assigned", 1)
    verify = officer.get(f"{base}/verify").json()
    assert verify["ok"] is True and verify["head_hash"] == detail["head_hash"] == detail["events"][-1]["hash"]


def test_a_work_order_key_drives_a_case_for_a_named_officer(world, people):
    case = bad_case(world)
    work_order = key_client(world.info.host, make_key(world.info.schema, "work_order", "12345 hotline"))
    assert [c["id"] for c in work_order.get("/api/v1/cases").json()["results"]] == [case.pk]
    response = post(work_order, f"/api/v1/cases/{case.pk}/assign", {"assignee": people.hall_officer.email})
    assert response.status_code == 200, response.content
    assert response.json()["assignee"] == people.hall_officer.email
    refused = post(work_order, f"/api/v1/cases/{case.pk}/assign", {})
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "assignee"


def test_an_integration_key_that_submits_ratings_may_not_see_or_handle_cases(world, people):
    case = bad_case(world)
    integration = key_client(world.info.host, world.integration_key)
    assert integration.get("/api/v1/cases").status_code == 403
    assert integration.get(f"/api/v1/cases/{case.pk}").status_code == 403
    for action, body in [
        ("assign", {"assignee": people.hall_officer.email}),
        ("close", {}),
        ("opinion", {"opinion": "satisfied"}),
    ]:
        response = post(integration, f"/api/v1/cases/{case.pk}/{action}", body)
        assert response.status_code == 403 and response["Content-Type"] == "application/problem+json"
    with schema_context(world.info.schema):
        assert CaseEvent.objects.filter(case_id=case.pk).count() == 1


def test_the_api_records_phone_opinions_only(world, people):
    case = bad_case(world)
    officer = signed_in(world.info, people.officer)
    base = f"/api/v1/cases/{case.pk}"
    steps = [
        ("assign", {}),
        ("verify", {"verification": "reasonable", "note": "查看监控核实"}),
        ("resolve", {"outcome": "fixed", "note": "已整改"}),
        ("feedback", {"text": "已整改"}),
    ]
    for action, body in steps:
        assert post(officer, f"{base}/{action}", body).status_code == 200, action
    for source in ("status_page", "sms"):
        refused = post(officer, f"{base}/opinion", {"opinion": "satisfied", "source": source})
        assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "source"
    response = post(officer, f"{base}/opinion", {"opinion": "satisfied"})
    assert response.status_code == 200 and response.json()["opinion_source"] == "phone"


def test_a_transition_the_state_does_not_allow_is_409_naming_the_allowed_ones(world, people):
    case = bad_case(world)
    officer = signed_in(world.info, people.officer)
    response = post(officer, f"/api/v1/cases/{case.pk}/close")
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["allowed_actions"] == ["assign", "reassign"] and "assign, reassign" in body["detail"]
    with schema_context(world.info.schema):
        assert Case.objects.get(pk=case.pk).state == "new"


def test_bad_input_is_400_naming_the_field(world, people):
    case = bad_case(world)
    officer = signed_in(world.info, people.officer)
    post(officer, f"/api/v1/cases/{case.pk}/assign")
    response = post(
        officer, f"/api/v1/cases/{case.pk}/contact", {"at": now_iso(), "method": "pigeon", "reached": True}
    )
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["method"]
    future = post(
        officer, f"/api/v1/cases/{case.pk}/contact", {"at": now_iso(90), "method": "phone", "reached": True}
    )
    assert future.status_code == 400 and future.json()["errors"][0]["field"] == "at"


def test_roles_and_unit_scope_are_403(world, people):
    case = bad_case(world)
    base = f"/api/v1/cases/{case.pk}"
    device = key_client(world.info.host, world.device_key)
    assert device.get("/api/v1/cases").status_code == 403
    assert signed_in(world.info, people.window_staff).get("/api/v1/cases").status_code == 403
    auditor = signed_in(world.info, people.auditor)
    assert auditor.get(base).status_code == 200  # reads everything, changes nothing
    assert post(auditor, f"{base}/assign").status_code == 403
    other = signed_in(world.info, people.other_officer)
    assert other.get(base).status_code == 403
    assert post(other, f"{base}/assign").status_code == 403
    assert other.get("/api/v1/cases").json()["results"] == []
    officer = signed_in(world.info, people.officer)
    refused = post(officer, f"{base}/reassign", {"unit": "D02", "note": "转办"})
    assert refused.status_code == 403 and refused["Content-Type"] == "application/problem+json"
    with schema_context(world.info.schema):
        assert CaseEvent.objects.filter(case_id=case.pk).count() == 1


def test_another_tenants_key_gets_404_and_changes_nothing(world, people, beta):
    case = bad_case(world)
    beta_key = key_client(beta.host, make_key(beta.schema, "work_order"))
    assert beta_key.get(f"/api/v1/cases/{case.pk}").status_code == 404
    assert beta_key.get(f"/api/v1/cases/{case.pk}/verify").status_code == 404
    response = post(beta_key, f"/api/v1/cases/{case.pk}/assign", {"assignee": people.officer.email})
    assert response.status_code == 404
    # and alpha's key on beta's host is not even authenticated
    alpha_key = key_client(beta.host, world.integration_key)
    assert alpha_key.get(f"/api/v1/cases/{case.pk}").status_code == 401
    with schema_context(world.info.schema):
        assert Case.objects.get(pk=case.pk).state == "new"
        assert not AuditEvent.objects.filter(target_type="Case", target_id=str(case.pk)).exists()


def test_the_evaluator_is_masked_never_plain(world, people):
    case = bad_case(world, realname=True)
    supervisor = signed_in(world.info, people.supervisor)
    response = supervisor.get(f"/api/v1/cases/{case.pk}")
    body = response.json()
    assert body["evaluator"] == {
        "name": "李**",
        "phone": "138****8000",
        "id_type": "resident_id",
        "id_number": "110***********002X",
    }
    text = response.content.decode()
    assert "13800138000" not in text and "李小明" not in text and "11010519491231002X" not in text
    assert body["rating"]["level"] == 5 and body["events"][0]["kind"] == "opened"
    assert len(body["events"][0]["hash"]) == 64


def test_the_list_filters_and_pages(world, people):
    first = bad_case(world, "T-1")
    second = bad_case(world, "T-2", realname=True)
    supervisor = signed_in(world.info, people.supervisor)
    post(signed_in(world.info, people.officer), f"/api/v1/cases/{second.pk}/assign")
    ids = lambda response: [c["id"] for c in response.json()["results"]]  # noqa: E731
    assert ids(supervisor.get("/api/v1/cases")) == [second.pk, first.pk]
    assert ids(supervisor.get("/api/v1/cases?state=new")) == [first.pk]
    assert ids(supervisor.get("/api/v1/cases?state=new,assigned")) == [second.pk, first.pk]
    assert ids(supervisor.get("/api/v1/cases?realname=true")) == [second.pk]
    assert ids(supervisor.get("/api/v1/cases?unit=H01")) == [second.pk, first.pk]
    assert ids(supervisor.get("/api/v1/cases?unit=D02")) == []
    assert ids(supervisor.get("/api/v1/cases?overdue=true")) == []
    assert ids(supervisor.get("/api/v1/cases?overdue=false")) == [second.pk, first.pk]
    page = supervisor.get("/api/v1/cases?limit=1").json()
    assert [c["id"] for c in page["results"]] == [second.pk] and page["next"]
    assert ids(supervisor.get(page["next"])) == [first.pk]
    for bad in ("state=lost", "unit=NOPE", "overdue=maybe"):
        response = supervisor.get(f"/api/v1/cases?{bad}")
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == bad.split("=")[0]


def test_responses_validate_against_the_schema(world, people):
    spec = load_spec(world.info.host)
    case = bad_case(world, realname=True)
    officer = signed_in(world.info, people.officer)
    base = f"/api/v1/cases/{case.pk}"
    responses = [
        officer.get("/api/v1/cases"),
        officer.get(base),
        post(officer, f"{base}/assign"),
        post(officer, f"{base}/contact", {"at": now_iso(), "method": "phone", "reached": True}),
        officer.get(f"{base}/verify"),
        post(officer, f"{base}/close"),  # 409
        post(officer, f"{base}/verify", {"verification": "nonsense"}),  # 400
        post(officer, f"{base}/reopen", {"note": "x"}),  # 403
        officer.get("/api/v1/cases/987654"),  # 404
    ]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 200, 409, 400, 403, 404]
    for response in responses:
        assert_matches_schema(spec, response)
