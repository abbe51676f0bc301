"""Two tenants with different themes in a real Chromium against gunicorn: the device page and the public portal
wear each tenant's own colours, font and name (computed styles, not just the HTML), and a screenshot of each
is kept under the test's tmp dir."""

from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tests.channels import browser_support as support
from tests.conftest import PASSWORD
from themes.models import TEXT_FIELDS, Theme, ThemeDraft
from themes.services import ThemeOwner, theme_draft_save, theme_publish

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db]

ACTOR = Actor.system("browser tests")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
THEMES = {
    "alpha": {
        "display_name": "甲省政务服务网",
        "primary_color": "#0f766e",
        "on_primary_color": "#ffffff",
        "text_color": "#134e4a",
        "background_color": "#f0fdfa",
        "font": "cjk_serif",
        "footer_text": "甲省政务服务管理局主办",
    },
    "beta": {
        "display_name": "乙省一网通办",
        "primary_color": "#9d174d",
        "on_primary_color": "#fff1f2",
        "text_color": "#1c1917",
        "background_color": "#fffbeb",
        "font": "cjk_kai",
        "footer_text": "乙省政务服务管理局主办",
    },
}
EXPECTED = {  # what the browser computes from them
    "alpha": {"brand": "rgb(15, 118, 110)", "on": "rgb(255, 255, 255)", "bg": "rgb(240, 253, 250)",
              "ink": "rgb(19, 78, 74)", "font": "Songti SC"},
    "beta": {"brand": "rgb(157, 23, 77)", "on": "rgb(255, 241, 242)", "bg": "rgb(255, 251, 235)",
             "ink": "rgb(28, 25, 23)", "font": "Kaiti SC"},
}  # fmt: skip


@dataclass
class Saved:
    tenant: object
    before: dict | None  # the tenant's published fields before the test, None when it had no theme


def apply(info, values: dict) -> Saved:
    existing = Theme.objects.filter(tenant=info.tenant).first()
    before = {name: getattr(existing, name) for name in TEXT_FIELDS} if existing else None
    owner = ThemeOwner.for_tenant(info.tenant)
    with schema_context(info.schema):  # audited in the tenant's own trail, as from its settings page
        theme_draft_save(actor=ACTOR, owner=owner, values=values)
        theme_publish(actor=ACTOR, owner=owner)
    return Saved(tenant=info.tenant, before=before)


def restore(saved: Saved) -> None:
    if saved.before is None:
        Theme.objects.filter(tenant=saved.tenant).delete()
    else:
        Theme.objects.filter(tenant=saved.tenant).update(**saved.before)
    cache.delete_pattern("*theme:*")  # generation keys and entries (shared by every schema, kept in public's)


@pytest.fixture
def themed(tenant_pair, django_db_blocker):
    saved = []
    try:
        for slug, values in THEMES.items():
            info = tenant_pair[slug]
            saved.append(support.in_thread(django_db_blocker, lambda i=info, v=values: apply(i, v)))
        yield
    finally:
        for item in saved:
            support.in_thread(django_db_blocker, lambda s=item: restore(s))


def styles(page, selector: str) -> dict:
    return page.evaluate(
        """(selector) => { const s = getComputedStyle(document.querySelector(selector));
           return {background: s.backgroundColor, color: s.color, font: s.fontFamily}; }""",
        selector,
    )


def shot(page, path) -> None:
    page.screenshot(path=str(path), full_page=True)
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 5_000


def test_device_page_and_portal_wear_each_tenants_theme(live_url, themed, context, tmp_path):
    seen = {}
    for slug, expected in EXPECTED.items():
        page = context.new_page()
        # the device page: the kiosk's header band, its background and font
        assert page.goto(live_url(slug, "/device/")).status == 200
        page.locator("#kiosk-org").wait_for()
        assert page.locator("#kiosk-org").inner_text() == THEMES[slug]["display_name"]
        head, kiosk = styles(page, ".kiosk-head"), styles(page, ".kiosk")
        assert (head["background"], head["color"]) == (expected["brand"], expected["on"])
        assert (kiosk["background"], kiosk["color"]) == (expected["bg"], expected["ink"])
        assert expected["font"] in kiosk["font"]
        shot(page, tmp_path / f"device-{slug}.png")
        # the public portal: header, page, footer with the footer text
        assert page.goto(live_url(slug, "/portal/")).status == 200
        header, body = styles(page, ".site-header"), styles(page, "body")
        assert (header["background"], header["color"]) == (expected["brand"], expected["on"])
        assert (body["background"], body["color"]) == (expected["bg"], expected["ink"])
        assert expected["font"] in body["font"]
        assert page.locator(".site-header .brand").inner_text().strip() == THEMES[slug]["display_name"]
        assert THEMES[slug]["footer_text"] in page.locator(".site-footer").inner_text()
        shot(page, tmp_path / f"portal-{slug}.png")
        seen[slug] = (head["background"], body["background"], body["font"])
        page.close()
    # the two tenants differ as configured
    assert seen["alpha"] != seen["beta"]
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [
        "device-alpha.png", "device-beta.png", "portal-alpha.png", "portal-beta.png",
    ]  # fmt: skip


