"""Browser tests: the production server (gunicorn) on the test database, driven by the system Chromium.

Only data committed outside test transactions is visible to gunicorn: the session fixtures (tenants alpha and
beta, their administrators). Never run `playwright install`; the Debian Chromium is used.
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from devstack.services import running_gunicorn

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
START_TIMEOUT = 60


@pytest.fixture(scope="session")
def live_url(subprocess_env, tmp_path_factory) -> Iterator[Callable[[str | None, str], str]]:
    """Start gunicorn with infra/gunicorn.conf.py; yield url(slug_or_None, path) -> http://<slug>.localhost:PORT/path."""
    env = {**subprocess_env, "WEB_CONCURRENCY": "1", "ACCESS_LOG": "0"}
    log_path = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with running_gunicorn(env, log_path=log_path, timeout=START_TIMEOUT) as (_process, port):

        def url(slug: str | None, path: str = "/") -> str:
            host = f"{slug}.localhost" if slug else "localhost"
            return f"http://{host}:{port}/{path.lstrip('/')}"

        yield url


# Lets context.route() see the requests of pages controlled by a service worker (the kiosk), so a test can cut
# them off: Playwright's offline switch alone does not reach them (microsoft/playwright#2311).
os.environ.setdefault("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", "1")


@pytest.fixture
def browser():
    """A headless Chromium per test.

    Function-scoped on purpose: Playwright's sync API keeps an asyncio loop marked as running while it is
    started, and Django then refuses ORM calls (SynchronousOnlyOperation) - including pytest-django's
    per-test transaction. Started after and stopped before that transaction, it never overlaps ORM work.
    """
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no system Chromium at {CHROMIUM} (Debian: apt-get install chromium fonts-noto-cjk)")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser):
    """A fresh browser profile (cookies, storage) per test, in Simplified Chinese like our users' browsers."""
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    # generous: a loaded 2-core machine runs Chromium, gunicorn and PostgreSQL at once
    ctx.set_default_timeout(30_000)
    try:
        yield ctx
    finally:
        ctx.close()
