"""The relay as it runs in production (`manage.py feed_relay`, woken by NOTIFY): ratings from two tenants at
once arrive complete and in one gap-free cursor sequence; a relay killed (SIGKILL) in the middle of an append
loses nothing and, restarted, appends each record exactly once."""

import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from control_plane.feed import APPEND_LOCK
from control_plane.models import FeedRecord, TenantDayStats
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.models import Tenant
from tenants.services import tenant_provision
from tests.conftest import TenantInfo, build_capture_world, committed
from tests.supervision.conftest import rate_transactions

SLUGS = ("feedone", "feedtwo")


def _provision(slug: str):
    result = tenant_provision(
        actor=Actor.system("t"), slug=slug, name=f"汇聚测试{slug}", kind="agency", region_code="110000",
        admin_email=f"a@{slug}.example",
    )  # fmt: skip
    return build_capture_world(TenantInfo(tenant=result.tenant, host=f"{slug}.localhost", admin_email="a@x"))


def _teardown() -> None:
    FeedRecord.objects.filter(tenant__slug__in=SLUGS).delete()
    TenantDayStats.objects.filter(tenant__slug__in=SLUGS).delete()
    Tenant.objects.filter(slug__in=SLUGS).delete()
    with connection.cursor() as cursor:
        for slug in SLUGS:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{slug}" CASCADE')


def _relay(env: dict, *args: str, pause: float = 0.0) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "feed_relay", *args],
        env={**env, "FEED_APPEND_PAUSE_SECONDS": str(pause)},
        stdout=subprocess.DEVNULL,
    )


def _evaluations(slug: str) -> list[tuple[int, int]]:
    return list(
        FeedRecord.objects.filter(tenant__slug=slug, kind="evaluation").values_list("ref_id", "revision")
    )


def _outbox(slug: str) -> int:
    with schema_context(slug), connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM feed_feedoutbox")
        return cur.fetchone()[0]


def _wait(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


@pytest.mark.django_db(transaction=False)
def test_two_tenants_rating_at_once_arrive_complete_and_in_order(tenant_pair, subprocess_env):
    worlds = {slug: committed(lambda slug=slug: _provision(slug)) for slug in SLUGS}
    try:
        relay = _relay(subprocess_env)
        try:
            now = timezone.now() - timedelta(hours=2)
            writers = [
                threading.Thread(
                    target=committed,
                    args=(lambda w=w, b=b: rate_transactions(w, 40, start=now, level=1, prefix=f"T{b}"),),
                )
                for w in worlds.values()
                for b in range(3)
            ]
            for writer in writers:
                writer.start()
            for writer in writers:
                writer.join()
            _wait(lambda: all(committed(lambda s=s: len(_evaluations(s))) == 120 for s in SLUGS))
        finally:
            relay.send_signal(signal.SIGTERM)
            relay.wait(15)
        for slug in SLUGS:
            pairs = committed(lambda slug=slug: _evaluations(slug))
            assert len(pairs) == len(set(pairs)) == 120  # each rating once
            assert committed(lambda slug=slug: _outbox(slug)) == 0
        cursors = committed(
            lambda: list(
                FeedRecord.objects.filter(tenant__slug__in=SLUGS)
                .order_by("cursor")
                .values_list("cursor", flat=True)
            )
        )
        assert cursors == list(range(cursors[0], cursors[0] + len(cursors)))  # one gap-free sequence
    finally:
        committed(_teardown)


@pytest.mark.django_db(transaction=False)
def test_a_relay_killed_mid_append_loses_and_doubles_nothing(tenant_pair, subprocess_env):
    world = committed(lambda: _provision(SLUGS[0]))
    try:
        committed(lambda: rate_transactions(world, 25, start=timezone.now() - timedelta(hours=1), level=2))
        relay = _relay(subprocess_env, "--once", pause=60)  # waits before its commit, holding the append lock

        def holding_lock() -> bool:
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND ((classid::bigint << 32) | objid::bigint) = %s",
                    [APPEND_LOCK],
                )
                return cur.fetchone()[0] > 0

        _wait(lambda: committed(holding_lock))
        relay.kill()  # SIGKILL: no cleanup of any kind
        relay.wait(10)
        _wait(lambda: not committed(holding_lock))  # the server rolled the append back
        assert committed(lambda: _evaluations(SLUGS[0])) == []
        assert committed(lambda: _outbox(SLUGS[0])) == 25  # nothing lost
        subprocess.run([sys.executable, "manage.py", "feed_relay", "--once"], env=subprocess_env, check=True)
        pairs = committed(lambda: _evaluations(SLUGS[0]))
        assert len(pairs) == len(set(pairs)) == 25  # each exactly once
        assert committed(lambda: _outbox(SLUGS[0])) == 0
    finally:
        committed(_teardown)
