"""Export work for the worker. Thin: ids in, one service call; the tenant travels with the task
(tenant-schemas-celery puts the schema in the headers when the task is sent inside the tenant's schema)."""

from celery import shared_task
from django_tenants.utils import get_tenant_model, tenant_context

from tenants.insight.exports.services import export_files_expire, export_job_run


@shared_task(acks_late=True)
def run_export_job(job_id: int) -> str | None:
    """Write one background export and e-mail the requester. A retry of a finished job does nothing."""
    job = export_job_run(job_id=job_id)
    return job.status if job is not None else None


@shared_task
def expire_export_files() -> int:
    """Runs in one tenant's schema (the task carries it)."""
    return export_files_expire()


@shared_task
def expire_export_files_everywhere() -> int:
    """Beat entry point: the expiry sweep in every tenant, each in its own schema."""
    tenants = get_tenant_model().objects.exclude(schema_name="public")
    for tenant in tenants:
        with tenant_context(tenant):
            expire_export_files.delay()
    return len(tenants)
