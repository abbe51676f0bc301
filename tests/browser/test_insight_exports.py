"""Exports in a real browser against gunicorn and a real Celery worker: a direct CSV download from the form
(BOM, masked identity), and a background job whose progress bar the page polls until its download link shows.
Everything runs in a tenant of its own, dropped afterwards (with its export files)."""

import csv
import io
import os
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import User
from tenants.evaluations.models import Transaction
from tenants.evaluations.services import EvaluationInput, evaluations_submit
from tenants.insight.exports.models import ExportJob
from tenants.models import Tenant
from tenants.services import tenant_provision
from tests.conftest import PASSWORD, TenantInfo, build_capture_world, committed, running_celery_worker

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db]

SLUG = "exportsb"
ADMIN = f"admin@{SLUG}.example"
PHONES = ["13912340001", "13912340002", "13912340003"]


def _setup() -> int:
    result = tenant_provision(
        actor=Actor.system("t"),
        slug=SLUG,
        name="导出浏览器测试",
        kind="agency",
        region_code="110000",
        admin_email=ADMIN,
        admin_password=PASSWORD,
    )
    world = build_capture_world(TenantInfo(tenant=result.tenant, host=f"{SLUG}.localhost", admin_email=ADMIN))
    moment = timezone.now() - timedelta(days=1)
    with schema_context(SLUG):
        Transaction.objects.bulk_create(
            Transaction(
                number=f"B{i}",
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
        evaluations_submit(
            actor=Actor.system("tests"),
            items=[
                EvaluationInput(
                    transaction=f"B{i}",
                    level=1,
                    channel="device",
                    comment="=cmd|' /C calc'!A0",
                    evaluator={"name": "欧阳娜娜", "phone": phone},
                    rated_at=moment,
                )
                for i, phone in enumerate(PHONES)
            ],
        )
        return User.objects.get(email=ADMIN).pk


def _queue_job(admin_pk: int) -> int:
    """A job as the page makes one above EXPORT_SYNC_MAX_ROWS (the server's threshold is the default here)."""
    today = timezone.localdate()
    with schema_context(SLUG):
        return ExportJob.objects.create(
            kind="evaluations",
            file_format="csv",
            filters={
                "from": (today - timedelta(days=7)).isoformat(),
                "to": today.isoformat(),
                "current_only": True,
            },
            requested_by_id=admin_pk,
            language="zh-hans",
            total=len(PHONES),
        ).pk


def _enqueue(job_id: int) -> None:
    from tenants.insight.exports.tasks import run_export_job

    with schema_context(SLUG):
        run_export_job.delay(job_id)  # the task carries the schema


def _teardown() -> None:
    Tenant.objects.filter(slug=SLUG).delete()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {SLUG} CASCADE")
    shutil.rmtree(Path(settings.MEDIA_ROOT) / "exports" / SLUG, ignore_errors=True)


def test_direct_download_then_a_background_job_with_its_progress_bar(
    live_url, context, tenant_pair, subprocess_env, tmp_path
):
    shots = Path(os.environ.get("SCREENSHOT_DIR", str(tmp_path)))
    shots.mkdir(parents=True, exist_ok=True)
    admin_pk = committed(_setup)
    page = context.new_page()
    try:
        page.goto(live_url(SLUG, "/accounts/login/?next=/insight/exports/"))
        page.get_by_label("电子邮件").fill(ADMIN)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_label("密码").press("Enter")
        page.wait_for_url(live_url(SLUG, "/insight/exports/"))
        page.screenshot(path=str(shots / "exports-page.png"), full_page=True)

        # every control has a label; the form is reachable by keyboard
        for control in page.locator("form input:not([type=hidden]), form select").all():
            ident = control.get_attribute("id")
            assert ident and page.locator(f"label[for='{ident}']").count() == 1, ident
        assert page.locator("#id_current_only").is_checked()

        # a direct download: CSV with a BOM, identity masked, formulas neutralised
        page.locator("#id_kind_0").check()
        page.locator("#id_file_format_0").check()
        with page.expect_download() as download_info:
            page.locator("form button[type=submit]").click()
        raw = Path(download_info.value.path()).read_bytes()
        assert download_info.value.suggested_filename.endswith(".csv")
        assert raw.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        assert len(rows) == 1 + len(PHONES)
        assert not any(phone.encode() in raw for phone in PHONES) and "欧阳娜娜".encode() not in raw
        assert b"139****0001" in raw and b"'=cmd" in raw

        # a background job: the bar is polled until the job is done, then the download link appears
        job_id = committed(lambda: _queue_job(admin_pk))
        page.goto(live_url(SLUG, "/insight/exports/"))
        row = page.locator(f"tr[data-job='{job_id}']")
        assert row.locator("progress").get_attribute("value") == "0"
        with running_celery_worker(subprocess_env):
            committed(lambda: _enqueue(job_id))
            link = page.get_by_role("link", name=re.compile("Download|下载"))
            link.wait_for(timeout=60_000)  # the page reloads itself once the poll sees the job finished
        page.screenshot(path=str(shots / "exports-job-done.png"), full_page=True)
        assert page.locator(f"tr[data-job='{job_id}'] progress").get_attribute("value") == "100"
        with page.expect_download() as download_info:
            link.click()
        content = Path(download_info.value.path()).read_bytes()
        assert content.startswith(b"\xef\xbb\xbf") and content.count(b"\n") == 1 + len(PHONES)
        assert not any(phone.encode() in content for phone in PHONES)
    finally:
        page.close()
        committed(_teardown)
