"""Feedback to the evaluator: delivered by SMS (a real HTTP gateway) and e-mail (a real SMTP server) with a
signed link to the status page; the page (no sign-in) shows progress without staff names, a receipt that
matches the hash chain and a verification that detects tampering; the evaluator's opinion is recorded once
from the page and from an SMS reply; bad, expired and foreign-tenant links are refused."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.models import User
from tenants.accounts.roles import Role
from tenants.assisted.models import SmsInbound
from tenants.assisted.services.social import SocialCommentInput, social_comment_record
from tenants.cases.models import Case, CaseEvent, CaseState
from tenants.cases.services import (
    case_assign,
    case_close,
    case_contact,
    case_open_from_complaint,
    case_resolve,
    case_verify,
)
from tenants.cases.services.feedback import (
    FEEDBACK_REFERENCE,
    case_feedback_deliver,
    case_opinion_from_status_page,
    case_status_link,
    parse_opinion_reply,
    status_token_check,
)
from tenants.notify.models import Notification
from tenants.notify.services import notification_deliver
from tests.cases.conftest import EVALUATOR, SYSTEM, bad_case, past
from tests.conftest import host_client, make_key
from tests.notify import conftest as notify_fixtures

# The notification tests' real SMTP server (aiosmtpd), as fixtures of this module (the HTTP SMS gateway is in
# tests/conftest.py).
smtp_server, smtp = notify_fixtures.smtp_server, notify_fixtures.smtp

PHONE = EVALUATOR["phone"]
OFFICER_NAME = "王建国"
STAFF_NAME = "张敏"  # the world's window staff member
INTERNAL_NOTE = "内部记录：由王建国当场补办，窗口张敏已批评教育"
FEEDBACK = "您反映的申报材料问题已当场补办，窗口已按办事指南一次性告知。"
LINK = re.compile(r"https?://[^\s/]+(/s/[^/\s]+/)")
S = CaseState


def _named_officer(world, people) -> User:
    with schema_context(world.info.schema):
        User.objects.filter(pk=people.officer.pk).update(display_name=OFFICER_NAME)
    return people.officer


def _resolved(world, people, *, number="T-FB-1", realname=True, outcome="fixed") -> Case:
    """A bad rating driven to resolved by the officer (callback reached when real-name)."""
    officer = _named_officer(world, people).actor
    case = bad_case(world, number, realname=realname)
    with schema_context(world.info.schema):
        case = case_assign(actor=officer, case=case)
        if realname:
            case = case_contact(
                actor=officer, case=case, at=past(minutes=1), method="phone", reached=True, summary="已联系"
            )
            case = case_verify(actor=officer, case=case, verification="reasonable")
        else:
            case = case_verify(actor=officer, case=case, verification="reasonable", note="现场核实")
        return case_resolve(actor=officer, case=case, outcome=outcome, note=INTERNAL_NOTE)


def _delivered(world, people, **kwargs):
    case = _resolved(world, people, **kwargs)
    with schema_context(world.info.schema):
        return case_feedback_deliver(actor=people.officer.actor, case=case, text=FEEDBACK)


def _path(link: str) -> str:
    match = LINK.search(link)
    assert match, link
    return match.group(1)


def _client(world, **extra) -> Client:
    return host_client(world.info.host, HTTP_ACCEPT_LANGUAGE="en", **extra)


def _page(world, path: str, client: Client | None = None):
    return (client or _client(world)).get(path)


def _post(world, path: str, data: dict, client: Client | None = None):
    return (client or _client(world)).post(path, data)


# --- delivery -------------------------------------------------------------------------------------------------
def test_feedback_goes_by_sms_through_the_gateway_with_the_signed_link(world, people, http_sms):
    delivery = _delivered(world, people)
    assert delivery.case.state == S.FEEDBACK_SENT and delivery.channels == ["sms"]
    [notification] = delivery.notifications
    with schema_context(world.info.schema):
        assert notification.reference == f"{FEEDBACK_REFERENCE}{delivery.case.pk}"
        assert notification.recipient_masked == "138****8000" and PHONE not in notification.body
        notification_deliver(notification_id=notification.pk)
        notification.refresh_from_db()
        kinds = list(delivery.case.events.values_list("kind", flat=True))
    assert notification.status == "sent"
    [request] = http_sms.requests
    text = request["json"]["text"]
    assert request["json"]["phone"] == PHONE and len(text) <= 500
    assert delivery.case.number in text and FEEDBACK in text and "Reply 1" in text
    assert OFFICER_NAME not in text and STAFF_NAME not in text and people.officer.email not in text
    assert INTERNAL_NOTE not in text
    # the link in the SMS opens the status page of this case, without signing in
    path = _path(text)
    assert _path(delivery.status_link) == path or LINK.search(delivery.status_link)
    assert text.count("http://alpha.localhost:") == 1
    response = _page(world, path)
    assert response.status_code == 200 and delivery.case.number in response.content.decode()
    # the delivery is part of the hash-chained history (channels and notification ids, no address)
    assert kinds[-2:] == ["feedback_sent", "feedback_delivery"]
    with schema_context(world.info.schema):
        event = CaseEvent.objects.get(case=delivery.case, kind="feedback_delivery")
    assert event.data == {"channels": ["sms"], "notifications": [notification.pk], "not_sent": ""}
    assert PHONE not in str(event.data)


def test_a_long_feedback_is_shortened_to_fit_one_sms(world, people, http_sms):
    case = _resolved(world, people)
    with schema_context(world.info.schema):
        delivery = case_feedback_deliver(actor=people.officer.actor, case=case, text="整改说明。" * 300)
        [notification] = delivery.notifications
        assert len(notification.body) <= 500 and "…" in notification.body
        assert _path(notification.body)  # the link survives the shortening
        assert delivery.case.feedback_text == "整改说明。" * 300  # the record keeps the whole text


def test_feedback_for_a_complaint_goes_by_email_to_a_real_smtp_server(world, people, smtp):
    officer = _named_officer(world, people).actor
    with schema_context(world.info.schema):
        comment, _created = social_comment_record(
            actor=SYSTEM,
            data=SocialCommentInput(
                source_kind="email",
                text="窗口要求提供指南之外的材料",
                contact="赵女士 <zhao.li@example.cn>",
                unit_code=world.department.code,
            ),
        )
        case = case_open_from_complaint(
            actor=SYSTEM, unit=world.department, summary=comment.text, source_ref=f"social:{comment.pk}"
        )
        case = case_assign(actor=officer, case=case)
        case = case_verify(actor=officer, case=case, verification="needs_explanation", note="调阅材料清单")
        case = case_resolve(actor=officer, case=case, outcome="explained", note=INTERNAL_NOTE)
        delivery = case_feedback_deliver(actor=officer, case=case, text=FEEDBACK)
        [notification] = delivery.notifications
        assert notification.channel == "email" and notification.recipient_masked == "z******@example.cn"
        notification_deliver(notification_id=notification.pk)
    [(recipients, message)] = smtp.messages
    assert recipients == ["zhao.li@example.cn"]
    assert case.number in message["Subject"]
    body = message.get_content()
    assert FEEDBACK in body and "explains" in body
    assert OFFICER_NAME not in body and STAFF_NAME not in body and INTERNAL_NOTE not in body
    assert _client(world).get(_path(body)).status_code == 200


def test_an_anonymous_rating_records_the_feedback_and_keeps_a_link_for_staff(world, people):
    case = _resolved(world, people, realname=False)
    with schema_context(world.info.schema):
        delivery = case_feedback_deliver(actor=people.officer.actor, case=case, text=FEEDBACK)
        assert delivery.notifications == [] and delivery.not_sent_reason == "anonymous"
        assert delivery.case.state == S.FEEDBACK_SENT and delivery.case.feedback_text == FEEDBACK
        assert not Notification.objects.filter(reference=f"{FEEDBACK_REFERENCE}{case.pk}").exists()
        event = CaseEvent.objects.get(case=case, kind="feedback_delivery")
        assert event.data["not_sent"] == "anonymous"
        handover = case_status_link(case=case, base_url="https://hall.example.cn/")
    assert handover.startswith("https://hall.example.cn/s/")
    assert _page(world, _path(delivery.status_link)).status_code == 200


def test_delivery_is_refused_with_the_core_transition(world, people, http_sms):
    case = bad_case(world, "T-FB-EARLY", realname=True)
    with schema_context(world.info.schema), pytest.raises(ValidationError):
        case_feedback_deliver(actor=people.officer.actor, case=case, text=FEEDBACK)
    with schema_context(world.info.schema):
        assert not Notification.objects.exists()
    assert http_sms.requests == []


# --- the status page ----------------------------------------------------------------------------------------
def test_the_status_page_shows_progress_and_outcome_without_staff_names(world, people):
    delivery = _delivered(world, people)
    response = _page(world, _path(delivery.status_link))
    assert response.status_code == 200
    html = response.content.decode()
    assert delivery.case.number in html and world.item.name in html
    for step in ("Received", "Called back", "Verified", "Put right", "Result sent to you", "Closed"):
        assert step in html
    assert html.count('class="step step-done"') == 5 and 'aria-current="step"' in html  # closing is next
    assert FEEDBACK in html and "put right" in html
    for secret in (OFFICER_NAME, people.officer.email, STAFF_NAME, INTERNAL_NOTE, "已联系", PHONE, "李小明"):
        assert secret not in html
    assert response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]
    assert '<meta name="robots" content="noindex">' in html


def test_before_the_feedback_the_page_shows_progress_and_no_opinion_form(world, people):
    case = _resolved(world, people)
    with schema_context(world.info.schema):
        path = _path(case_status_link(case=case))
    response = _page(world, path)
    html = response.content.decode()
    assert response.status_code == 200 and 'name="opinion"' not in html
    assert html.count('class="step step-done"') == 4 and FEEDBACK not in html and INTERNAL_NOTE not in html
    refused = _post(world, path, {"opinion": "satisfied"})
    assert refused.status_code == 409 and "has not been sent yet" in refused.content.decode()
    with schema_context(world.info.schema):
        assert Case.objects.get(pk=case.pk).evaluator_opinion == ""


def test_the_receipt_is_the_case_number_and_the_head_hash(world, people):
    delivery = _delivered(world, people)
    html = _page(world, _path(delivery.status_link)).content.decode()
    with schema_context(world.info.schema):
        case = Case.objects.get(pk=delivery.case.pk)
    [shown] = re.findall(r"data-head-hash>([0-9a-f]{64})<", html)
    assert shown == case.head_hash and len(case.head_hash) == 64
    assert f"<dd>{case.last_seq} · " in html


def test_verify_says_intact_then_broken_after_tampering_in_the_database(world, people):
    delivery = _delivered(world, people)
    verify = _path(delivery.status_link) + "verify"
    with schema_context(world.info.schema):
        head = Case.objects.get(pk=delivery.case.pk).head_hash
    intact = _client(world).get(verify, {"format": "json", "receipt": head}).json()
    assert (intact["intact"], intact["receipt_found"], intact["head_hash"]) == (True, True, head)
    assert intact["events"] == intact["receipt_event"]
    page = _client(world).get(verify, {"receipt": head}).content.decode()
    assert 'data-intact="yes"' in page and 'data-receipt="found"' in page
    with schema_context(world.info.schema), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE cases_caseevent DISABLE TRIGGER cases_event_append_only")
        cursor.execute(
            "UPDATE cases_caseevent SET note = 'nothing happened' WHERE case_id = %s AND seq = 2",
            [delivery.case.pk],
        )
        cursor.execute("ALTER TABLE cases_caseevent ENABLE TRIGGER cases_event_append_only")
    broken = _client(world).get(verify, {"format": "json"}).json()
    assert (broken["intact"], broken["first_bad_event"]) == (False, 2)
    page = _client(world).get(verify).content.decode()
    assert 'data-intact="no"' in page and "does not verify" in page
    # a receipt that was never part of the record is reported as such
    foreign = _client(world).get(verify, {"format": "json", "receipt": "ab" * 32}).json()
    assert foreign["receipt_found"] is False


# --- refused links --------------------------------------------------------------------------------------------
def test_a_tampered_token_gets_the_same_friendly_404(world, people):
    delivery = _delivered(world, people)
    path = _path(delivery.status_link)
    token = path.split("/")[2]
    swapped = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (swapped, "garbage", "x" * 400, token.replace(":", "", 1)):
        response = _page(world, f"/s/{bad}/")
        assert response.status_code == 404, bad
        html = response.content.decode()
        assert "This link is not valid" in html and delivery.case.number not in html
        assert _page(world, f"/s/{bad}/verify").status_code == 404


def test_a_token_for_another_case_id_cannot_be_forged(world, people):
    delivery = _delivered(world, people)
    token = _path(delivery.status_link).split("/")[2]
    payload, rest = token.split(":", 1)
    forged = payload[:-2] + "zz:" + rest
    assert _page(world, f"/s/{forged}/").status_code == 404


def test_an_expired_token_is_refused_without_naming_the_case(world, people, settings):
    settings.CASES_STATUS_LINK_DAYS = 90
    delivery = _delivered(world, people)
    path = _path(delivery.status_link)
    with time_machine.travel(timezone.now() + timedelta(days=89), tick=False):
        assert _page(world, path).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=91), tick=False):
        response = _page(world, path)
        assert _page(world, path + "verify").status_code == 410
    assert response.status_code == 410
    html = response.content.decode()
    assert "expired" in html and delivery.case.number not in html


def test_a_token_of_alpha_is_refused_on_betas_host(world, people, beta):
    delivery = _delivered(world, people)
    path = _path(delivery.status_link)
    response = host_client(beta.host, HTTP_ACCEPT_LANGUAGE="en").get(path)
    assert response.status_code == 404 and delivery.case.number not in response.content.decode()
    assert host_client(beta.host).post(path, {"opinion": "satisfied"}).status_code == 404
    # and the check itself, in beta's schema, says invalid
    token = path.split("/")[2]
    with schema_context(beta.schema):
        assert status_token_check(token).status == "invalid"
    with schema_context(world.info.schema):
        assert status_token_check(token).case_id == delivery.case.pk
        assert Case.objects.get(pk=delivery.case.pk).evaluator_opinion == ""


def test_a_token_names_no_case_of_another_kind(world, people):
    """A signed value of another purpose (a QR token) is not a status token."""
    from tenants.channels.tokens import transaction_token

    with schema_context(world.info.schema):
        qr = transaction_token("T-FB-1")
        assert status_token_check(qr).status == "invalid"
    assert _page(world, f"/s/{qr}/").status_code == 404


# --- the opinion on the page -----------------------------------------------------------------------------------
def test_the_opinion_is_recorded_once_from_the_page_behind_csrf(world, people):
    delivery = _delivered(world, people)
    path = _path(delivery.status_link)
    client = _client(world, enforce_csrf_checks=True)
    page = client.get(path)
    assert 'name="opinion"' in page.content.decode()
    assert client.post(path, {"opinion": "satisfied"}).status_code == 403  # no CSRF token
    csrf = client.cookies["csrftoken"].value
    answered = client.post(path, {"opinion": "satisfied", "comment": "办得很快", "csrfmiddlewaretoken": csrf})
    assert answered.status_code == 200 and "is recorded" in answered.content.decode()
    again = client.post(path, {"opinion": "satisfied", "csrfmiddlewaretoken": csrf})
    assert "already recorded" in again.content.decode()
    with schema_context(world.info.schema):
        case = Case.objects.get(pk=delivery.case.pk)
        opinions = list(CaseEvent.objects.filter(case=case, kind="opinion").values_list("note", "data"))
    assert (case.evaluator_opinion, case.opinion_source) == ("satisfied", "status_page")
    assert len(opinions) == 1 and opinions[0][0] == "办得很快"
    assert opinions[0][1]["source"] == "status_page"


def test_a_different_answer_replaces_the_first_as_the_core_rules(world, people):
    delivery = _delivered(world, people)
    path = _path(delivery.status_link)
    _post(world, path, {"opinion": "satisfied"})
    changed = _post(world, path, {"opinion": "unsatisfied", "comment": "问题仍在"})
    assert changed.status_code == 200
    with schema_context(world.info.schema):
        case = Case.objects.get(pk=delivery.case.pk)
        events = list(CaseEvent.objects.filter(case=case, kind="opinion").order_by("seq"))
    assert case.evaluator_opinion == "unsatisfied"
    assert [e.data["opinion"] for e in events] == ["satisfied", "unsatisfied"]
    assert events[1].data["previous"] == "satisfied"


def test_an_invalid_answer_is_refused_on_the_form(world, people):
    delivery = _delivered(world, people)
    path = _path(delivery.status_link)
    assert _post(world, path, {"opinion": "meh"}).status_code == 400
    assert _post(world, path, {"opinion": "satisfied", "comment": "长" * 501}).status_code == 400
    with schema_context(world.info.schema):
        assert Case.objects.get(pk=delivery.case.pk).evaluator_opinion == ""


def test_answers_are_rate_limited_per_token(world, people, settings):
    settings.CASES_STATUS_RATE = (2, 600)
    delivery = _delivered(world, people)
    path = _path(delivery.status_link)
    assert _post(world, path, {"opinion": "satisfied"}).status_code == 200
    assert _post(world, path, {"opinion": "satisfied"}).status_code == 200
    assert _post(world, path, {"opinion": "unsatisfied"}).status_code == 429
    assert _page(world, path).status_code == 200  # reading stays open
    with schema_context(world.info.schema):
        assert Case.objects.get(pk=delivery.case.pk).evaluator_opinion == "satisfied"
    assert _client(world).get(path + "verify").status_code == 429  # verifying spends the same budget


def test_the_page_keeps_working_after_the_case_is_closed(world, people):
    delivery = _delivered(world, people)
    path = _path(delivery.status_link)
    _post(world, path, {"opinion": "satisfied"})
    with schema_context(world.info.schema):
        case_close(actor=people.officer.actor, case=delivery.case, note="评价人满意")
    html = _page(world, path).content.decode()
    assert html.count('class="step step-done"') == 6 and "“Satisfied”" in html


def test_the_service_refuses_an_opinion_before_feedback(world, people):
    case = _resolved(world, people)
    with schema_context(world.info.schema), pytest.raises(ValidationError):
        case_opinion_from_status_page(case=case, opinion="satisfied")


# --- the opinion by SMS reply --------------------------------------------------------------------------------
@pytest.fixture
def sms_gateway(world):
    return host_client(
        world.info.host,
        HTTP_AUTHORIZATION=f"Api-Key {make_key(world.info.schema, Role.INTEGRATION, 'sms gateway')}",
        HTTP_ACCEPT_LANGUAGE="en",
    )


def _inbound(client, text: str, message_id: str, phone: str = PHONE):
    response = client.post(
        "/api/v1/sms/inbound",
        {"message_id": message_id, "phone": phone, "text": text},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize(
    ("text", "opinion"),
    [("1", "satisfied"), ("满意", "satisfied"), ("2", "unsatisfied"), ("不满意", "unsatisfied")],
)
def test_an_sms_reply_records_the_opinion_once(
    world, people, http_sms, sms_gateway, django_capture_on_commit_callbacks, text, opinion
):
    delivery = _delivered(world, people)
    with django_capture_on_commit_callbacks(execute=True):
        body = _inbound(sms_gateway, text, "gw-op-1")
    assert body["outcome"] == "case_opinion" and body["reply_sent"] is True
    assert delivery.case.number in body["reply"] and "is recorded" in body["reply"]
    again = _inbound(sms_gateway, text, "gw-op-2")
    assert again["outcome"] == "case_opinion" and "already recorded" in again["reply"]
    replay = _inbound(sms_gateway, text, "gw-op-1")
    assert replay["duplicate"] is True
    with schema_context(world.info.schema):
        case = Case.objects.get(pk=delivery.case.pk)
        events = list(CaseEvent.objects.filter(case=case, kind="opinion"))
        assert SmsInbound.objects.filter(outcome="case_opinion").count() == 2
    assert (case.evaluator_opinion, case.opinion_source) == (opinion, "sms")
    assert len(events) == 1 and events[0].actor_label == "sms reply"
    assert PHONE not in events[0].note
    # the courtesy reply went to the evaluator through the gateway
    assert http_sms.requests[-1]["json"]["phone"] == PHONE
    assert http_sms.requests[-1]["json"]["text"] == body["reply"]


@pytest.mark.parametrize("text", ["好的", "12", "满意度一般", "3", "非常满意", ""])
def test_an_ambiguous_reply_does_nothing_to_the_case_and_is_stored_as_before(
    world, people, sms_gateway, text
):
    delivery = _delivered(world, people)
    body = _inbound(sms_gateway, text, f"gw-amb-{len(text)}-{text}"[:90])
    assert body["outcome"] != "case_opinion"
    with schema_context(world.info.schema):
        assert Case.objects.get(pk=delivery.case.pk).evaluator_opinion == ""
        assert SmsInbound.objects.count() == 1


def test_a_reply_from_another_phone_does_not_answer_the_case(world, people, sms_gateway):
    delivery = _delivered(world, people)
    body = _inbound(sms_gateway, "1", "gw-other", phone="13900139000")
    assert body["outcome"] == "unknown_phone"
    with schema_context(world.info.schema):
        assert Case.objects.get(pk=delivery.case.pk).evaluator_opinion == ""


def test_a_newer_rating_invitation_takes_the_reply(world, people, sms_gateway):
    """After the feedback SMS the same phone was invited to rate another transaction: "1" rates that."""
    from tenants.assisted.services.sms import sms_invitation_send
    from tenants.evaluations.services import TransactionInput, transaction_register

    delivery = _delivered(world, people)
    with schema_context(world.info.schema):
        transaction_register(
            actor=SYSTEM,
            data=TransactionInput(
                number="T-SMS-NEXT", item_code=world.item.code, unit_code=world.hall.code, channel="web"
            ),
        )
        sms_invitation_send(
            actor=SYSTEM,
            transaction_number="T-SMS-NEXT",
            phone=PHONE,
            sender="甲省",
            now=timezone.now() + timedelta(seconds=1),
        )
    body = _inbound(sms_gateway, "1", "gw-rate")
    assert body["outcome"] == "accepted" and body["transaction"] == "T-SMS-NEXT"
    with schema_context(world.info.schema):
        assert Case.objects.get(pk=delivery.case.pk).evaluator_opinion == ""


def test_a_reply_after_the_case_was_reopened_does_not_answer_it(world, people, sms_gateway):
    from tenants.cases.services import case_reopen

    delivery = _delivered(world, people)
    with schema_context(world.info.schema):
        case_reopen(actor=people.supervisor.actor, case=delivery.case, note="督办重办")
    body = _inbound(sms_gateway, "1", "gw-late")
    assert body["outcome"] != "case_opinion"


def test_a_closed_case_still_takes_the_sms_answer_and_unsatisfied_offers_a_reopen(world, people, sms_gateway):
    delivery = _delivered(world, people)
    with schema_context(world.info.schema):
        case_close(actor=people.officer.actor, case=delivery.case, note="已回访")
    body = _inbound(sms_gateway, "不满意，材料还是要交两次", "gw-closed")
    assert body["outcome"] == "case_opinion"
    with schema_context(world.info.schema):
        case = Case.objects.get(pk=delivery.case.pk)
        event = CaseEvent.objects.get(case=case, kind="opinion")
    assert (case.state, case.evaluator_opinion) == (S.CLOSED, "unsatisfied")
    assert event.data["reopen_offered"] is True and event.note.startswith("材料还是要交两次")


def test_only_the_newest_feedback_takes_the_answer(world, people, http_sms, sms_gateway):
    """Two cases of the same phone: the newer one was reopened, so "1" answers neither (not the older)."""
    from tenants.cases.services import case_reopen

    older = _delivered(world, people, number="T-FB-OLD")
    newer = _delivered(world, people, number="T-FB-NEW")
    with schema_context(world.info.schema):
        case_reopen(actor=people.supervisor.actor, case=newer.case, note="督办重办")
    assert _inbound(sms_gateway, "1", "gw-newest")["outcome"] != "case_opinion"
    with schema_context(world.info.schema):
        assert Case.objects.get(pk=older.case.pk).evaluator_opinion == ""


def test_a_feedback_older_than_the_link_takes_no_answer(world, people, sms_gateway, settings):
    settings.CASES_STATUS_LINK_DAYS = 30
    delivery = _delivered(world, people)
    with time_machine.travel(timezone.now() + timedelta(days=31), tick=False):
        assert _inbound(sms_gateway, "1", "gw-old")["outcome"] != "case_opinion"
    with schema_context(world.info.schema):
        assert Case.objects.get(pk=delivery.case.pk).evaluator_opinion == ""


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("1", ("satisfied", "")),
        ("１", ("satisfied", "")),
        ("回复1", ("satisfied", "")),
        ("回复：2", ("unsatisfied", "")),
        ("满意！", ("satisfied", "")),
        ("不满意，材料还是要交两次", ("unsatisfied", "材料还是要交两次")),
        ("2 还没解决", ("unsatisfied", "还没解决")),
        ("12", None),
        ("非常满意", None),
        ("满意度", None),
        ("4 2", None),
        ("", None),
    ],
)
def test_parse_opinion_reply(text, parsed):
    assert parse_opinion_reply(text) == parsed
