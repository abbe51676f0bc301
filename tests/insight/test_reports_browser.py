"""Requesting a report in a real browser, against gunicorn and a real Celery worker: the list's progress bar
(polling the progress view) reaches 100%, the page reloads with the downloads, and the PDF downloads."""

import os
import re
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django_tenants.utils import schema_context

from tenants.accounts.models import AuditEvent
from tenants.insight.reports.models import Report
from tests.browser.conftest import browser, context, live_url  # noqa: F401 (fixtures)
from tests.conftest import PASSWORD, committed, running_celery_worker

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db]


def _sessions() -> set[str]:
    with schema_context("alpha"):
        return set(Session.objects.values_list("session_key", flat=True))


def _published() -> list[bool]:
    with schema_context("alpha"):
        return list(Report.objects.values_list("published", flat=True))


def test_request_a_report_watch_it_finish_and_download_it(
    live_url,  # noqa: F811
    context,  # noqa: F811
    tenant_pair,
    subprocess_env,
    tmp_path,
):
    alpha = tenant_pair["alpha"]
    shots = Path(os.environ.get("SCREENSHOT_DIR", str(tmp_path)))
    shots.mkdir(parents=True, exist_ok=True)
    sessions_before = committed(_sessions)

    def cleanup() -> None:
        with schema_context("alpha"):
            ids = [str(pk) for pk in Report.objects.values_list("pk", flat=True)]
            AuditEvent.objects.filter(target_type="Report", target_id__in=ids).delete()
            Report.objects.all().delete()
            Session.objects.exclude(session_key__in=sessions_before).delete()

    page = context.new_page()
    try:
        # sign in and request September's monthly report (no worker yet: it stays queued)
        page.goto(live_url("alpha", "/accounts/login/?next=/insight/reports/new"))
        page.get_by_label("电子邮件").fill(alpha.admin_email)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_label("密码").press("Enter")
        page.wait_for_url(live_url("alpha", "/insight/reports/new"))
        page.locator("#id_kind_0").check()  # monthly
        page.locator("#id_month").fill("2026-09")
        page.screenshot(path=str(shots / "reports-request.png"), full_page=True)
        page.locator("form button[type=submit]").click()
        page.wait_for_url(live_url("alpha", "/insight/reports/"))
        bar = page.locator("progress")
        assert bar.count() == 1 and int(bar.get_attribute("value")) == 0
        page.screenshot(path=str(shots / "reports-queued.png"), full_page=True)

        # when a worker runs it, the page (polling) reloads with the downloads
        with running_celery_worker(subprocess_env):
            page.wait_for_selector("a[href$='/pdf']", timeout=60_000)
        page.screenshot(path=str(shots / "reports-done.png"), full_page=True)
        assert page.locator("progress").count() == 0
        with page.expect_download() as download:
            page.locator("a[href$='/pdf']").click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        assert saved.suffix == ".pdf" and saved.read_bytes().startswith(b"%PDF")

        # and publishing it puts it on the portal list
        page.locator("form[action$='/publish'] button").click()
        page.wait_for_url(live_url("alpha", "/insight/reports/"))
        assert re.search(r"\bbadge ok\b", page.content())
        assert committed(_published) == [True]
    finally:
        page.close()
        committed(cleanup)
