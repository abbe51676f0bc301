"""An organisation signs up in a real browser against gunicorn and a real Celery worker: sign up, confirm the
address from the e-mail (a local SMTP server), apply (auto-approval on), watch the set-up reach 100 %, open the
invitation, set a password and land on the first-run checklist. The tenant and its schema are removed after."""

import re
import time

import pytest
from devstack.services import running_gunicorn

from tests.conftest import committed, running_celery_worker
from tests.notify.conftest import smtp_server as smtp_server  # the fixture
from tests.onboarding.conftest import forget_signup

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db]

SLUG = "brbing"
EMAIL = "director@brbing.example"
PASSWORD = "Browser-signup-2026"


def _next_mail(inbox, count: int, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while len(inbox.messages) < count:
        assert time.monotonic() < deadline, f"no e-mail #{count} arrived"
        time.sleep(0.2)
    _to, message = inbox.messages[count - 1]
    return message.get_body(preferencelist=("plain",)).get_content()


def test_sign_up_apply_watch_the_set_up_and_accept_the_invitation(
    subprocess_env,
    smtp_server,
    context,
    tmp_path,
):
    env = {
        **subprocess_env,
        "WEB_CONCURRENCY": "1",
        "ACCESS_LOG": "0",
        "ONBOARDING_AUTO_APPROVE": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_server.port),
        "EMAIL_USE_TLS": "0",
    }
    try:
        with (
            running_gunicorn(env, log_path=tmp_path / "gunicorn.log", timeout=60) as (_process, port),
            running_celery_worker(env),
        ):
            base = f"http://localhost:{port}"
            page = context.new_page()

            # --- the product page, in Chinese, links to sign-up ------------------------------------------------
            page.goto(base + "/")
            assert page.locator("html").get_attribute("lang") == "zh-hans"
            assert page.locator(".plans > li").count() == 3
            page.screenshot(path=str(tmp_path / "home.png"), full_page=True)
            page.locator("#signup-link").click()
            page.wait_for_url(base + "/accounts/signup/")

            # --- sign up; confirm the address from the e-mail -----------------------------------------------------
            page.locator("input[name=email]").fill(EMAIL)
            page.locator("input[name=password1]").fill(PASSWORD)
            page.locator("input[name=password2]").fill(PASSWORD)
            page.locator("main form button[type=submit]").click()
            page.wait_for_url(base + "/accounts/confirm-email/")
            body = _next_mail(smtp_server, 1)
            link = re.search(r"http://localhost:\d+/accounts/confirm-email/\S+/", body)
            assert link, body
            page.goto(link.group(0))
            page.locator("main form button[type=submit]").click()
            page.wait_for_url(base + "/onboarding/")

            # --- the application ------------------------------------------------------------------------------
            page.locator('a[href="/onboarding/apply/"]').first.click()
            page.wait_for_url(base + "/onboarding/apply/")
            page.locator("#id_organisation_name").fill("浏览器市政务服务数据管理局")
            page.locator("#id_kind").select_option("city")
            page.locator("#id_region_code").fill("440300")
            page.locator("#id_slug").fill("www")
            page.locator("#id_contact_name").fill("李主任")
            page.locator("#id_contact_phone").fill("020-12345678")
            assert page.locator("#id_contact_email").input_value() == EMAIL  # prefilled
            page.locator("#application-form button[type=submit]").click()
            # a reserved subdomain: refused, with the error summary and the field marked invalid
            page.wait_for_url(base + "/onboarding/apply/")
            assert page.locator("#error-summary").is_visible()
            assert page.locator("#id_slug").get_attribute("aria-invalid") == "true"
            assert "www" in page.locator("#id_slug_errors").inner_text()
            page.screenshot(path=str(tmp_path / "apply-error.png"), full_page=True)
            page.locator("#id_slug").fill(SLUG)
            page.locator("#application-form button[type=submit]").click()
            page.wait_for_url(re.compile(re.escape(base) + r"/onboarding/\d+/$"))

            # --- the live progress reaches 100 % and the page shows the result --------------------------------------
            bar = page.locator("#signup-bar")
            assert bar.get_attribute("max") == "100"
            assert page.locator("#signup-status").get_attribute("aria-live") == "polite"
            page.locator("#signup-ready").wait_for(timeout=90_000)
            assert page.locator("#signup-bar").get_attribute("value") == "100"
            assert page.locator("#signup-state").get_attribute("class") == "badge ready"
            tenant_url = page.locator("#tenant-url").inner_text().strip()
            assert tenant_url == f"http://{SLUG}.localhost:{port}/"
            page.screenshot(path=str(tmp_path / "ready.png"), full_page=True)

            # --- the invitation: set a password, land signed in on the checklist ---------------------------------
            body = _next_mail(smtp_server, 2)
            invite = re.search(rf"http://{SLUG}\.localhost:{port}/setup/invite/\S+", body)
            assert invite, body
            page.goto(invite.group(0))
            page.locator("#id_new_password1").fill(PASSWORD)
            page.locator("#id_new_password2").fill(PASSWORD)
            page.locator("#invitation-form button[type=submit]").click()
            page.wait_for_url(f"http://{SLUG}.localhost:{port}/setup/")
            page.screenshot(path=str(tmp_path / "checklist.png"), full_page=True)
            assert page.locator("ol.checklist > li").count() == 5
            assert page.locator("ol.checklist > li.todo").count() == 5
            assert page.get_by_role("link", name="退出登录").is_visible()  # signed in

            # skip a step with the keyboard, then the home page still offers the checklist
            page.locator("#step-catalog form button").last.focus()
            with page.expect_navigation():
                page.keyboard.press("Enter")
            assert page.locator("#step-catalog").get_attribute("data-state") == "skipped"
            page.goto(f"http://{SLUG}.localhost:{port}/")
            assert page.locator("#setup-banner a[href='/setup/']").is_visible()

            # the link works once
            page.goto(invite.group(0))
            assert page.locator("#invitation-state").get_attribute("data-state") == "used"
            page.screenshot(path=str(tmp_path / "used.png"), full_page=True)
    finally:
        committed(lambda: forget_signup(SLUG, (EMAIL,)))
