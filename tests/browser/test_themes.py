"""Two tenants with different themes in a real Chromium against gunicorn: the device page and the public portal
wear each tenant's own colours, font and name (computed styles, not just the HTML), and a screenshot of each
is kept under the test's tmp dir."""

import re
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tests.channels import browser_support as support
from tests.conftest import PASSWORD
from themes.contrast import contrast_ratio
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


# --- a dark theme: every text on the citizens' pages is readable -------------------------------------------
# Light text on a dark background, dark text on a light-blue primary colour: every pair the check covers passes.
DARK = {
    "text_color": "#f9fafb",
    "background_color": "#111827",
    "primary_color": "#93c5fd",
    "on_primary_color": "#111827",
}
PHONE = {"width": 390, "height": 844}
# Each text node's colour against the first opaque background behind it (WCAG 2.x ratio), for the text the page
# shows (not inside <select>, whose options the system draws); the ones under 4.5:1 are returned.
UNREADABLE = """() => {
  const rgb = (c) => { const p = c.match(/[\\d.]+/g).map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const channel = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const ratio = (x, y) => { const [a, b] = [lum(x), lum(y)].sort((m, n) => n - m); return (a + 0.05) / (b + 0.05); };
  const behind = (el) => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c.a > 0) return c; }
                          return rgb(getComputedStyle(document.body).backgroundColor); };
  const found = []; let checked = 0;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent.trim(); const el = walker.currentNode.parentElement;
    if (!text || el.closest("select, script, style, noscript") || !el.getClientRects().length) continue;
    const style = getComputedStyle(el); if (style.visibility !== "visible" || style.display === "none") continue;
    const fg = rgb(style.color), bg = behind(el); checked += 1;
    const r = ratio(fg, bg);
    if (r < 4.5) found.push(`${text.slice(0, 30)} (${el.tagName.toLowerCase()}.${el.className}): ${style.color} on ${getComputedStyle(el).backgroundColor} → ${r.toFixed(2)}`);
  }
  return {found, checked};
}"""
LEVEL_CONTRAST = """(label) => { const s = getComputedStyle(label); return [s.color, s.backgroundColor]; }"""


def _rgb_hex(value: str) -> str:
    r, g, b = (int(float(n)) for n in re.findall(r"[\d.]+", value)[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


@pytest.fixture
def dark_alpha(tenant_pair, django_db_blocker):
    info = tenant_pair["alpha"]
    world = support.in_thread(django_db_blocker, lambda: support.build(info.schema))
    saved = support.in_thread(django_db_blocker, lambda: apply(info, DARK))
    yield world
    support.in_thread(django_db_blocker, lambda: restore(saved))
    support.in_thread(django_db_blocker, lambda: support.tear_down(world))


def _readable(page, where: str) -> int:
    result = page.evaluate(UNREADABLE)
    assert result["found"] == [], where
    return result["checked"]


def test_a_dark_theme_leaves_every_text_of_the_rating_page_and_portal_readable(
    live_url, dark_alpha, browser, django_db_blocker, tmp_path
):
    from django_tenants.utils import schema_context

    from tenants.channels.tokens import window_token
    from tenants.organisation.models import Unit

    def token():
        with schema_context(dark_alpha.schema):
            return window_token(Unit.objects.get(code=f"BW-{dark_alpha.tag}").pk)

    path = f"/q/{support.in_thread(django_db_blocker, token)}/"
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.goto(live_url("alpha", path))
        # the rating choices: the theme's text colour on the theme's background, never on white
        levels = page.locator("label.level")
        assert levels.count() == 5
        for i in range(5):
            colour, background = (_rgb_hex(v) for v in levels.nth(i).evaluate(LEVEL_CONTRAST))
            assert (colour, background) == (DARK["text_color"], DARK["background_color"])
            assert contrast_ratio(colour, background) >= 4.5
        checked = _readable(page, "rating page")
        # a chosen level wears the text colour on the primary colour
        page.get_by_label("营业执照办理").check()
        page.get_by_text("很差", exact=True).click()
        chosen = page.locator("input.level-input:checked + label.level").evaluate(LEVEL_CONTRAST)
        assert [_rgb_hex(v) for v in chosen] == [DARK["on_primary_color"], DARK["primary_color"]]
        # without a reason the page says what is missing: readable too
        page.locator(".rate-submit").click()
        page.screenshot(path=str(tmp_path / "rate-dark.png"), full_page=True)
        checked += _readable(page, "rating page, a bad rating chosen")
        page.get_by_label("服务态度差").check()
        page.locator(".rate-submit").click()
        page.locator(".rate-message-success").wait_for()
        checked += _readable(page, "thanks")
        # the public portal, every section
        for section in ("", "results/", "rankings/", "bad-reviews/", "reports/"):
            assert page.goto(live_url("alpha", f"/portal/{section}")).status == 200
            checked += _readable(page, f"/portal/{section}")
        page.screenshot(path=str(tmp_path / "portal-dark.png"), full_page=True)
        assert checked > 50
    finally:
        context.close()
