"""Scheduled case work (deadlines): thin tasks, one service call each, the tenant carried by
tenant-schemas-celery. Beat runs `case_deadlines_everywhere`, which queues both sweeps in every tenant.

`now` (an ISO 8601 moment with its offset) is for replays and tests; beat leaves it out (the worker's clock).
"""

from datetime import datetime

from celery import shared_task
from django_tenants.utils import get_tenant_model, tenant_context

from tenants.cases.services.sla import cases_escalate_overdue, cases_send_reminders


def _moment(now: str | None) -> datetime | None:
    if not now:
        return None
    moment = datetime.fromisoformat(now)
    if moment.tzinfo is None:
        raise ValueError("now needs a UTC offset")
    return moment


@shared_task
def send_case_reminders(now: str | None = None) -> int:
    """Runs in one tenant's schema (the task carries it)."""
    return cases_send_reminders(now=_moment(now))


@shared_task
def escalate_overdue_cases(now: str | None = None) -> int:
    """Runs in one tenant's schema (the task carries it)."""
    return cases_escalate_overdue(now=_moment(now))


@shared_task
def case_deadlines_everywhere(now: str | None = None) -> int:
    """Beat entry point: both sweeps for every active tenant, each in its own schema."""
    tenants = get_tenant_model().objects.exclude(schema_name="public").filter(status__in=["trial", "active"])
    for tenant in tenants:
        with tenant_context(tenant):
            send_case_reminders.delay(now)
            escalate_overdue_cases.delay(now)
    return len(tenants)
