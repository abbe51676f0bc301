"""The window rating device in a real Chromium against gunicorn: set up once with its key, rate good and bad,
keep rating offline, and sync every queued rating exactly once when the network is back."""

import pytest

from tests.channels import browser_support as support

# django_db so that pytest-django creates the test database; the test's own transaction stays empty: data
# gunicorn must see is written and removed on another connection (support.in_thread), where it commits.
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def world(tenant_pair, django_db_blocker):
    made = support.in_thread(django_db_blocker, lambda: support.build(tenant_pair["alpha"].schema))
    yield made
    support.in_thread(django_db_blocker, lambda: support.tear_down(made))


def rows(blocker, world):
    return support.in_thread(blocker, lambda: support.evaluations(world))


def queue_count(page) -> int:
    return page.evaluate("() => (JSON.parse(localStorage.getItem('hcp.device.queue')) || []).length")


def shot(page, path):
    page.screenshot(path=str(path), full_page=True)
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 1000


def set_up_device(page, live_url, key):
    page.goto(live_url("alpha", "/device/setup"))
    page.locator("#device-key").fill(key)
    page.locator("#setup-form button[type=submit]").click()
    page.locator("#start-link").wait_for(state="visible")
    assert page.evaluate("() => localStorage.getItem('hcp.device.key')") == key
    # the key is in localStorage only: no cookie carries it
    assert not [c for c in page.context.cookies() if key in c["value"]]


API = "**/api/v1/**"


def _cut(route):
    route.abort("internetdisconnected")


# a request as the kiosk's own code makes it: does anything get through?
PROBE = """() => fetch("/api/v1/device", {
    headers: {Authorization: "Api-Key " + localStorage.getItem("hcp.device.key")}, credentials: "omit"
}).then((r) => String(r.status), () => "failed")"""


def go_offline(context):
    """The hall's network is down: the browser says so and nothing it sends arrives — the service worker's
    requests included, which Playwright's offline switch alone lets through (microsoft/playwright#2311)."""
    context.route(API, _cut)
    context.set_offline(True)


def go_online(context):
    context.unroute(API, _cut)
    context.set_offline(False)


def wait_for_rate_screen(page):
    page.locator("#screen-rate").wait_for(state="visible", timeout=15_000)


def test_rate_good_bad_and_offline_then_sync_exactly_once(
    live_url, world, context, django_db_blocker, tmp_path
):
    page = context.new_page()
    set_up_device(page, live_url, world.device_key)

    # --- the kiosk, bound to its window, with the tenant's name and five big buttons ----------------------
    page.goto(live_url("alpha", f"/device/?item={world.item_code}&reset=1"))
    good = page.get_by_role("button", name="很好", exact=True)
    good.wait_for()
    assert page.locator("#kiosk-org").inner_text() == "甲省政务服务管理局"
    assert world.window_name in page.locator("#kiosk-window").inner_text()
    assert page.locator(".kiosk-level").all_inner_texts() == ["很好", "好", "一般", "差", "很差"]
    assert good.is_enabled()
    box = good.bounding_box()
    assert box["height"] >= 88 and box["width"] >= 88  # large targets
    assert page.locator("header.site-header").is_hidden()  # no way to navigate away from the kiosk
    shot(page, tmp_path / "device-rate.png")

    # --- a good rating: thank-you screen, synced, reset --------------------------------------------------
    good.click()
    page.locator("#screen-thanks").wait_for(state="visible")
    assert "很好" in page.locator("#thanks-chosen").inner_text()
    shot(page, tmp_path / "device-thanks.png")
    page.wait_for_function("() => (JSON.parse(localStorage.getItem('hcp.device.queue')) || []).length === 0")
    wait_for_rate_screen(page)
    assert [r["level"] for r in rows(django_db_blocker, world)] == [1]

    # --- a bad rating needs a reason; the reasons are big toggle buttons ---------------------------------
    page.get_by_role("button", name="很差", exact=True).click()
    page.locator("#screen-reasons").wait_for(state="visible")
    page.locator("#reasons-submit").click()
    assert page.locator("#reasons-error").is_visible()  # nothing chosen yet: asked again, nothing sent
    attitude = page.get_by_role("button", name="服务态度差")
    attitude.click()
    assert attitude.get_attribute("aria-pressed") == "true"
    page.get_by_role("button", name="窗口等候时间长").click()
    shot(page, tmp_path / "device-reasons.png")
    page.locator("#reasons-submit").click()
    page.locator("#screen-thanks").wait_for(state="visible")
    page.wait_for_function("() => (JSON.parse(localStorage.getItem('hcp.device.queue')) || []).length === 0")
    wait_for_rate_screen(page)

    # --- keyboard only: after a reset, Tab reaches the first rating button, Enter rates -------------------
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "很好"
    page.keyboard.press("Enter")
    page.locator("#screen-thanks").wait_for(state="visible")
    page.wait_for_function("() => (JSON.parse(localStorage.getItem('hcp.device.queue')) || []).length === 0")
    wait_for_rate_screen(page)
    assert len(rows(django_db_blocker, world)) == 3

    # --- offline: two ratings queue up, the badge says so, nothing reaches the server --------------------
    go_offline(context)
    page.get_by_role("button", name="好", exact=True).click()
    wait_for_rate_screen(page)
    page.get_by_role("button", name="一般", exact=True).click()
    badge = page.locator("#sync-badge")
    badge.wait_for(state="visible")
    assert badge.get_attribute("data-count") == "2" and "2" in badge.inner_text()
    assert queue_count(page) == 2
    wait_for_rate_screen(page)
    shot(page, tmp_path / "device-offline.png")
    assert len(rows(django_db_blocker, world)) == 3

    # --- still offline, the kiosk is reloaded (power cut, staff pressed F5): it comes back from the service
    # worker's cache with its window and its queue, and keeps collecting ---------------------------------
    page.reload()
    page.get_by_role("button", name="很好", exact=True).wait_for()
    assert world.window_name in page.locator("#kiosk-window").inner_text()
    assert badge.get_attribute("data-count") == "2"
    # the reloaded page is the service worker's: its requests must not reach the server either
    assert page.evaluate(PROBE) == "failed"
    page.get_by_role("button", name="差", exact=True).click()
    page.get_by_role("button", name="多次跑动").click()
    page.locator("#reasons-submit").click()
    page.wait_for_function("() => document.getElementById('sync-badge').dataset.count === '3'")
    wait_for_rate_screen(page)
    assert len(rows(django_db_blocker, world)) == 3

    # --- back online: the queue drains and each rating is stored exactly once ----------------------------
    go_online(context)
    badge.wait_for(state="hidden", timeout=20_000)
    assert queue_count(page) == 0
    stored = rows(django_db_blocker, world)
    assert [r["level"] for r in stored] == [1, 5, 1, 2, 3, 4]
    assert stored[1]["reason_tags"] == ["attitude", "long_wait"] and stored[5]["reason_tags"] == [
        "multiple_trips"
    ]
    assert {r["channel"] for r in stored} == {"device"} and {r["device_id"] for r in stored} == {
        world.device_id
    }
    assert len({r["idempotency_key"] for r in stored}) == 6
    assert len({r["transaction__number"] for r in stored}) == 6  # "一次一评": each rating its own transaction
    assert {r["transaction__window__code"] for r in stored} == {f"BW-{world.tag}"}

    # a reload re-sends nothing: the queue is empty and the server already has every key
    page.reload()
    wait_for_rate_screen(page)
    page.wait_for_timeout(500)
    assert len(rows(django_db_blocker, world)) == 6


