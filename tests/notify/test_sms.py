"""SMS notifications through the provider seam: a real HTTP gateway, and the console adapter."""

import logging

from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.notify.models import NotificationStatus
from tenants.notify.services import notification_deliver, notify_send

PHONE = "13800138000"


def _send(to: str = "+86 138-0013-8000"):
    return notify_send(
        actor=Actor.system("case officer"),
        channel="sms",
        to=to,
        subject="整改反馈",
        body="【甲省政务服务】您的差评(案件123)已整改，回复1满意、2不满意。",
        reference="case:123",
    )


def test_gateway_receives_json_with_the_bearer_token_and_a_stable_reference(alpha, http_sms):
    with schema_context(alpha.schema):
        notification = _send()
        notification_deliver(notification_id=notification.pk)
        notification.refresh_from_db()
    [request] = http_sms.requests
    assert request["path"] == "/sms/send"
    assert request["headers"]["Authorization"] == "Bearer gw-s3cret"
    assert request["headers"]["Content-Type"].startswith("application/json")
    assert request["json"] == {
        "phone": PHONE,
        "text": "【甲省政务服务】您的差评(案件123)已整改，回复1满意、2不满意。",
        "reference": f"notify-{notification.pk}",
    }
    assert (notification.status, notification.provider_id, notification.attempts) == (
        NotificationStatus.SENT,
        "gw-1",
        1,
    )


def test_a_500_from_the_gateway_fails_then_the_retry_sends_once(alpha, http_sms):
    http_sms.statuses = [500]
    with schema_context(alpha.schema):
        notification = _send()
        first = notification_deliver(notification_id=notification.pk)
        notification.refresh_from_db()
        assert first.retry
        assert (
            notification.status == NotificationStatus.FAILED
            and "gateway answered 500" in notification.last_error
        )
        second = notification_deliver(notification_id=notification.pk)
        third = notification_deliver(
            notification_id=notification.pk
        )  # a duplicate task: nothing more is sent
        notification.refresh_from_db()
    assert not second.retry and not third.retry
    assert (notification.status, notification.attempts, notification.provider_id) == (
        NotificationStatus.SENT,
        2,
        "gw-2",
    )
    # both attempts carried the same reference, so a gateway can drop a duplicate
    assert [r["json"]["reference"] for r in http_sms.requests] == [f"notify-{notification.pk}"] * 2


def test_an_unreachable_gateway_is_retried(alpha, settings):
    settings.SMS_PROVIDER = "http"
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/sms"  # discard port: nothing answers
    settings.SMS_GATEWAY_TIMEOUT = 2
    with schema_context(alpha.schema):
        notification = _send()
        assert notification_deliver(notification_id=notification.pk).retry
        notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED and "unreachable" in notification.last_error


def test_console_adapter_for_development_logs_the_number_masked(alpha, settings, caplog):
    settings.SMS_PROVIDER = "console"
    with caplog.at_level(logging.INFO), schema_context(alpha.schema):
        notification = _send()
        notification_deliver(notification_id=notification.pk)
        notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT and notification.provider_id.startswith("console-")
    assert "138****8000" in caplog.text and PHONE not in caplog.text


def test_a_misconfigured_provider_is_final(alpha, settings):
    settings.SMS_PROVIDER = "pigeon"
    with schema_context(alpha.schema):
        notification = _send()
        delivery = notification_deliver(notification_id=notification.pk)
        notification.refresh_from_db()
    assert not delivery.retry and notification.status == NotificationStatus.FAILED
    assert "ImproperlyConfigured" in notification.last_error