def forget_edits(info, saved: Saved) -> None:
    ThemeDraft.objects.filter(theme__tenant=info.tenant).delete()
    restore(saved)


@pytest.fixture
def alpha_untouched(tenant_pair, django_db_blocker):
    """Alpha's theme as it was, put back after the test edits it through the browser."""
    info = tenant_pair["alpha"]

    def snapshot() -> Saved:
        existing = Theme.objects.filter(tenant=info.tenant).first()
        return Saved(info.tenant, {n: getattr(existing, n) for n in TEXT_FIELDS} if existing else None)

    saved = support.in_thread(django_db_blocker, snapshot)
    yield info
    support.in_thread(django_db_blocker, lambda: forget_edits(info, saved))


def test_an_administrator_edits_previews_and_publishes_with_the_keyboard(
    live_url, alpha_untouched, context, tmp_path
):
    info = alpha_untouched
    page = context.new_page()
    page.goto(live_url("alpha", "/accounts/login/"))
    page.locator("input[name=login]").fill(info.admin_email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(live_url("alpha", "/"))
    page.goto(live_url("alpha", "/settings/theme/"))
    # the colour field is a text field with a label; the picker beside it appears with JavaScript
    assert page.locator("label[for=id_primary_color]").count() == 1
    assert page.locator(".colour-picker[data-for=id_primary_color]").is_visible()
    # a pale primary colour is refused with its ratio; the summary of problems takes the focus
    page.locator("#id_primary_color").fill("#9ca3af")
    page.locator("#id_primary_color").press("Enter")
    page.locator("#theme-errors").wait_for()
    assert page.evaluate("() => document.activeElement.id") == "theme-errors"
    assert "2.5:1" in page.locator("#theme-errors").inner_text()
    page.screenshot(path=str(tmp_path / "editor-refused.png"), full_page=True)
    # a good one is saved as a draft and opens the preview
    page.locator("#id_primary_color").fill("#0f766e")
    page.locator("#id_display_name").fill("甲省政务服务网")
    page.locator("#id_display_name").press("Enter")
    page.wait_for_url(live_url("alpha", "/settings/theme/preview/"))
    device = page.frame_locator("iframe[src$='preview/device']")
    device.locator(".kiosk-head").wait_for()
    assert (
        device.locator(".kiosk-head").evaluate("e => getComputedStyle(e).backgroundColor")
        == "rgb(15, 118, 110)"
    )
    assert device.locator("#kiosk-org").inner_text() == "甲省政务服务网"
    widget = page.frame_locator("iframe[src$='preview/widget']")
    submit_colour = widget.locator("[data-hcp-rating]").evaluate(
        "host => getComputedStyle(host.shadowRoot.querySelector('.submit')).backgroundColor"
    )
    assert submit_colour == "rgb(15, 118, 110)"  # inside the widget's shadow root
    page.screenshot(path=str(tmp_path / "preview.png"), full_page=True)
    # the public portal is unchanged until published
    portal = context.new_page()
    portal.goto(live_url("alpha", "/portal/"))
    assert "甲省政务服务网" not in portal.locator(".site-header").inner_text()
    # publish with the keyboard
    page.locator("form[action$='/publish'] button").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(live_url("alpha", "/settings/theme/"))
    portal.reload()
    assert portal.locator(".site-header .brand").inner_text().strip() == "甲省政务服务网"
    header = portal.locator(".site-header").evaluate("e => getComputedStyle(e).backgroundColor")
    assert header == "rgb(15, 118, 110)"
