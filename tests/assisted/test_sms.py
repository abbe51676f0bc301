"""SMS ratings end to end: invitation out through the gateway, replies in through the inbound endpoint."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent
from tenants.accounts.roles import Role
from tenants.assisted.models import SmsInbound, SmsInvitation
from tenants.evaluations.models import Evaluation, ReasonTag
from tenants.evaluations.selectors import intake_config_forget
from tenants.evaluations.services import TransactionInput, transaction_register
from tenants.privacy.crypto import decrypt
from tenants.privacy.identity import identity_from_row
from tests.api.test_openapi import assert_matches_schema, load_spec
from tests.conftest import host_client, make_key

PHONE = "13800138000"


def key_client(host: str, plaintext: str):
    """An API client asking for English, so the reply texts asserted here do not depend on the catalogue."""
    return host_client(host, HTTP_AUTHORIZATION=f"Api-Key {plaintext}", HTTP_ACCEPT_LANGUAGE="en")


def register(info, number: str = "T-SMS-1", applicant_phone: str = "13900139000") -> None:
    with schema_context(info.schema):
        transaction_register(
            actor=Actor.system("tests"),
            data=TransactionInput(
                number=number,
                item_code="ITEM-001",
                unit_code="H01",
                window_code="W01",
                channel="web",
                applicant={"name": "王五", "phone": applicant_phone},
            ),
        )


@pytest.fixture
def integration(world):
    return key_client(world.info.host, world.integration_key)


@pytest.fixture
def sms_gateway_key(world):
    """The SMS gateway's own key: role integration."""
    return key_client(world.info.host, make_key(world.info.schema, Role.INTEGRATION, "sms gateway"))


@pytest.fixture
def invited(world, integration):
    register(world.info)
    response = integration.post(
        "/api/v1/sms/invitations", {"transaction": "T-SMS-1", "phone": PHONE}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def inbound(client, text: str, message_id: str = "gw-1", phone: str = PHONE, **extra):
    body = {"message_id": message_id, "phone": phone, "text": text, **extra}
    return client.post("/api/v1/sms/inbound", body, content_type="application/json")


def evaluations(schema: str) -> list[Evaluation]:
    with schema_context(schema):
        return list(Evaluation.objects.order_by("id"))


# --- invitations ---------------------------------------------------------------------------------------------
def test_invitation_goes_out_through_the_http_gateway(world, integration, http_sms):
    register(world.info)
    response = integration.post(
        "/api/v1/sms/invitations",
        {"transaction": "T-SMS-1", "phone": "+86 138-0013-8000"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["phone"] == "138****8000" and body["transaction"] == "T-SMS-1"
    [sent] = http_sms.requests
    assert sent["path"] == "/sms/send" and sent["headers"]["Authorization"] == "Bearer gw-s3cret"
    assert sent["json"]["phone"] == PHONE
    for part in (
        "T-SMS-1",
        "食品经营许可证核发",
        "1 很好",
        "5 很差",
        "4 服务态度差",
        "8 窗口等候时间长",
        "甲省政务服务管理局",
    ):
        assert part in sent["json"]["text"], part
    with schema_context(world.info.schema):
        invitation = SmsInvitation.objects.get()
        assert AuditEvent.objects.filter(action="sms.invite", target_id=str(invitation.pk)).exists()
    assert invitation.phone != PHONE and decrypt(invitation.phone) == PHONE
    assert invitation.provider_message_id == "gw-1" and len(invitation.tag_codes) == 8
    assert invitation.expires_at - invitation.sent_at == timedelta(days=7)
    assert not invitation.answered


def test_invitation_defaults_to_the_applicants_phone(world, integration):
    register(world.info, applicant_phone="13900139000")
    response = integration.post(
        "/api/v1/sms/invitations", {"transaction": "T-SMS-1"}, content_type="application/json"
    )
    assert response.status_code == 201 and response.json()["phone"] == "139****9000"


def test_a_refusing_gateway_records_no_invitation(world, integration, http_sms):
    register(world.info)
    http_sms.status = 500
    response = integration.post(
        "/api/v1/sms/invitations", {"transaction": "T-SMS-1", "phone": PHONE}, content_type="application/json"
    )
    assert response.status_code == 502 and response["Content-Type"] == "application/problem+json"
    assert_matches_schema(load_spec(world.info.host), response)
    with schema_context(world.info.schema):
        assert not SmsInvitation.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"transaction": "NOPE", "phone": PHONE}, "transaction"),
        ({"transaction": "T-SMS-1", "phone": "12345"}, "phone"),
        ({"phone": PHONE}, "transaction"),
    ],
)
def test_bad_invitation_is_a_400_naming_the_field(world, integration, body, field):
    register(world.info)
    response = integration.post("/api/v1/sms/invitations", body, content_type="application/json")
    assert response.status_code == 400
    assert field in [e["field"] for e in response.json()["errors"]]
    with schema_context(world.info.schema):
        assert not SmsInvitation.objects.exists()


