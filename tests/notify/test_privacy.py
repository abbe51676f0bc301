"""The address of a notification is personal data: never in the clear in the database, the audit trail, the
logs or the task message."""

import json
import logging

from django.db import connection
from django.utils import translation
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent
from tenants.notify.models import Notification
from tenants.notify.services import notification_deliver, notify_send, recipient_hash
from tenants.privacy.crypto import decrypt

PHONE, EMAIL = "13912345678", "li.hua@example.cn"


def test_addresses_are_encrypted_masked_and_hashed_never_plain(alpha, smtp, settings, caplog):
    settings.SMS_PROVIDER = "console"
    with caplog.at_level(logging.DEBUG), schema_context(alpha.schema):
        sms = notify_send(
            actor=Actor.system("t"), channel="sms", to=PHONE, subject="s", body="b", reference="case:1"
        )
        mail = notify_send(
            actor=Actor.system("t"), channel="email", to=EMAIL, subject="s", body="b", reference="case:1"
        )
        for notification in (sms, mail):
            notification_deliver(notification_id=notification.pk)
        # every column of every row, as the database holds it
        with connection.cursor() as cursor:
            cursor.execute("SELECT row_to_json(n)::text FROM notify_notification n")
            stored = "\n".join(row[0] for row in cursor.fetchall())
        audit = json.dumps(
            list(AuditEvent.objects.filter(target_type="Notification").values("data", "reason")),
            ensure_ascii=False,
        )
        rows = {n.channel: n for n in Notification.objects.all()}
    assert PHONE not in stored and EMAIL not in stored
    assert PHONE not in audit and EMAIL not in audit
    ours = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith("mail.log")
    )  # not the server's
    assert PHONE not in ours and EMAIL not in ours
    assert (rows["sms"].recipient_masked, rows["email"].recipient_masked) == (
        "139****5678",
        "l*****@example.cn",
    )
    assert decrypt(rows["sms"].recipient) == PHONE and decrypt(rows["email"].recipient) == EMAIL
    assert rows["sms"].recipient_hash == recipient_hash(channel="sms", to=PHONE)
    assert rows["email"].recipient_hash == recipient_hash(channel="email", to="LI.HUA@example.cn")


def test_the_task_message_carries_the_id_only(alpha, django_capture_on_commit_callbacks, monkeypatch):
    from tenants.notify import tasks

    sent = []
    monkeypatch.setattr(
        tasks.deliver_notification, "delay", lambda *args, **kwargs: sent.append((args, kwargs))
    )
    with schema_context(alpha.schema), django_capture_on_commit_callbacks(execute=True):
        notification = notify_send(
            actor=Actor.system("t"), channel="sms", to=PHONE, subject="s", body="b", reference="case:1"
        )
    assert sent == [((notification.pk,), {})]


def test_a_broker_that_is_down_leaves_the_notification_failed_and_retryable(
    alpha, django_capture_on_commit_callbacks, monkeypatch
):
    from tenants.notify import tasks

    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.deliver_notification, "delay", down)
    with translation.override("en"), schema_context(alpha.schema):
        with django_capture_on_commit_callbacks(execute=True):
            notification = notify_send(
                actor=Actor.system("t"), channel="sms", to=PHONE, subject="s", body="b", reference="case:1"
            )
        notification.refresh_from_db()
    assert notification.status == "failed" and "queue" in notification.last_error
