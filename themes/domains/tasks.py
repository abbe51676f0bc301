"""Periodic custom-domain checks, in the public schema (beat schedule in config/settings/base.py)."""

from celery import shared_task

from themes.domains.services import domain_claims_recheck


@shared_task
def domain_claims_recheck_everywhere() -> int:
    """Every 10 minutes: pending claims re-tried, verified claims re-checked once a day."""
    return domain_claims_recheck()