def test_a_transaction_from_the_window_system_is_rated_once(
    live_url, world, context, django_db_blocker, tmp_path
):
    page = context.new_page()
    set_up_device(page, live_url, world.device_key)
    page.goto(live_url("alpha", f"/device/?txn={world.registered_txn}&reset=1"))
    button = page.get_by_role("button", name="好", exact=True)
    button.wait_for()
    assert page.locator("#txn-input").input_value() == world.registered_txn
    button.click()
    page.locator("#screen-thanks").wait_for(state="visible")
    wait_for_rate_screen(page)
    # the number is used up: the URL drops it and the buttons wait for the next transaction
    assert "txn=" not in page.url
    assert page.locator("#kiosk-need").is_visible()
    assert page.get_by_role("button", name="好", exact=True).is_disabled()
    shot(page, tmp_path / "device-needs-number.png")
    page.wait_for_function("() => (JSON.parse(localStorage.getItem('hcp.device.queue')) || []).length === 0")
    stored = rows(django_db_blocker, world)
    assert [(r["transaction__number"], r["level"]) for r in stored] == [(world.registered_txn, 2)]

    # staff type an unknown number: the device says so instead of collecting a rating it cannot file
    page.locator("#txn-input").fill("NO-SUCH-NUMBER")
    page.locator("#txn-form button").click()
    page.wait_for_function(
        "() => document.getElementById('kiosk-need').textContent.includes('NO-SUCH-NUMBER')"
    )
    assert page.get_by_role("button", name="好", exact=True).is_disabled()


def test_without_a_key_the_kiosk_asks_for_set_up(live_url, context, tenant_pair):
    page = context.new_page()
    page.goto(live_url("alpha", "/device/"))
    notice = page.locator("#kiosk-notice")
    notice.wait_for(state="visible")
    assert page.locator("#kiosk-setup-link").get_attribute("href") == "/device/setup"
    assert page.locator(".kiosk-level").count() == 0


def test_a_wrong_key_is_refused_at_set_up(live_url, context, tenant_pair):
    page = context.new_page()
    page.goto(live_url("alpha", "/device/setup"))
    page.locator("#device-key").fill("hcp_000000000000_not-a-real-key")
    page.locator("#setup-form button[type=submit]").click()
    page.wait_for_function("() => document.getElementById('setup-status').textContent.length > 3")
    assert page.evaluate("() => localStorage.getItem('hcp.device.key')") is None
    assert page.locator("#start-link").is_hidden()
