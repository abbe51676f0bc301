"""The scheduled default-ratings task, run by a real Celery worker in each tenant's own schema."""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.evaluations.models import Evaluation, EvaluationPolicy, Transaction
from tenants.evaluations.tasks import generate_default_ratings_everywhere
from tenants.models import Tenant
from tenants.services import tenant_provision
from tests.conftest import TenantInfo, build_capture_world, committed, running_celery_worker


@pytest.mark.django_db(transaction=False)
def test_beat_task_fans_out_to_each_tenant_and_rates_silent_transactions(tenant_pair, subprocess_env):
    # given a committed tenant that uses default ratings, with one silent transaction (the worker sees commits)
    def setup() -> None:
        result = tenant_provision(
            actor=Actor.system("t"),
            slug="defaults",
            name="默认评价测试",
            kind="agency",
            region_code="110000",
            admin_email="a@defaults.example",
        )
        world = build_capture_world(
            TenantInfo(tenant=result.tenant, host="defaults.localhost", admin_email="a@defaults.example")
        )
        with schema_context("defaults"):
            EvaluationPolicy.objects.update(default_ratings=True, default_after_days=7)
            Transaction.objects.create(
                number="QUIET",
                item=world.item,
                unit=world.hall,
                channel="web",
                finished_at=timezone.now() - timedelta(days=10),
            )

    def teardown() -> None:
        Tenant.objects.filter(slug="defaults").delete()
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA IF EXISTS defaults CASCADE")

    def defaults_rated() -> list:
        # read on a connection of its own: the test's connection must hold no lock on the schema dropped later
        with schema_context("defaults"):
            return list(Evaluation.objects.values_list("transaction__number", "is_default", "level"))

    committed(setup)
    try:
        # when the beat entry point runs on a real worker
        with running_celery_worker(subprocess_env):
            generate_default_ratings_everywhere.delay()
            deadline = time.monotonic() + 30
            while not committed(defaults_rated) and time.monotonic() < deadline:
                time.sleep(0.3)
        # then the silent transaction got exactly one default rating, in its own tenant only
        assert committed(defaults_rated) == [("QUIET", True, 2)]
        with schema_context("alpha"):
            assert not Evaluation.objects.filter(is_default=True).exists()
    finally:
        committed(teardown)
