from django.db.models import QuerySet

from tenants.notify.models import Notification, NotificationStatus, NotifyChannel


def notifications_recent(
    *, status: str = "", channel: str = "", reference: str = ""
) -> QuerySet[Notification]:
    """Newest first; the encrypted address is not loaded (pages show the masked one)."""
    rows = Notification.objects.defer("recipient", "body")
    if status in NotificationStatus.values:
        rows = rows.filter(status=status)
    if channel in NotifyChannel.values:
        rows = rows.filter(channel=channel)
    if reference:
        rows = rows.filter(reference=reference)
    return rows


def notifications_for(*, reference: str) -> QuerySet[Notification]:
    """Everything sent about one thing (e.g. "case:123"), oldest first."""
    return Notification.objects.defer("recipient").filter(reference=reference).order_by("created_at", "id")
