"""E-mail notifications through Django's SMTP backend to a real SMTP server (aiosmtpd)."""

import logging

import pytest
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent
from tenants.notify.models import Notification, NotificationStatus
from tenants.notify.services import notification_deliver, notify_send
from tests.notify.conftest import free_port
from themes.services import theme_update

ADDRESS = "zhang.min@example.cn"


def _send(**overrides) -> Notification:
    fields = {
        "actor": Actor.system("case officer"),
        "channel": "email",
        "to": ADDRESS,
        "subject": "您的差评已处理 (案件 123)",
        "body": "您好：您反映的问题已整改完毕。\n查看进度：https://alpha.localhost/s/abc",
        "reference": "case:123",
    }
    return notify_send(**{**fields, **overrides})


def test_mail_arrives_with_subject_body_and_the_tenants_name_as_sender(
    alpha, smtp, django_capture_on_commit_callbacks
):
    theme_update(actor=Actor.system("t"), tenant=alpha.tenant, display_name="甲省政务服务网")
    with schema_context(alpha.schema):
        # queued: delivery is handed to the worker only after commit
        with django_capture_on_commit_callbacks() as callbacks:
            notification = _send()
        assert notification.status == NotificationStatus.QUEUED and len(callbacks) == 1
        assert smtp.messages == []
        # when the worker delivers it
        delivery = notification_deliver(notification_id=notification.pk)
        assert not delivery.retry
        notification.refresh_from_db()
    # then the server received exactly this mail
    [(recipients, message)] = smtp.messages
    assert recipients == [ADDRESS]
    assert message["Subject"] == "您的差评已处理 (案件 123)"
    # the text, framed by the tenant's theme: its name above, the signature with its name below
    text = message.get_content().replace("\r\n", "\n").strip()
    assert text.startswith(
        "【甲省政务服务网】\n\n您好：您反映的问题已整改完毕。\n查看进度：https://alpha.localhost/s/abc\n"
    )
    assert text.split("\n-- \n")[1].splitlines()[0] == "甲省政务服务网"
    sender = message["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == ("甲省政务服务网", "noreply@haochaping.example")
    assert message["Auto-Submitted"] == "auto-generated"
    # and the row says so
    assert notification.status == NotificationStatus.SENT and notification.attempts == 1
    assert notification.provider_id == message["Message-ID"] and notification.sent_at is not None


def test_a_sent_notification_is_not_sent_again(alpha, smtp):
    with schema_context(alpha.schema):
        notification = _send()
        notification_deliver(notification_id=notification.pk)
        notification_deliver(notification_id=notification.pk)  # a redelivered task
        notification.refresh_from_db()
        assert notification.attempts == 1
        assert list(
            AuditEvent.objects.filter(target_type="Notification", target_id=str(notification.pk))
            .order_by("id")
            .values_list("action", flat=True)
        ) == [
            "notify.queue",
            "notify.sent",
        ]
    assert len(smtp.messages) == 1


def test_without_a_theme_the_sender_is_the_tenants_name(beta, smtp):
    with schema_context(beta.schema):
        notification_deliver(notification_id=_send().pk)
    assert smtp.messages[0][1]["From"].addresses[0].display_name == beta.tenant.name


def test_a_server_that_is_down_fails_and_a_retry_sends(alpha, smtp, settings):
    settings.EMAIL_PORT = free_port()  # nothing listens there
    with schema_context(alpha.schema):
        notification = _send()
        delivery = notification_deliver(notification_id=notification.pk)
        assert delivery.retry
        notification.refresh_from_db()
        assert notification.status == NotificationStatus.FAILED and notification.attempts == 1
        assert "ConnectionRefusedError" in notification.last_error
        settings.EMAIL_PORT = smtp.port
        assert not notification_deliver(notification_id=notification.pk).retry
        notification.refresh_from_db()
        assert (notification.status, notification.attempts, notification.last_error) == (
            NotificationStatus.SENT,
            2,
            "",
        )
    assert len(smtp.messages) == 1


def test_a_refused_address_is_final_and_not_written_in_the_clear(alpha, smtp, caplog):
    smtp.refuse.add(ADDRESS)
    with caplog.at_level(logging.DEBUG), schema_context(alpha.schema):
        notification = _send()
        delivery = notification_deliver(notification_id=notification.pk)
        notification.refresh_from_db()
    assert not delivery.retry  # a later attempt would be refused the same way
    assert notification.status == NotificationStatus.FAILED
    assert "SMTPRecipientsRefused" in notification.last_error and "550" in notification.last_error
    # the server quoted the address back: it is masked in the row and in the log
    assert ADDRESS not in notification.last_error and "z********@example.cn" in notification.last_error
    ours = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith("mail.log")
    )  # not the server's
    assert ADDRESS not in ours and "z********@example.cn" in ours
    assert smtp.messages == []


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"to": "not-an-address"}, "to"),
        ({"channel": "pigeon"}, "channel"),
        ({"subject": "  "}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"body": ""}, "body"),
        ({"reference": "r" * 101}, "reference"),
    ],
)
def test_invalid_messages_are_refused(alpha, fields, error):
    from django.core.exceptions import ValidationError

    with schema_context(alpha.schema):
        with pytest.raises(ValidationError) as caught:
            _send(**fields)
        assert error in caught.value.message_dict
        assert not Notification.objects.exists()


def test_subject_is_kept_on_one_line(alpha, smtp):
    with schema_context(alpha.schema):
        notification = _send(subject="第一行\r\nBcc: someone@example.com")
        notification_deliver(notification_id=notification.pk)
    assert notification.subject == "第一行 Bcc: someone@example.com"
    [(recipients, message)] = smtp.messages
    assert recipients == [ADDRESS] and message["Bcc"] is None
