"""Scheduled evaluation work. Thin: ids in, one service call, tenant carried by tenant-schemas-celery."""

from celery import shared_task
from django_tenants.utils import get_tenant_model, tenant_context

from tenants.accounts.actors import Actor
from tenants.evaluations.services import default_ratings_generate


@shared_task
def generate_default_ratings() -> int:
    """Runs in one tenant's schema (the task carries it)."""
    return default_ratings_generate(actor=Actor.system("default-ratings"))


@shared_task
def generate_default_ratings_everywhere() -> int:
    """Beat entry point: one task per tenant, each in its own schema."""
    tenants = get_tenant_model().objects.exclude(schema_name="public").filter(status__in=["trial", "active"])
    for tenant in tenants:
        with tenant_context(tenant):
            generate_default_ratings.delay()
    return len(tenants)
