"""pytest plugin: real PostgreSQL and Redis for the suite.

Embedded servers in a throwaway directory unless DATABASE_URL / REDIS_URL are set. It runs as a hook
wrapper around pytest_load_initial_conftests so the URLs are in the environment before pytest-django
imports the settings.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_started: list = []
_tmpdir: Path | None = None


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    global _tmpdir
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        from devstack.services import start_postgres, start_redis

        # Short path: the PostgreSQL socket lives inside it (Unix socket paths are limited to ~107 bytes).
        _tmpdir = Path(tempfile.mkdtemp(prefix="hcp-test-"))
        os.environ.setdefault("XDG_RUNTIME_DIR", str(_tmpdir))
        if not os.environ.get("DATABASE_URL"):
            postgres = start_postgres(_tmpdir / "pg")
            _started.append(postgres)
            os.environ["DATABASE_URL"] = postgres.url
        if not os.environ.get("REDIS_URL"):
            redis = start_redis(_tmpdir / "redis")
            _started.append(redis)
            os.environ["REDIS_URL"] = redis.url
    yield


def pytest_unconfigure(config):
    for service in reversed(_started):
        service.stop()
    _started.clear()
    if _tmpdir is not None:
        shutil.rmtree(_tmpdir, ignore_errors=True)
