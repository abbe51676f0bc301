"""A background export end to end: the page queues it, a real Celery worker writes the file and e-mails the
link through a real SMTP server, the requester downloads it; nobody else can. Everything the worker must see
is committed, in a tenant of its own that is dropped afterwards."""

import csv
import io
import time
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.evaluations.models import Transaction
from tenants.evaluations.services import EvaluationInput, evaluations_submit
from tenants.insight.exports.models import ExportJob
from tenants.models import Tenant
from tenants.notify.models import Notification
from tenants.services import tenant_provision
from tests.conftest import TenantInfo, build_capture_world, committed, running_celery_worker
from tests.notify.conftest import Inbox, free_port
from tests.supervision.conftest import signed_in

SLUG = "exportsw"
PHONES = [f"1391234{i:04d}" for i in range(5)]


@pytest.fixture
def inbox():
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port
    yield box
    controller.stop()


def _setup() -> dict:
    result = tenant_provision(
        actor=Actor.system("t"),
        slug=SLUG,
        name="导出测试",
        kind="agency",
        region_code="110000",
        admin_email=f"a@{SLUG}.example",
    )
    info = TenantInfo(tenant=result.tenant, host=f"{SLUG}.localhost", admin_email=f"a@{SLUG}.example")
    world = build_capture_world(info)
    moment = timezone.now() - timedelta(days=1)
    with schema_context(SLUG):
        Transaction.objects.bulk_create(
            Transaction(
                number=f"W{i}",
                item=world.item,
                unit=world.hall,
                window=world.window,
                staff=world.staff,
                channel="device",
                status="finished",
                finished_at=moment,
            )
            for i in range(len(PHONES))
        )
        outcomes = evaluations_submit(
            actor=Actor.system("tests"),
            items=[
                EvaluationInput(
                    transaction=f"W{i}",
                    level=1,
                    channel="device",
                    evaluator={"name": "欧阳娜娜", "phone": phone},
                    rated_at=moment,
                )
                for i, phone in enumerate(PHONES)
            ],
        )
    assert all(o.status == "created" for o in outcomes)
    return {
        "info": info,
        "requester": signed_in(info, "supervisor"),
        "other": signed_in(info, "supervisor", "x"),
    }


def _teardown() -> None:
    Tenant.objects.filter(slug=SLUG).delete()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {SLUG} CASCADE")


def _job() -> ExportJob | None:
    with schema_context(SLUG):
        return ExportJob.objects.select_related("requested_by").first()


def _wait(predicate, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.3)
    raise AssertionError("timed out")


@pytest.mark.django_db(transaction=False)
def test_a_large_export_runs_on_the_worker_and_the_requester_gets_the_link(
    tenant_pair, subprocess_env, inbox, settings, tmp_path
):
    media = tmp_path / "media"
    settings.MEDIA_ROOT, settings.EXPORT_SYNC_MAX_ROWS, settings.LANGUAGE_CODE = str(media), 3, "en"
    env = {
        **subprocess_env,
        "MEDIA_ROOT": str(media),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(inbox.port),
        "EMAIL_USE_TLS": "false",
    }
    people = committed(_setup)
    requester, other = people["requester"], people["other"]
    try:
        with running_celery_worker(env):
            # when the requester asks for more rows than a direct download may have
            today = timezone.localdate()
            response = committed(
                lambda: requester.post(
                    "/insight/exports/",
                    {
                        "kind": "evaluations",
                        "file_format": "csv",
                        "from": (today - timedelta(days=7)).isoformat(),
                        "to": today.isoformat(),
                        "current_only": "on",
                    },
                    HTTP_ACCEPT_LANGUAGE="en",
                )
            )
            assert response.status_code == 302
            # then the worker writes the file and the e-mail goes out with the link
            job = _wait(lambda: (j := committed(_job)) and j.finished and j)
            assert job.status == "done", job.message
            assert job.row_count == len(PHONES) and job.total == len(PHONES) and job.progress == 100
            _wait(lambda: inbox.messages, 30)
        recipients, message = inbox.messages[0]
        assert recipients == [job.requested_by.email]
        text = message.get_body(("plain",)).get_content()
        link = f"http://{SLUG}.localhost/insight/exports/{job.pk}/download"
        assert link in text
        assert committed(
            lambda: _in(SLUG, lambda: Notification.objects.get(reference=f"export:{job.pk}").status)
        )
        path = media / job.file_path
        assert path.is_file() and path.parent == media / "exports" / SLUG
        assert not list(path.parent.glob("*.part"))

        # the requester downloads it; another supervisor of the tenant and beta's people cannot
        download = committed(lambda: _download(requester, link))
        assert download[0] == 200
        rows = list(csv.reader(io.StringIO(download[1].decode("utf-8-sig"))))
        assert len(rows) == 1 + len(PHONES)
        assert not any(phone in download[1].decode() for phone in PHONES)
        assert {r[rows[0].index("Evaluator phone (masked)")] for r in rows[1:]} == {"139****0000", "139****0001",
                                                                                     "139****0002", "139****0003",
                                                                                     "139****0004"}  # fmt: skip
        assert committed(lambda: _download(other, link))[0] == 404
        beta = signed_in(tenant_pair["beta"], "supervisor")
        assert beta.get(f"/insight/exports/{job.pk}/download").status_code == 404
    finally:
        committed(_teardown)


def _in(schema: str, fn):
    with schema_context(schema):
        return fn()


def _download(client, link: str) -> tuple[int, bytes]:
    response = client.get(link.split("localhost", 1)[1])
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, content


def test_media_root_is_ignored_by_git():
    root = Path(__file__).resolve().parents[2]
    ignored = (root / ".gitignore").read_text().splitlines()
    assert ".data/" in ignored  # MEDIA_ROOT defaults to .data/media
