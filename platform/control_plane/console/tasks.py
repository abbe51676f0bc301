"""The console's periodic work, in the public schema (beat schedule in config/settings/base.py)."""

from celery import shared_task

from control_plane.console.services import activity_refresh, storage_measure, support_grants_expire


@shared_task
def measure_storage_everywhere() -> int:
    """Daily: every tenant schema's size, in one query."""
    return storage_measure()


@shared_task
def activity_refresh_everywhere() -> int:
    """Every 30 s: fold the feed's new records into each tenant's last rating, last append and feed lag."""
    return activity_refresh()


@shared_task
def support_grants_expire_everywhere() -> int:
    """Every minute: sign out and record the end of support accesses that ran out (the gate already refuses
    them on their next request)."""
    return support_grants_expire()