def test_device_keys_cannot_send_invitations(world):
    register(world.info)
    device = key_client(world.info.host, world.device_key)
    response = device.post(
        "/api/v1/sms/invitations", {"transaction": "T-SMS-1", "phone": PHONE}, content_type="application/json"
    )
    assert response.status_code == 403


# --- replies --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "level", "tags", "comment"),
    [
        ("1", 1, [], ""),
        ("１", 1, [], ""),
        ("2 3 5", 2, ["extra_materials", "multiple_trips"], ""),
        ("4，2", 4, ["extra_conditions"], ""),
        ("很好", 1, [], ""),
        ("满意", 2, [], ""),
        ("不满意 4 8", 4, ["attitude", "long_wait"], ""),
        ("5 4 等了一个小时", 5, ["attitude"], "等了一个小时"),
    ],
)
def test_each_reply_form_becomes_an_sms_rating_by_the_invited_phone(
    world, invited, sms_gateway_key, http_sms, django_capture_on_commit_callbacks, text, level, tags, comment
):
    with django_capture_on_commit_callbacks(execute=True):
        response = inbound(sms_gateway_key, text)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["outcome"], body["duplicate"], body["transaction"]) == ("accepted", False, "T-SMS-1")
    [evaluation] = evaluations(world.info.schema)
    assert body["evaluation_id"] == evaluation.pk
    assert (evaluation.channel, evaluation.level, evaluation.reason_tags, evaluation.comment) == (
        "sms",
        level,
        tags,
        comment,
    )
    assert not evaluation.anonymous and identity_from_row(evaluation, "evaluator").phone == PHONE
    with schema_context(world.info.schema):
        assert evaluation.transaction.number == "T-SMS-1"
        invitation = SmsInvitation.objects.get()
    assert invitation.answered and invitation.evaluation_id == evaluation.pk
    assert body["reply_sent"] is True and http_sms.texts == [body["reply"]]
    assert http_sms.requests[0]["json"]["phone"] == PHONE and "T-SMS-1" in body["reply"]


@pytest.mark.parametrize("text", ["好的", "hello", "12", "1号窗口很好", ""])
def test_garbage_gets_a_reply_explaining_the_format_and_stores_no_rating(
    world, invited, sms_gateway_key, http_sms, django_capture_on_commit_callbacks, text
):
    with django_capture_on_commit_callbacks(execute=True):
        body = inbound(sms_gateway_key, text).json()
    assert body["outcome"] == "unreadable" and body["evaluation_id"] is None
    assert "could not read" in body["reply"]
    assert "1 很好 / 2 好 / 3 一般 / 4 差 / 5 很差" in body["reply"] and "4 服务态度差" in body["reply"]
    assert http_sms.texts == [body["reply"]]
    assert evaluations(world.info.schema) == []
    with schema_context(world.info.schema):
        assert not SmsInvitation.objects.get().answered
        assert SmsInbound.objects.get().outcome == "unreadable"


