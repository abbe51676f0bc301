"""Uploading a catalogue file in a real browser, against gunicorn and a real Celery worker: the progress bar
climbs to 100% and the result page says what happened."""

import os
import re
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django_tenants.utils import schema_context

from tenants.accounts.models import AuditEvent
from tenants.catalog.models import GuideVersion, ImportJob, ServiceItem
from tests.catalog.helpers import ITEM_HEADER, item_row, xlsx_file
from tests.conftest import PASSWORD, committed, running_celery_worker

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db]

ROWS = 8000


def _sessions() -> set[str]:
    with schema_context("alpha"):
        return set(Session.objects.values_list("session_key", flat=True))


def _imported() -> int:
    with schema_context("alpha"):
        return ServiceItem.objects.filter(code__startswith="WEB-").count()


def test_upload_and_watch_the_progress_bar_reach_100(
    live_url, context, tenant_pair, subprocess_env, tmp_path
):
    alpha = tenant_pair["alpha"]
    shots = Path(os.environ.get("SCREENSHOT_DIR", str(tmp_path)))
    shots.mkdir(parents=True, exist_ok=True)
    upload = tmp_path / "事项清单.xlsx"
    rows = [item_row(f"WEB-{n:05d}", f"食品经营许可证核发（第{n}号）", days=n % 20 + 1) for n in range(ROWS)]
    rows.append(item_row("WEB-BAD", "", type="许可证"))  # one bad row among good ones
    upload.write_bytes(xlsx_file(ITEM_HEADER, rows))
    sessions_before = committed(_sessions)

    def cleanup() -> None:
        with schema_context("alpha"):
            jobs = list(ImportJob.objects.filter(filename="事项清单.xlsx").values_list("pk", flat=True))
            GuideVersion.objects.filter(item__code__startswith="WEB-").delete()
            ServiceItem.objects.filter(code__startswith="WEB-").delete()
            AuditEvent.objects.filter(target_type="ImportJob", target_id__in=[str(j) for j in jobs]).delete()
            ImportJob.objects.filter(pk__in=jobs).delete()
            Session.objects.exclude(session_key__in=sessions_before).delete()

    page = context.new_page()
    try:
        with running_celery_worker(subprocess_env):
            # sign in
            page.goto(live_url("alpha", "/accounts/login/?next=/catalog/import/"))
            page.get_by_label("电子邮件").fill(alpha.admin_email)
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_label("密码").press("Enter")
            page.wait_for_url(live_url("alpha", "/catalog/import/"))

            # upload with "import only the valid rows" ticked, by the form's labels
            page.locator("input[type=file]").set_input_files(str(upload))
            page.locator("#id_valid_only").check()
            page.locator("form[enctype] button[type=submit]").click()
            page.wait_for_url(re.compile(r".*/catalog/imports/\d+/$"))

            # the bar climbs while the worker runs, then the page reloads with the result
            bar = page.locator("#import-bar")
            seen = [int(bar.get_attribute("value"))]
            page.wait_for_function("document.getElementById('import-bar').value > 0", timeout=60_000)
            page.screenshot(path=str(shots / "catalog-import-progress.png"), full_page=True)
            while seen[-1] < 100:
                page.wait_for_timeout(100)
                seen.append(int(bar.get_attribute("value")))
                assert len(seen) < 1200, seen  # two minutes at most
            page.wait_for_selector(".result", timeout=20_000)
            page.screenshot(path=str(shots / "catalog-import-done.png"), full_page=True)
            assert seen == sorted(seen) and seen[-1] == 100
            assert any(0 < p < 100 for p in seen), seen
            result = page.locator(".result").inner_text()
            assert str(ROWS) in result and "1" in result
            assert page.locator("#import-bar").get_attribute("value") == "100"
            assert page.get_by_role("link", name=re.compile("错误")).count() == 1

            # the catalogue lists the imported items
            page.goto(live_url("alpha", "/catalog/?q=WEB-0000"))
            assert "WEB-00001" in page.content()
            page.goto(live_url("alpha", "/catalog/"))
            page.screenshot(path=str(shots / "catalog-list.png"), full_page=True)
        assert committed(_imported) == ROWS
    finally:
        page.close()
        committed(cleanup)
