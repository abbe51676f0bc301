"""Rollup upkeep by the worker. Beat calls `drain_pending_everywhere` every few seconds: one query over all
tenant schemas finds those with pending change rows, and only they get a drain task."""

from celery import shared_task
from django_tenants.utils import get_tenant_model, tenant_context

from tenants.insight.services import rollups_drain, rollups_mark_rating_period_closed
from tenants.selectors import schemas_with_rows

ROLLUP_CHANGE_TABLES = ("insight_ratingchange", "insight_transactionchange", "insight_casechange")


def schemas_with_pending_changes(schema_names: list[str]) -> list[str]:
    return schemas_with_rows(schema_names, ROLLUP_CHANGE_TABLES)


def _active_tenants():
    return get_tenant_model().objects.exclude(schema_name="public").filter(status__in=["trial", "active"])


@shared_task
def drain_rollups() -> int:
    """Runs in one tenant's schema (the task carries it)."""
    return rollups_drain().ratings


@shared_task
def drain_pending_everywhere() -> int:
    # Suspended and archived tenants are included: their ratings still count once they come back.
    tenants = {t.schema_name: t for t in get_tenant_model().objects.exclude(schema_name="public")}
    pending = schemas_with_pending_changes(sorted(tenants))
    for name in pending:
        with tenant_context(tenants[name]):
            drain_rollups.delay()
    return len(pending)


@shared_task
def mark_rating_period_closed() -> int:
    return rollups_mark_rating_period_closed()


@shared_task
def rating_period_closed_everywhere() -> int:
    # every tenant, suspended ones too: their figures must be right when they come back
    tenants = list(get_tenant_model().objects.exclude(schema_name="public"))
    for tenant in tenants:
        with tenant_context(tenant):
            mark_rating_period_closed.delay()
    return len(tenants)
