"""Signing in with a real browser against gunicorn: Chinese by default, keyboard only, one tenant at a time."""

import re

import pytest

from tests.conftest import PASSWORD

# django_db: so that pytest-django creates the test database even when only these tests run (they read
# the committed session fixtures through gunicorn and never write from this process).
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _focused(page) -> dict:
    return page.evaluate(
        "() => { const el = document.activeElement;"
        " return {tag: el.tagName.toLowerCase(), id: el.id, href: el.getAttribute('href'),"
        " text: (el.textContent || '').trim(), left: el.getBoundingClientRect().left}; }"
    )


def test_sign_in_in_chinese_with_the_keyboard_and_stay_on_one_tenant(
    live_url, context, tenant_pair, tmp_path
):
    alpha, beta = tenant_pair["alpha"], tenant_pair["beta"]
    alpha_name, beta_name = alpha.tenant.name, beta.tenant.name  # 甲省政务服务管理局, 乙省政务服务管理局
    page = context.new_page()

    # --- alpha's sign-in page, in Chinese, with alpha's name -------------------------------------------
    response = page.goto(live_url("alpha", "/accounts/login/"))
    assert response is not None and response.status == 200
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert alpha_name in page.title()
    assert page.locator("header .brand").inner_text().strip() == alpha_name
    assert page.get_by_role("heading", level=1).inner_text().strip() == "登录"
    assert page.get_by_role("link", name="跳到主要内容").count() == 1
    assert beta_name not in page.content()
    # the stylesheet is served by gunicorn (whitenoise) and applied: the skip link starts off-screen
    assert page.evaluate("() => document.styleSheets.length") >= 1
    assert page.get_by_role("link", name="跳到主要内容").bounding_box()["x"] < 0

    # --- keyboard: the first Tab reaches the skip link, which becomes visible and moves focus to <main> --
    page.keyboard.press("Tab")
    focused = _focused(page)
    assert focused["tag"] == "a" and focused["href"] == "#main", focused
    assert focused["text"] == "跳到主要内容"
    assert focused["left"] >= 0, "the focused skip link must be on screen"
    page.keyboard.press("Enter")
    assert _focused(page)["id"] == "main"

    # --- fill the form by its accessible labels, submit with Enter ---------------------------------------
    email = page.get_by_label("电子邮件")
    password = page.get_by_label("密码")
    email.fill(alpha.admin_email)
    password.fill(PASSWORD)
    password.press("Enter")
    page.wait_for_url(live_url("alpha", "/"))

    # --- alpha's workspace -------------------------------------------------------------------------------
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_role("heading", level=1).inner_text().strip() == f"欢迎访问{alpha_name}"
    assert page.locator("header .brand").inner_text().strip() == alpha_name
    assert "机构管理员" in page.locator("main").inner_text()  # the role label, translated
    assert page.get_by_role("link", name="退出登录").is_visible()
    assert page.get_by_role("link", name="API 密钥").is_visible()

    screenshot = tmp_path / "alpha-workspace.png"
    page.screenshot(path=str(screenshot), full_page=True)
    data = screenshot.read_bytes()
    assert len(data) > 1000 and data.startswith(PNG_SIGNATURE)

    # --- beta, same browser profile: not signed in there -------------------------------------------------
    beta_page = context.new_page()
    beta_page.goto(live_url("beta", "/"))
    assert re.fullmatch(re.escape(live_url("beta", "/accounts/login/")) + r"(\?next=.*)?", beta_page.url), (
        beta_page.url
    )
    assert beta_page.locator("header .brand").inner_text().strip() == beta_name
    assert beta_name in beta_page.title()
    assert alpha_name not in beta_page.content()
    assert beta_page.get_by_role("link", name="退出登录").count() == 0
    assert beta_page.get_by_label("电子邮件").is_visible()
    beta_page.screenshot(path=str(tmp_path / "beta-login.png"), full_page=True)
    assert (tmp_path / "beta-login.png").stat().st_size > 1000
    # alpha's session cookie is host-only: the browser holds none for beta
    assert not [c for c in context.cookies(live_url("beta", "/")) if c["name"] == "sessionid"]

    # --- sign out again (deletes the committed session row) ----------------------------------------------
    page.get_by_role("link", name="退出登录").click()
    page.locator("main form").get_by_role("button").click()
    page.wait_for_url(re.compile(re.escape(live_url("alpha", "")) + ".*"))
    page.goto(live_url("alpha", "/"))
    assert page.url.startswith(live_url("alpha", "/accounts/login/"))


def test_language_picker_switches_to_english(live_url, context, tenant_pair):
    alpha_name = tenant_pair["alpha"].tenant.name
    page = context.new_page()
    page.goto(live_url("alpha", "/accounts/login/"))
    picker = page.get_by_label("语言")
    assert picker.locator("option:checked").inner_text().strip() == "简体中文"
    with page.expect_navigation():
        picker.select_option("en")  # submits the form (onchange)
    assert page.url == live_url("alpha", "/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("link", name="Skip to main content").count() == 1
    assert page.get_by_role("link", name="Sign in").is_visible()
    assert page.locator("header .brand").inner_text().strip() == alpha_name
    assert page.get_by_label("Language").locator("option:checked").inner_text().strip() == "English"
    # the choice is remembered for the next page
    page.goto(live_url("alpha", "/accounts/login/"))
    assert page.locator("html").get_attribute("lang") == "en"
