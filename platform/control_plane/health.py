"""Liveness and readiness: what a load balancer and an operator ask of each process."""

import time

from django.db import connection
from django_redis import get_redis_connection

WORKER_PING_TIMEOUT = 1.0
WORKER_OK_CACHE_SECONDS = 15.0
_worker_ok_at = 0.0


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_redis() -> None:
    get_redis_connection("default").ping()


def _check_worker() -> None:
    global _worker_ok_at
    if time.monotonic() - _worker_ok_at < WORKER_OK_CACHE_SECONDS:
        return
    from config.celery import app

    if not app.control.ping(timeout=WORKER_PING_TIMEOUT):
        raise RuntimeError("no Celery worker answered")
    _worker_ok_at = time.monotonic()


CHECKS = {"database": _check_database, "redis": _check_redis, "worker": _check_worker}


def readiness() -> dict[str, str]:
    """Each dependency → "ok" or "down: <reason>"."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # any failure means not ready; the reason is reported, not raised
            results[name] = f"down: {type(exc).__name__}: {exc}"[:300]
    return results
