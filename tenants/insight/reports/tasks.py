"""Report work in the background: thin tasks, ids in, one service call; the tenant travels with the task
(tenant-schemas-celery). Beat runs `report_schedules_everywhere` daily, which queues each active tenant's
schedule run in that tenant's schema.

`now` (an ISO 8601 moment with its offset) is for replays and tests; beat leaves it out (the worker's clock)."""

from datetime import datetime

from celery import shared_task
from django_tenants.utils import get_tenant_model, tenant_context

from tenants.insight.reports.services import report_generate, report_schedule_run


@shared_task(acks_late=True)
def generate_report(report_id: int) -> str | None:
    """Runs in one tenant's schema. A retry of a finished report does nothing."""
    report = report_generate(report_id=report_id)
    return report.status if report is not None else None


def _moment(now: str | None) -> datetime | None:
    if not now:
        return None
    moment = datetime.fromisoformat(now)
    if moment.tzinfo is None:
        raise ValueError("now needs a UTC offset")
    return moment


@shared_task
def run_report_schedules(now: str | None = None) -> int:
    """Runs in one tenant's schema: requests the reports whose period has ended."""
    return len(report_schedule_run(now=_moment(now)))


@shared_task
def report_schedules_everywhere(now: str | None = None) -> int:
    """Beat entry point: the schedule run for every active tenant, each in its own schema."""
    tenants = get_tenant_model().objects.exclude(schema_name="public").filter(status__in=["trial", "active"])
    for tenant in tenants:
        with tenant_context(tenant):
            run_report_schedules.delay(now)
    return len(tenants)
