"""The console's periodic tasks are scheduled and do their work; support accesses that ran out are closed."""

from control_plane.console import tasks
from control_plane.console.models import ActivityCursor, TenantStorage
from django.conf import settings


def test_the_beat_schedule_names_registered_tasks():
    from config.celery import app

    app.loader.import_default_modules()
    for entry in ("console-storage", "console-activity", "console-support-expire"):
        assert settings.CELERY_BEAT_SCHEDULE[entry]["task"] in app.tasks
    assert settings.CELERY_BEAT_SCHEDULE["console-storage"]["schedule"] == 86400.0


def test_the_tasks_measure_and_fold(alpha, beta):
    assert tasks.measure_storage_everywhere() >= 2
    assert TenantStorage.objects.filter(tenant__in=[alpha.tenant, beta.tenant]).count() == 2
    tasks.activity_refresh_everywhere()
    assert ActivityCursor.objects.get(pk=1).refreshed_at is not None
    assert tasks.support_grants_expire_everywhere() == 0
