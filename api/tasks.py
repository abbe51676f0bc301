from datetime import timedelta

from celery import shared_task
from django.utils import timezone
from django_tenants.utils import get_tenant_model, schema_context

from api.models import IdempotencyRecord

RETENTION = timedelta(hours=48)


@shared_task
def purge_idempotency_records() -> int:
    """Idempotency keys are honoured for 48 hours, in every schema."""
    cutoff, removed = timezone.now() - RETENTION, 0
    for schema in get_tenant_model().objects.values_list("schema_name", flat=True):
        with schema_context(schema):
            removed += IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()[0]
    return removed
