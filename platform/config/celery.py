"""The Celery app. Tasks carry the tenant's schema in their headers (tenant-schemas-celery)."""

import os

from tenant_schemas_celery.app import CeleryApp as TenantAwareCeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = TenantAwareCeleryApp("haochaping")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
