"""Catalogue background work. Thin: ids in, one service call; the tenant travels with the task
(tenant-schemas-celery puts the schema in the headers when the task is sent inside the tenant's schema)."""

from celery import shared_task

from tenants.catalog.imports.services import import_job_run


@shared_task(acks_late=True)
def run_import_job(job_id: int) -> str | None:
    """Run one import job (items, units or staff). A retry of a finished job does nothing."""
    job = import_job_run(job_id=job_id)
    return job.status if job is not None else None
