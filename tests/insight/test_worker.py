"""The worker keeps rollups current: beat's probe finds the tenants with pending changes and a real Celery
worker drains them within seconds; the commands rebuild and check."""

import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.insight.models import RatingRollup
from tenants.insight.services import rollups_drain
from tenants.insight.tasks import drain_pending_everywhere, schemas_with_pending_changes
from tenants.models import Tenant
from tenants.services import tenant_provision
from tests.conftest import TenantInfo, build_capture_world, committed, running_celery_worker
from tests.supervision.conftest import rate_transactions


def test_the_probe_names_only_tenants_with_pending_changes(world, beta):
    with schema_context(world.info.schema):
        rollups_drain()
    assert schemas_with_pending_changes([world.info.schema, beta.schema]) == []
    rate_transactions(world, 1, start=timezone.now() - timedelta(hours=1), level=1)
    assert schemas_with_pending_changes([world.info.schema, beta.schema]) == [world.info.schema]


@pytest.mark.django_db(transaction=False)
def test_a_real_worker_drains_new_ratings_within_seconds(tenant_pair, subprocess_env):
    def setup() -> None:
        result = tenant_provision(
            actor=Actor.system("t"), slug="rollups", name="汇总测试", kind="agency", region_code="110000",
            admin_email="a@rollups.example",
        )  # fmt: skip
        world = build_capture_world(
            TenantInfo(tenant=result.tenant, host="rollups.localhost", admin_email="a@rollups.example")
        )
        rate_transactions(world, 5, start=timezone.now() - timedelta(hours=3), level=2)

    def teardown() -> None:
        Tenant.objects.filter(slug="rollups").delete()
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA IF EXISTS rollups CASCADE")

    def counted() -> int:
        with schema_context("rollups"):
            return sum(RatingRollup.objects.values_list("count", flat=True))

    committed(setup)
    try:
        assert committed(counted) == 0
        with running_celery_worker(subprocess_env):
            drain_pending_everywhere.delay()  # what beat sends every 3 s
            deadline = time.monotonic() + 30
            while committed(counted) < 5 and time.monotonic() < deadline:
                time.sleep(0.2)
        assert committed(counted) == 5
    finally:
        committed(teardown)


def test_the_commands_check_and_rebuild(world, capsys):
    rate_transactions(world, 2, start=timezone.now() - timedelta(hours=2), level=1)
    call_command("rollups_check", schema=world.info.schema)
    assert f"{world.info.schema}: ok" in capsys.readouterr().out
    with schema_context(world.info.schema):
        RatingRollup.objects.update(count=5)
    with pytest.raises(CommandError, match="1 drifting"):
        call_command("rollups_check", schema=world.info.schema)
    assert "raw 2, rollup 5" in capsys.readouterr().out
    call_command("rollups_rebuild", schema=world.info.schema)
    assert "rebuilt (1 rating rollup rows)" in capsys.readouterr().out
    call_command("rollups_check", schema=world.info.schema)
