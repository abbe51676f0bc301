"""Browser tests: the production server (gunicorn) on the test database, driven by the system Chromium.

Only data committed outside test transactions is visible to gunicorn: the session fixtures (tenants alpha and
beta, their administrators). Never run `playwright install`; the Debian Chromium is used.
"""

import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from devstack.services import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
START_TIMEOUT = 60


def _healthy(port: int) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through an HTTP proxy
    try:
        with opener.open(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session")
def live_url(subprocess_env, tmp_path_factory) -> Iterator[Callable[[str | None, str], str]]:
    """Start gunicorn with infra/gunicorn.conf.py; yield url(slug_or_None, path) -> http://<slug>.localhost:PORT/path."""
    port = free_port()
    env = {
        **subprocess_env,
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "ACCESS_LOG": "0",
        "BIND_HOST": "127.0.0.1",
    }
    log_path = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--config",
                "infra/gunicorn.conf.py",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _healthy(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"gunicorn did not become healthy on port {port}:\n"
                    + log_path.read_text(errors="replace")[-4000:]
                )
            time.sleep(0.2)

        def url(slug: str | None, path: str = "/") -> str:
            host = f"{slug}.localhost" if slug else "localhost"
            return f"http://{host}:{port}/{path.lstrip('/')}"

        yield url
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