def test_a_bad_review_without_reasons_is_asked_for_them(world, invited, sms_gateway_key):
    body = inbound(sms_gateway_key, "差").json()
    assert body["outcome"] == "unreadable"
    assert "“4 2”" in body["reply"] and "2 在办事指南之外增加新的审批条件" in body["reply"]
    assert evaluations(world.info.schema) == []


def test_an_unknown_reason_number_is_named(world, invited, sms_gateway_key):
    body = inbound(sms_gateway_key, "4 9").json()
    assert body["outcome"] == "unreadable" and "no reason number 9" in body["reply"]
    assert evaluations(world.info.schema) == []


def test_a_replayed_message_creates_nothing_twice(
    world, invited, sms_gateway_key, http_sms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = inbound(sms_gateway_key, "2", message_id="gw-77").json()
        again = inbound(sms_gateway_key, "2", message_id="gw-77").json()
        changed = inbound(
            sms_gateway_key, "5 1", message_id="gw-77"
        ).json()  # same id, other text: still a replay
    assert (first["duplicate"], again["duplicate"], changed["duplicate"]) == (False, True, True)
    assert again["evaluation_id"] == changed["evaluation_id"] == first["evaluation_id"]
    assert again["reply"] == first["reply"] and again["reply_sent"] is False
    assert len(evaluations(world.info.schema)) == 1 and len(http_sms.requests) == 1
    with schema_context(world.info.schema):
        assert SmsInbound.objects.count() == 1


def test_a_second_reply_revises_the_rating(world, invited, sms_gateway_key):
    first = inbound(sms_gateway_key, "3", message_id="a").json()
    second = inbound(sms_gateway_key, "1", message_id="b").json()
    assert (first["outcome"], second["outcome"]) == ("accepted", "revised")
    old, new = evaluations(world.info.schema)
    assert (old.is_current, new.is_current, new.revision, new.level) == (False, True, 2, 1)


def test_an_unknown_phone_gets_no_rating_and_no_reply(
    world, invited, sms_gateway_key, http_sms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        body = inbound(sms_gateway_key, "1", phone="13700137000").json()
    assert (body["outcome"], body["reply_sent"], body["transaction"]) == ("unknown_phone", False, None)
    assert http_sms.requests == [] and evaluations(world.info.schema) == []


def test_an_expired_invitation_is_not_answered(world, invited, sms_gateway_key):
    with time_machine.travel(timezone.now() + timedelta(days=8), tick=True):
        body = inbound(sms_gateway_key, "1").json()
    assert body["outcome"] == "expired" and "ended" in body["reply"]
    assert evaluations(world.info.schema) == []
    with schema_context(world.info.schema):
        assert not SmsInvitation.objects.get().answered


def test_a_late_delivery_of_a_timely_reply_still_counts(world, invited, sms_gateway_key):
    sent_at = timezone.now()
    with time_machine.travel(sent_at + timedelta(days=8), tick=True):
        body = inbound(sms_gateway_key, "1", received_at=(sent_at + timedelta(days=6)).isoformat()).json()
    assert body["outcome"] == "accepted"


def test_the_newest_open_invitation_of_a_phone_is_answered(world, invited, integration, sms_gateway_key):
    register(world.info, number="T-SMS-2")
    integration.post(
        "/api/v1/sms/invitations", {"transaction": "T-SMS-2", "phone": PHONE}, content_type="application/json"
    )
    assert inbound(sms_gateway_key, "1").json()["transaction"] == "T-SMS-2"


def test_reason_numbers_follow_the_list_the_invitation_printed(world, invited, sms_gateway_key):
    with schema_context(world.info.schema):
        ReasonTag.objects.create(code="new_first", label="新增原因", position=0)
    try:
        body = inbound(sms_gateway_key, "4 1").json()
    finally:
        intake_config_forget()
    assert body["outcome"] == "accepted"
    assert evaluations(world.info.schema)[0].reason_tags == ["overdue"]


def test_an_unsubscribe_request_gets_no_reply(world, invited, sms_gateway_key):
    body = inbound(sms_gateway_key, "TD").json()
    assert (body["outcome"], body["reply"], body["reply_sent"]) == ("opt_out", "", False)
    assert evaluations(world.info.schema) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"message_id": "x", "phone": "12345", "text": "1"}, "phone"),
        ({"message_id": "", "phone": PHONE, "text": "1"}, "message_id"),
        ({"message_id": "x" * 101, "phone": PHONE, "text": "1"}, "message_id"),
        ({"phone": PHONE, "text": "1"}, "message_id"),
        ({"message_id": "x", "phone": PHONE, "text": "1" * 1001}, "text"),
    ],
)
def test_a_malformed_relay_is_a_400_and_stores_nothing(world, invited, sms_gateway_key, body, field):
    response = sms_gateway_key.post("/api/v1/sms/inbound", body, content_type="application/json")
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]
    with schema_context(world.info.schema):
        assert not SmsInbound.objects.exists()


