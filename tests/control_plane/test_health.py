"""/healthz and /readyz, on any host, against the real database, Redis and a real Celery worker."""

import control_plane.health as health
import pytest
from devstack.services import start_redis

from tests.conftest import host_client, running_celery_worker


@pytest.fixture(autouse=True)
def _forget_worker_result(monkeypatch):
    monkeypatch.setattr(health, "_worker_ok_at", 0.0)


@pytest.mark.parametrize("host", ["localhost", "alpha.localhost", "unknown.localhost", "10.0.0.7"])
def test_healthz_answers_on_any_host(tenant_pair, db, host, settings):
    settings.ALLOWED_HOSTS = ["*"]
    response = host_client(host).get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_follows_the_worker(tenant_pair, db, subprocess_env):
    # given a running worker
    with running_celery_worker(subprocess_env):
        ready = host_client("localhost").get("/readyz")
    # when it has stopped
    health._worker_ok_at = 0.0
    gone = host_client("localhost").get("/readyz")
    # then
    assert ready.status_code == 200, ready.content
    assert ready.json()["checks"] == {"database": "ok", "redis": "ok", "worker": "ok"}
    assert gone.status_code == 503 and gone.json()["down"] == ["worker"]
    assert gone.json()["checks"]["worker"].startswith("down:")


def test_readyz_names_redis_when_it_goes_away(tenant_pair, db, settings, tmp_path):
    redis = start_redis(tmp_path / "redis")
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": redis.url}}
    health._worker_ok_at = float("inf")  # the worker is not what this test is about
    assert host_client("localhost").get("/readyz").json()["checks"]["redis"] == "ok"
    redis.stop()
    response = host_client("localhost").get("/readyz")
    assert response.status_code == 503 and response.json()["down"] == ["redis"]
