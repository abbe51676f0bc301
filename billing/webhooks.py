"""Stripe webhooks: verified, stored once, processed by the worker.

`event_receive` (the view's only call) verifies the `Stripe-Signature` header with the stripe library against
STRIPE_WEBHOOK_SECRET; anything unsigned, wrongly signed, too old (STRIPE_WEBHOOK_TOLERANCE) or malformed is
refused before anything is stored. A verified event is inserted once by its id (a replay finds it and does
nothing) and handed to the worker after commit.

`event_process` (the Celery task's only call) takes the stored event under a row lock, applies it through
billing/services.py and records the outcome: processed, ignored (a type we do not use, or older than what
was applied), or failed with the error, retried by the task with growing delays and by the beat sweep until
BILLING_EVENT_MAX_ATTEMPTS; national staff see every event at /billing/events/ and may retry by hand.
"""

from __future__ import annotations

import json
import logging
import traceback
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing import services, stripe_client
from billing.models import StripeEvent, StripeEventStatus

log = logging.getLogger(__name__)

RETRY_MAX_SECONDS = 3600
SWEEP_SLACK_SECONDS = 60


class WebhookRefused(ValueError):
    """The request is not a verified Stripe event (the view answers 400)."""


def _verify(payload: bytes, signature: str) -> dict:
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:  # an empty secret would accept anyone's HMAC
        raise WebhookRefused("no webhook secret configured")
    if not signature:
        raise WebhookRefused("no Stripe-Signature header")
    try:
        stripe_client.event_construct(payload, signature, secret)
        data = json.loads(payload)
    except (stripe_client.stripe.SignatureVerificationError, ValueError) as exc:
        raise WebhookRefused(str(exc)) from exc
    if not isinstance(data, dict) or not all(k in data for k in ("id", "type", "created", "data")):
        raise WebhookRefused("not an event")
    if not isinstance(data["data"], dict) or not isinstance(data["data"].get("object"), dict):
        raise WebhookRefused("an event without its object")
    return data


def event_receive(payload: bytes, signature: str) -> tuple[StripeEvent, bool]:
    """Store a verified event once; returns it and whether it was new (then the worker processes it)."""
    data = _verify(payload, signature)
    try:
        with transaction.atomic():
            event, created = StripeEvent.objects.get_or_create(
                event_id=str(data["id"])[:64],
                defaults={
                    "type": str(data["type"])[:64],
                    "api_created": int(data["created"]),
                    "payload": data,
                },
            )
            if created:
                event_pk = event.pk
                transaction.on_commit(lambda: _enqueue(event_pk))
    except IntegrityError:  # the same event delivered twice at once: the other request stored it
        return StripeEvent.objects.get(event_id=str(data["id"])[:64]), False
    except (TypeError, ValueError) as exc:  # `created` not a number
        raise WebhookRefused(str(exc)) from exc
    return event, created


def _enqueue(event_pk: int, countdown: int = 0) -> None:
    from billing.tasks import stripe_event_process

    stripe_event_process.apply_async((event_pk,), countdown=countdown)


def retry_delay(attempts: int) -> int:
    return min(settings.BILLING_EVENT_RETRY_SECONDS * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS)


def _handle(event: StripeEvent) -> bool:
    """Apply the event; True when it changed something, False when it was not relevant (ignored)."""
    obj = event.payload["data"]["object"]
    version = event.api_created
    kind = event.type
    if kind == "checkout.session.completed":
        return services.checkout_completed(obj=obj, version=version)
    if kind in (
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
    ):
        return services.subscription_sync(obj=obj, version=version)
    if kind in (
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_failed",
        "invoice.marked_uncollectible",
    ):
        return services.invoice_sync(obj=obj, event_type=kind, version=version)
    return False


def event_process(event_pk: int) -> str:
    """Process a stored event once; returns its status afterwards. Safe to call again at any time."""
    with transaction.atomic():
        event = StripeEvent.objects.select_for_update().filter(pk=event_pk).first()
        if event is None or event.status in (StripeEventStatus.PROCESSED, StripeEventStatus.IGNORED):
            return event.status if event else ""
        event.attempts += 1
        try:
            with transaction.atomic():  # a failure undoes the handler's writes, not the bookkeeping below
                changed = _handle(event)
        except Exception as exc:  # any failure is recorded and retried, never lost
            log.warning("stripe event %s (%s) failed: %s", event.event_id, event.type, exc)
            event.status = StripeEventStatus.FAILED
            event.last_error = "".join(traceback.format_exception_only(exc)).strip()[:2000]
            event.next_attempt_at = (
                timezone.now() + timedelta(seconds=retry_delay(event.attempts))
                if event.attempts < settings.BILLING_EVENT_MAX_ATTEMPTS
                else None
            )
        else:
            event.status = StripeEventStatus.PROCESSED if changed else StripeEventStatus.IGNORED
            event.last_error = ""
            event.next_attempt_at = None
            event.processed_at = timezone.now()
        event.save(update_fields=["status", "attempts", "last_error", "next_attempt_at", "processed_at"])
        return event.status


def events_due(now=None) -> list[int]:
    """Events the sweep hands to the worker again: failed ones whose retry time has come, and pending ones
    older than a few minutes (their enqueue was lost, e.g. the broker was down)."""
    now = now or timezone.now()
    failed = StripeEvent.objects.filter(
        status=StripeEventStatus.FAILED,
        next_attempt_at__lte=now - timedelta(seconds=SWEEP_SLACK_SECONDS),  # the task's own retry goes first
        attempts__lt=settings.BILLING_EVENT_MAX_ATTEMPTS,
    )
    stuck = StripeEvent.objects.filter(
        status=StripeEventStatus.PENDING, received_at__lte=now - timedelta(minutes=5)
    )
    return list(failed.values_list("pk", flat=True)[:500]) + list(stuck.values_list("pk", flat=True)[:500])
