"""The QR rating page on a phone-sized screen: big choices, reasons on a bad rating, works with the keyboard,
and works the same with JavaScript switched off."""

import pytest

from tenants.channels.tokens import window_token
from tests.channels import browser_support as support

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def world(tenant_pair, django_db_blocker):
    made = support.in_thread(django_db_blocker, lambda: support.build(tenant_pair["alpha"].schema))
    yield made
    support.in_thread(django_db_blocker, lambda: support.tear_down(made))


def poster_path(blocker, world) -> str:
    from django_tenants.utils import schema_context

    from tenants.organisation.models import Unit

    def token():
        with schema_context(world.schema):
            return window_token(Unit.objects.get(code=f"BW-{world.tag}").pk)

    return f"/q/{support.in_thread(blocker, token)}/"


def test_phone_rating_with_reasons_and_real_name(live_url, world, browser, django_db_blocker, tmp_path):
    path = poster_path(django_db_blocker, world)
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.goto(live_url("alpha", path))
        assert world.window_name in page.locator(".rate-where").inner_text()
        reasons = page.locator("#field-reason_tags")
        assert reasons.is_hidden()  # with JavaScript, reasons wait for a bad rating
        levels = page.locator(".level")
        assert levels.all_inner_texts() == ["很好", "好", "一般", "差", "很差"]
        assert min(levels.nth(i).bounding_box()["height"] for i in range(5)) >= 56
        assert max(levels.nth(i).bounding_box()["width"] for i in range(5)) <= PHONE["width"]
        page.screenshot(path=str(tmp_path / "qr-phone.png"), full_page=True)

        page.get_by_label("营业执照办理").check()
        page.get_by_text("很差", exact=True).click()
        reasons.wait_for(state="visible")
        page.get_by_label("服务态度差").check()
        page.locator("#id_comment").fill("窗口人员态度冷淡")
        page.locator("#id_name").fill("李华")
        page.locator("#id_phone").fill("13800138000")
        page.screenshot(path=str(tmp_path / "qr-phone-bad.png"), full_page=True)
        page.locator(".rate-submit").click()
        page.locator(".rate-message-success").wait_for()
        assert "很差" in page.locator(".rate-chosen").inner_text()
        page.screenshot(path=str(tmp_path / "qr-phone-thanks.png"), full_page=True)
    finally:
        context.close()
    stored = support.in_thread(django_db_blocker, lambda: support.evaluations(world))
    assert [(r["channel"], r["level"], r["reason_tags"]) for r in stored] == [("qr", 5, ["attitude"])]


def test_without_javascript_a_mistake_is_explained_and_fixed(
    live_url, world, browser, django_db_blocker, tmp_path
):
    path = poster_path(django_db_blocker, world)
    context = browser.new_context(locale="zh-CN", viewport=PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_url("alpha", path))
        assert page.locator("#field-reason_tags").is_visible()  # everything shown without JavaScript
        page.get_by_label("营业执照办理").check()
        page.locator("label.level", has_text="差").first.click()
        page.locator(".rate-submit").click()  # a bad rating without a reason
        alert = page.locator(".rate-alert")
        alert.wait_for()
        page.screenshot(path=str(tmp_path / "qr-nojs-error.png"), full_page=True)
        assert support.in_thread(django_db_blocker, lambda: support.evaluations(world)) == []
        # what was chosen is kept; add a reason and send again
        page.get_by_label("多次跑动").check()
        page.locator(".rate-submit").click()
        page.locator(".rate-message-success").wait_for()
    finally:
        context.close()
    stored = support.in_thread(django_db_blocker, lambda: support.evaluations(world))
    assert [(r["level"], r["reason_tags"]) for r in stored] == [(4, ["multiple_trips"])]
