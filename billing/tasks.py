"""Billing's worker tasks, all in the public schema (beat schedule in config/settings/base.py). Thin: each calls
one function of billing/webhooks.py or billing/services.py, all idempotent."""

from celery import shared_task
from django.conf import settings

from billing import services, webhooks
from billing.models import StripeEventStatus


@shared_task(bind=True, max_retries=None, acks_late=True)
def stripe_event_process(self, event_pk: int) -> str:
    """Process one stored Stripe event; a failure is retried with growing delays (the beat sweep takes over
    after a lost retry or a restart)."""
    status = webhooks.event_process(event_pk)
    if status == StripeEventStatus.FAILED:
        from billing.models import StripeEvent

        attempts = StripeEvent.objects.filter(pk=event_pk).values_list("attempts", flat=True).first() or 0
        if attempts < settings.BILLING_EVENT_MAX_ATTEMPTS:
            raise self.retry(countdown=webhooks.retry_delay(attempts))
    return status


@shared_task
def stripe_events_sweep() -> int:
    """Every 5 minutes: failed events whose retry time has come and pending ones never processed."""
    due = webhooks.events_due()
    for pk in due:
        stripe_event_process.delay(pk)
    return len(due)


@shared_task
def dunning_advance_everywhere() -> dict:
    """Hourly: past due beyond the grace period → unpaid; cancelled beyond retention → archived."""
    return services.dunning_advance()


@shared_task
def usage_report_everywhere() -> int:
    """Every 6 hours: last month's ratings reported once for each subscription with a metered price."""
    return services.usage_report_all()
