"""An upload handed to a REAL Celery worker: the task carries the tenant's schema, progress reaches 100%."""

import time

import pytest
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent
from tenants.catalog.imports.services import import_job_create, progress_of
from tenants.catalog.models import GuideVersion, ImportJob, ImportStatus, ServiceItem
from tests.catalog.helpers import ITEM_HEADER, csv_file, item_row
from tests.conftest import committed, running_celery_worker

ROWS = 6000


@pytest.mark.django_db(transaction=False)
def test_worker_imports_in_the_uploading_tenant_and_progress_climbs_to_100(tenant_pair, subprocess_env):
    # given an upload committed in alpha (the worker only sees committed rows); the task is sent on commit
    data = csv_file(ITEM_HEADER, [item_row(f"WRK-{n:05d}", f"事项{n}") for n in range(ROWS)])

    def upload() -> int:
        with schema_context("alpha"):
            return import_job_create(
                actor=Actor.system("worker test"), kind="items", filename="worker.csv", data=data
            ).pk

    def cleanup() -> None:
        with schema_context("alpha"):
            GuideVersion.objects.filter(item__code__startswith="WRK-").delete()
            ServiceItem.objects.filter(code__startswith="WRK-").delete()
            AuditEvent.objects.filter(target_type="ImportJob", target_id=str(job_id)).delete()
            ImportJob.objects.filter(pk=job_id).delete()

    seen: list[int] = []
    job_id = None
    try:
        # when a worker runs it
        with running_celery_worker(subprocess_env):
            job_id = committed(upload)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                with schema_context("alpha"):
                    job = ImportJob.objects.defer("data").get(pk=job_id)
                    seen.append(progress_of(job).percent)
                if job.finished:
                    break
                time.sleep(0.05)
        # then every row is in alpha, none in beta, and the bar went up to 100% without going back
        assert job.status == ImportStatus.SUCCEEDED, job.message
        assert (job.total, job.done) == (ROWS, ROWS)
        assert seen[-1] == 100 and seen == sorted(seen)
        assert any(0 < p < 100 for p in seen), seen
        with schema_context("alpha"):
            assert ServiceItem.objects.filter(code__startswith="WRK-").count() == ROWS
            audit = AuditEvent.objects.get(action="items.import", target_id=str(job_id))
            assert audit.actor_label == "worker test" and audit.data["created"] == ROWS
        with schema_context("beta"):
            assert not ServiceItem.objects.filter(code__startswith="WRK-").exists()
            assert not ImportJob.objects.exists()
    finally:
        committed(cleanup)
