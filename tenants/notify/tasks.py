"""Notification delivery. Thin: an id in, one service call; retried with backoff while the failure may pass.
The tenant travels with the task (tenant-schemas-celery), the address never does."""

from celery import shared_task
from django.conf import settings

from tenants.notify.services import notification_deliver, retry_delay


@shared_task(bind=True, acks_late=True)
def deliver_notification(self, notification_id: int) -> str | None:
    delivery = notification_deliver(notification_id=notification_id)
    if delivery.retry and self.request.retries < settings.NOTIFY_MAX_RETRIES:
        raise self.retry(countdown=retry_delay(self.request.retries), max_retries=settings.NOTIFY_MAX_RETRIES)
    return delivery.notification.status if delivery.notification else None
