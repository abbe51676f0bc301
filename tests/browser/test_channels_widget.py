"""The rating widget embedded in someone else's page: served from a plain http.server on another origin, it
renders in a shadow root, leaves the host page's look alone, works by keyboard, and its rating arrives."""

import functools
import http.server
import threading
import uuid

import pytest
from devstack.services import free_port

from tests.channels import browser_support as support

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db]

HOST_CSS = """
body { font-family: Georgia, serif; font-size: 13px; color: rgb(10, 20, 30); background: rgb(250, 240, 230); }
button { background: rgb(255, 0, 0); color: rgb(0, 0, 255); font-size: 11px; border: 5px dotted rgb(0, 128, 0); }
h2 { color: rgb(0, 128, 0); font-size: 40px; text-transform: uppercase; letter-spacing: 4px; }
p { margin: 50px; }
* { line-height: 3; }
"""

PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>某市政务服务网 · 办件详情</title><style>{css}</style></head>
<body>
<h2 id="host-heading">办件详情</h2>
<button id="host-button" type="button">打印回执</button>
<p id="host-text">您的办件已办结。</p>
{widget}
<p id="after">页面其余部分</p>
</body></html>
"""

PROBES = {
    "#host-heading": ["color", "font-size", "text-transform", "letter-spacing", "font-family"],
    "#host-button": ["background-color", "color", "font-size", "border-top-style", "line-height"],
    "#host-text": ["margin-top", "font-family", "color", "line-height"],
    "body": ["background-color", "font-size", "font-family", "color"],
}


@pytest.fixture
def world(tenant_pair, django_db_blocker):
    made = support.in_thread(django_db_blocker, lambda: support.build(tenant_pair["alpha"].schema))
    yield made
    support.in_thread(django_db_blocker, lambda: support.tear_down(made))


@pytest.fixture
def host_site(tmp_path):
    """A plain static web server on its own port: another origin than the tenant's host."""
    port = free_port()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield tmp_path, f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()


def styles(page) -> dict:
    return page.evaluate(
        """(probes) => Object.fromEntries(Object.entries(probes).map(([sel, props]) => {
             const cs = getComputedStyle(document.querySelector(sel));
             return [sel, Object.fromEntries(props.map(p => [p, cs.getPropertyValue(p)]))];
           }))""",
        PROBES,
    )


def test_widget_on_a_foreign_page_keeps_its_look_and_rates_by_keyboard(
    live_url, world, context, host_site, django_db_blocker, tmp_path
):
    folder, origin = host_site
    number = f"WEB-{world.tag}-{uuid.uuid4().hex[:6]}"
    tag = (
        f'<script src="{live_url("alpha", "/widget.js")}" data-key="{world.integration_key}" '
        f'data-transaction="{number}" data-item="{world.item_code}" data-unit="{world.unit_code}"></script>'
    )
    (folder / "plain.html").write_text(PAGE.format(css=HOST_CSS, widget=""), encoding="utf-8")
    (folder / "embedded.html").write_text(PAGE.format(css=HOST_CSS, widget=tag), encoding="utf-8")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # --- the host page looks the same with and without the widget ----------------------------------------
    page.goto(f"{origin}/plain.html")
    before = styles(page)
    sheets_before = page.evaluate("() => document.styleSheets.length")
    page.goto(f"{origin}/embedded.html")
    widget = page.locator("[data-hcp-rating]")
    widget.wait_for()
    assert styles(page) == before
    assert page.evaluate("() => document.styleSheets.length") == sheets_before  # no style added to the page
    assert page.evaluate("() => document.querySelector('[data-hcp-rating]').shadowRoot !== null")
    assert page.locator("#after").is_visible()

    # --- and the host's styles do not reach into the widget ------------------------------------------------
    good = page.get_by_role("button", name="很好", exact=True)
    widget_button = good.evaluate(
        "el => { const cs = getComputedStyle(el);"
        " return {bg: cs.backgroundColor, size: cs.fontSize, border: cs.borderTopStyle, height: el.offsetHeight}; }"
    )
    assert widget_button["bg"] != "rgb(255, 0, 0)" and widget_button["size"] == "18px"
    assert widget_button["border"] == "solid" and widget_button["height"] >= 48
    assert page.locator("[data-hcp-rating] .org").inner_text() == "甲省政务服务管理局"
    assert page.get_by_role("group").count() >= 1  # the five buttons form a labelled group
    page.screenshot(path=str(tmp_path / "widget-embedded.png"), full_page=True)

    # --- keyboard only: from the host's button, Tab into the widget, choose 差, a reason, submit --------------
    page.locator("#host-button").focus()
    for _ in range(4):  # 很好, 好, 一般, 差
        page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.shadowRoot.activeElement.textContent") == "差"
    page.keyboard.press("Enter")
    first_reason = page.get_by_role("button", name="无理由超过法定办理时间")
    first_reason.wait_for()
    assert page.get_by_role("button", name="差", exact=True).get_attribute("aria-pressed") == "true"
    # focus moved to the first reason; Space toggles it
    page.keyboard.press("Space")
    assert first_reason.get_attribute("aria-pressed") == "true"
    page.locator("[data-hcp-rating] textarea").fill("超过承诺时限两天")
    page.screenshot(path=str(tmp_path / "widget-reasons.png"), full_page=True)
    page.locator("[data-hcp-rating] textarea").focus()
    page.keyboard.press("Tab")  # the consent to publish the comment: unticked until Space
    assert page.evaluate("() => document.activeElement.shadowRoot.activeElement.type") == "checkbox"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    done = page.locator("[data-hcp-rating] .done")
    done.wait_for(timeout=15_000)
    page.screenshot(path=str(tmp_path / "widget-thanks.png"), full_page=True)
    assert styles(page) == before
    assert errors == []

    stored = support.in_thread(django_db_blocker, lambda: support.evaluations(world))
    assert [(r["transaction__number"], r["channel"], r["level"]) for r in stored] == [(number, "web", 4)]
    assert stored[0]["reason_tags"] == ["overdue"] and stored[0]["comment"] == "超过承诺时限两天"
    assert stored[0]["comment_public"] is True
    assert stored[0]["idempotency_key"]  # the widget's Idempotency-Key reached the rating


def test_a_good_rating_is_one_click_and_misconfigured_tags_render_nothing(
    live_url, world, context, host_site, django_db_blocker
):
    folder, origin = host_site
    number = f"WEB-{world.tag}-{uuid.uuid4().hex[:6]}"
    widget = live_url("alpha", "/widget.js")
    tags = (
        f'<script src="{widget}" data-key="{world.integration_key}" data-transaction="{number}" '
        f'data-item="{world.item_code}" data-unit="{world.unit_code}"></script>'
        f'<script src="{widget}"></script>'  # no key, no transaction: logs an error, draws nothing
    )
    (folder / "page.html").write_text(PAGE.format(css=HOST_CSS, widget=tags), encoding="utf-8")
    page = context.new_page()
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(f"{origin}/page.html")
    page.get_by_role("button", name="好", exact=True).click()
    page.locator("[data-hcp-rating] .done").wait_for(timeout=15_000)
    assert page.locator("[data-hcp-rating]").count() == 1
    assert any("data-key" in text for text in console)
    stored = support.in_thread(django_db_blocker, lambda: support.evaluations(world))
    assert [(r["transaction__number"], r["level"]) for r in stored] == [(number, 2)]
