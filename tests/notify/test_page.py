"""The staff page /notify/: masked recipients, status, retry of failed ones; each tenant sees its own."""

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent
from tenants.notify.models import Notification, NotificationStatus
from tenants.notify.services import notification_retry, notify_send
from tests.conftest import host_client
from tests.notify.conftest import signed_in

PHONE = "13800138000"


def _failed(info, subject="整改反馈") -> Notification:
    with schema_context(info.schema):
        notification = notify_send(
            actor=Actor.system("t"), channel="sms", to=PHONE, subject=subject, body="b", reference="case:7"
        )
        Notification.objects.filter(pk=notification.pk).update(
            status=NotificationStatus.FAILED, attempts=3, last_error="SmsSendError: gateway answered 500"
        )
    return notification


def test_page_lists_masked_recipients_and_retries_a_failed_one(alpha, django_capture_on_commit_callbacks):
    notification = _failed(alpha)
    client = signed_in(alpha, "supervisor")
    page = client.get("/notify/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "138****8000" in html and PHONE not in html
    assert "整改反馈" in html and "gateway answered 500" in html and "case:7" in html
    assert f"/notify/{notification.pk}/retry" in html
    with django_capture_on_commit_callbacks() as callbacks:
        assert client.post(f"/notify/{notification.pk}/retry").status_code == 302
    assert len(callbacks) == 1  # delivery queued after commit
    with schema_context(alpha.schema):
        notification.refresh_from_db()
        assert notification.status == NotificationStatus.QUEUED
        assert AuditEvent.objects.filter(action="notify.retry", target_id=str(notification.pk)).exists()
    # a queued one has no retry button and cannot be retried
    assert f"/notify/{notification.pk}/retry" not in client.get("/notify/").content.decode()
    client.post(f"/notify/{notification.pk}/retry")
    with schema_context(alpha.schema):
        assert AuditEvent.objects.filter(action="notify.retry").count() == 1


def test_filters(alpha):
    _failed(alpha, subject="失败的那条")
    with schema_context(alpha.schema):
        notify_send(
            actor=Actor.system("t"), channel="email", to="a@example.cn", subject="排队的那条", body="b"
        )
    client = signed_in(alpha, "tenant_admin")
    failed = client.get("/notify/?status=failed").content.decode()
    assert "失败的那条" in failed and "排队的那条" not in failed
    email = client.get("/notify/?channel=email").content.decode()
    assert "排队的那条" in email and "失败的那条" not in email
    assert "失败的那条" in client.get("/notify/?reference=case:7").content.decode()


def test_only_failed_notifications_can_be_retried(alpha):
    with schema_context(alpha.schema):
        notification = notify_send(actor=Actor.system("t"), channel="sms", to=PHONE, subject="s", body="b")
        with pytest.raises(ValidationError):
            notification_retry(actor=Actor.system("t"), notification=notification)


def test_another_tenant_neither_sees_nor_retries_it(alpha, beta):
    notification = _failed(alpha, subject="甲省的通知")
    client = signed_in(beta, "tenant_admin")
    html = client.get("/notify/").content.decode()
    assert "甲省的通知" not in html and "138****8000" not in html
    assert client.post(f"/notify/{notification.pk}/retry").status_code == 404
    with schema_context(alpha.schema):
        notification.refresh_from_db()
        assert notification.status == NotificationStatus.FAILED


def test_roles(alpha):
    notification = _failed(alpha)
    for role in ("officer", "window_staff"):
        client = signed_in(alpha, role)
        assert client.get("/notify/").status_code == 403, role
        assert client.post(f"/notify/{notification.pk}/retry").status_code == 403, role
    auditor = signed_in(alpha, "auditor")  # reads, does not act
    html = auditor.get("/notify/").content.decode()
    assert "138****8000" in html and f"/notify/{notification.pk}/retry" not in html
    assert auditor.post(f"/notify/{notification.pk}/retry").status_code == 403
    assert host_client(alpha.host).get("/notify/").status_code == 302
    with schema_context(alpha.schema):
        notification.refresh_from_db()
        assert notification.status == NotificationStatus.FAILED