@pytest.mark.parametrize("role", [Role.DEVICE, Role.TENANT_ADMIN])
def test_only_the_gateways_integration_role_may_relay(world, invited, role):
    client = key_client(world.info.host, make_key(world.info.schema, role, "not a gateway"))
    assert inbound(client, "1").status_code == 403
    assert inbound(host_client(world.info.host), "1").status_code == 401
    assert evaluations(world.info.schema) == []


# --- tenant isolation ---------------------------------------------------------------------------------------
def test_betas_gateway_cannot_answer_alphas_invitation(world, invited, beta):
    beta_gateway = key_client(beta.host, make_key(beta.schema, Role.INTEGRATION, "beta sms gateway"))
    body = inbound(beta_gateway, "1").json()
    assert body["outcome"] == "unknown_phone"
    alpha_gateway_key = make_key(world.info.schema, Role.INTEGRATION, "alpha sms gateway")
    assert inbound(key_client(beta.host, alpha_gateway_key), "1", message_id="gw-2").status_code == 401
    beta_on_alpha = key_client(world.info.host, make_key(beta.schema, Role.INTEGRATION, "beta 2"))
    assert inbound(beta_on_alpha, "1", message_id="gw-3").status_code == 401
    assert (
        beta_on_alpha.post(
            "/api/v1/sms/invitations",
            {"transaction": "T-SMS-1", "phone": PHONE},
            content_type="application/json",
        ).status_code
        == 401
    )
    assert evaluations(world.info.schema) == [] and evaluations(beta.schema) == []
    with schema_context(world.info.schema):
        assert not SmsInvitation.objects.get().answered and not SmsInbound.objects.exists()
        assert SmsInvitation.objects.count() == 1


def test_beta_cannot_invite_for_alphas_transaction(world, beta):
    register(world.info)
    beta_integration = key_client(beta.host, make_key(beta.schema, Role.INTEGRATION, "beta system"))
    response = beta_integration.post(
        "/api/v1/sms/invitations", {"transaction": "T-SMS-1", "phone": PHONE}, content_type="application/json"
    )
    assert response.status_code == 400
    with schema_context(beta.schema):
        assert not SmsInvitation.objects.exists()


def test_sms_responses_match_the_openapi_schema(world, invited, integration, sms_gateway_key):
    spec = load_spec(world.info.host)
    register(world.info, number="T-SMS-3")
    responses = [
        integration.post(
            "/api/v1/sms/invitations",
            {"transaction": "T-SMS-3", "phone": PHONE},
            content_type="application/json",
        ),
        integration.post("/api/v1/sms/invitations", {"transaction": "NOPE"}, content_type="application/json"),
        inbound(sms_gateway_key, "1", message_id="s-1"),
        inbound(sms_gateway_key, "1", message_id="s-1"),
        inbound(sms_gateway_key, "???", message_id="s-2"),
        inbound(sms_gateway_key, "1", message_id="s-3", phone="1"),
        inbound(key_client(world.info.host, world.device_key), "1", message_id="s-4"),
    ]
    assert [r.status_code for r in responses] == [201, 400, 200, 200, 200, 400, 403]
    for response in responses:
        assert_matches_schema(spec, response)
