from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenants.accounts.roles import Perm, has_permission
from tenants.accounts.views import permission_required
from tenants.notify.models import Notification, NotificationStatus, NotifyChannel
from tenants.notify.selectors import notifications_recent
from tenants.notify.services import notification_retry

PAGE_SIZE = 50
RETRY_PERM = Perm.SUPERVISE_CASES


@permission_required(Perm.VIEW_AUDIT)
def notification_list(request):
    """Recent e-mail and SMS to evaluators: masked address, status, attempts; failed ones can be retried."""
    status, channel = request.GET.get("status", ""), request.GET.get("channel", "")
    reference = request.GET.get("reference", "").strip()[:100]
    page = Paginator(notifications_recent(status=status, channel=channel, reference=reference), PAGE_SIZE)
    return render(
        request,
        "notify/list.html",
        {
            "page": page.get_page(request.GET.get("page")),
            "status": status,
            "channel": channel,
            "reference": reference,
            "statuses": NotificationStatus.choices,
            "channels": NotifyChannel.choices,
            "can_retry": has_permission(request.user.role, RETRY_PERM),
        },
    )


@require_POST
@permission_required(RETRY_PERM)
def notification_retry_view(request, pk: int):
    notification = get_object_or_404(Notification.objects.defer("recipient", "body"), pk=pk)
    try:
        notification_retry(actor=request.user.actor, notification=notification)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Notification %(id)s queued again.") % {"id": pk})
    return redirect("notify-list")
