"""Billing on the control-plane host: Stripe's webhook endpoint and the national staff's list of Stripe events
(status, attempts, last error; a failed event can be retried at once)."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing import services, webhooks
from billing.models import StripeEvent, StripeEventStatus
from tenants.accounts.actors import Actor
from tenants.accounts.roles import Perm, has_permission
from tenants.accounts.views import permission_required

PAGE_SIZE = 50
log = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's deliveries: 400 unless signed with STRIPE_WEBHOOK_SECRET; 200 once stored (or already was)."""
    try:
        event, created = webhooks.event_receive(request.body, request.headers.get("Stripe-Signature", ""))
    except webhooks.WebhookRefused as exc:  # the reason is for our log, never for whoever posted it
        log.warning("stripe webhook refused: %s", exc)
        return JsonResponse({"error": "invalid signature or payload"}, status=400)
    return JsonResponse({"received": True, "duplicate": not created, "id": event.event_id})


@permission_required(Perm.VIEW_NATIONAL)
def events(request):
    status = request.GET.get("status", "")
    rows = StripeEvent.objects.order_by("-received_at", "-pk").defer("payload")
    if status in StripeEventStatus.values:
        rows = rows.filter(status=status)
    else:
        status = ""
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "billing/events.html",
        {
            "page": page,
            "status": status,
            "statuses": StripeEventStatus.choices,
            "query": urlencode({"status": status}) if status else "",
            "can_retry": has_permission(request.user.role, Perm.MANAGE_TENANTS),
            "failed_count": StripeEvent.objects.filter(status=StripeEventStatus.FAILED).count(),
        },
    )


@require_POST
@permission_required(Perm.MANAGE_TENANTS)
def event_retry(request, pk: int):
    event = get_object_or_404(StripeEvent, pk=pk)
    try:
        services.stripe_event_retry(actor=Actor.for_principal(request.user), event=event)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Event %(id)s will be processed again now.") % {"id": event.event_id})
    return redirect(
        request.POST.get("next")
        if request.POST.get("next", "").startswith("/billing/events/")
        else "billing-events"
    )
