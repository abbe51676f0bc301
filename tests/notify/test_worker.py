"""The Celery path on a REAL worker: queued after commit in the tenant's schema, a gateway 500 retried with
backoff until sent, and an e-mail delivered to the SMTP server under the tenant's name."""

import time

import pytest
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent
from tenants.notify.models import Notification, NotificationStatus
from tenants.notify.services import notify_send
from tests.conftest import committed, running_celery_worker


@pytest.mark.django_db(transaction=False)
def test_worker_retries_a_refused_sms_and_delivers_mail(tenant_pair, subprocess_env, gateway, smtp_server):
    gateway.statuses = [500]  # the first attempt is refused
    env = {
        **subprocess_env,
        "SMS_PROVIDER": "http",
        "SMS_GATEWAY_URL": gateway.url,
        "SMS_GATEWAY_TOKEN": "worker-token",
        "NOTIFY_RETRY_BASE_SECONDS": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_server.port),
        "DEFAULT_FROM_EMAIL": "noreply@haochaping.example",
    }

    def send() -> tuple[int, int]:
        with schema_context("alpha"):
            actor = Actor.system("worker test")
            sms = notify_send(
                actor=actor,
                channel="sms",
                to="13800138000",
                subject="整改反馈",
                body="已整改",
                reference="case:w",
            )
            mail = notify_send(
                actor=actor,
                channel="email",
                to="w@example.cn",
                subject="整改反馈",
                body="已整改",
                reference="case:w",
            )
            return sms.pk, mail.pk

    def states() -> dict[int, tuple[str, int]]:
        with schema_context("alpha"):
            return {n.pk: (n.status, n.attempts) for n in Notification.objects.filter(reference="case:w")}

    def cleanup() -> None:
        with schema_context("alpha"):
            ids = [
                str(pk) for pk in Notification.objects.filter(reference="case:w").values_list("pk", flat=True)
            ]
            AuditEvent.objects.filter(target_type="Notification", target_id__in=ids).delete()
            Notification.objects.filter(reference="case:w").delete()

    try:
        with running_celery_worker(env):
            sms_id, mail_id = committed(send)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                seen = committed(states)
                if all(status == NotificationStatus.SENT for status, _n in seen.values()):
                    break
                time.sleep(0.2)
        # the SMS failed once (gateway 500), was retried by the worker and sent; the mail went at once
        assert seen == {sms_id: (NotificationStatus.SENT, 2), mail_id: (NotificationStatus.SENT, 1)}
        assert [r["json"]["reference"] for r in gateway.requests] == [f"notify-{sms_id}"] * 2
        assert {r["headers"]["Authorization"] for r in gateway.requests} == {"Bearer worker-token"}
        [(recipients, message)] = smtp_server.messages
        assert recipients == ["w@example.cn"] and message["Subject"] == "整改反馈"
        assert message["From"].addresses[0].display_name == tenant_pair["alpha"].tenant.name
        # in alpha's schema only
        with schema_context("beta"):
            assert not Notification.objects.exists()
    finally:
        committed(cleanup)
