"""The tenant's billing page (/billing/ on the tenant's host, tenant administrators): plan and status, usage
against the plan's limits, choosing a plan (card through Stripe Checkout, or invoice and bank transfer),
the Stripe customer portal, invoices. Thin: each action is one service of billing/services.py."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing import services
from billing.entitlements import billing_enabled, entitlements_for, subscription_for
from billing.models import CollectionMethod, Invoice, Payer, Plan, SubscriptionStatus
from billing.selectors import entitlement_usage, plans_public, price_yuan
from tenants.accounts.actors import Actor
from tenants.accounts.roles import Perm
from tenants.accounts.views import permission_required

INVOICES_SHOWN = 24


def _stripe_locale() -> str:
    return "zh" if (translation.get_language() or "").startswith("zh") else "en"


def _amount(minor: int, currency: str) -> str:
    """An invoice amount in the currency's minor unit (fen for CNY), for display."""
    if currency.lower() == "cny":
        return price_yuan(minor)
    return f"{minor / 100:,.2f} {currency.upper()}"


def _home_url(request, **query) -> str:
    url = request.build_absolute_uri(reverse("billing-home"))
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@permission_required(Perm.MANAGE_BILLING)
def billing_home(request):
    tenant = request.tenant
    enabled = billing_enabled()
    context = {
        "enabled": enabled,
        "usage": entitlement_usage(tenant),
        "plan": entitlements_for(tenant).plan,
    }
    if enabled:
        subscription = subscription_for(tenant)
        subscribed = (
            bool(subscription.stripe_subscription_id) and subscription.status != SubscriptionStatus.CANCELLED
        )
        context.update(
            subscription=subscription,
            plan=subscription.plan,
            reseller_pays=services.payer_for(tenant, subscription) == Payer.RESELLER,
            subscribed=subscribed,
            by_invoice=subscription.collection_method == CollectionMethod.INVOICE,
            plans=[
                {
                    "plan": p,
                    "price": price_yuan(p.monthly_price),
                    "per_rating": price_yuan(p.price_per_rating) if p.price_per_rating else "",
                    "buyable": bool(p.stripe_price_id),
                }
                for p in plans_public()
            ],
            invoices=[
                {
                    "invoice": i,
                    "due": _amount(i.amount_due, i.currency),
                    "paid": _amount(i.amount_paid, i.currency),
                }
                for i in Invoice.objects.filter(tenant=tenant).order_by("-created_at")[:INVOICES_SHOWN]
            ],
            token=services.new_token(),
        )
        outcome = request.GET.get("checkout")
        if outcome == "success":
            messages.success(
                request,
                _(
                    "Thank you. The payment is being confirmed with Stripe; this page shows it within a minute."
                ),
            )
        elif outcome == "cancelled":
            messages.info(request, _("Checkout was cancelled: nothing was charged."))
    return render(request, "billing/home.html", context)


def _plan(request) -> Plan:
    return get_object_or_404(Plan, code=request.POST.get("plan", ""), is_public=True)


def _back_with_error(request, exc: ValidationError):
    for message in exc.messages:
        messages.error(request, message)
    return redirect("billing-home")


@require_POST
@permission_required(Perm.MANAGE_BILLING)
def checkout(request):
    """Card payers: to Stripe's hosted Checkout page."""
    plan = _plan(request)
    try:
        url = services.checkout_start(
            actor=Actor.for_principal(request.user),
            tenant=request.tenant,
            plan=plan,
            email=request.user.email,
            success_url=_home_url(request, checkout="success"),
            cancel_url=_home_url(request, checkout="cancelled"),
            token=request.POST.get("token"),
            locale=_stripe_locale(),
        )
    except ValidationError as exc:
        return _back_with_error(request, exc)
    return redirect(url)


@require_POST
@permission_required(Perm.MANAGE_BILLING)
def invoice_subscribe(request):
    """Agencies paying by bank transfer: an invoiced subscription; Stripe e-mails each invoice."""
    plan = _plan(request)
    try:
        services.invoice_subscription_start(
            actor=Actor.for_principal(request.user),
            tenant=request.tenant,
            plan=plan,
            email=request.user.email,
            token=request.POST.get("token"),
        )
    except ValidationError as exc:
        return _back_with_error(request, exc)
    messages.success(
        request,
        _("Subscribed to %(plan)s. Stripe e-mails the invoice to %(email)s; it is also listed below.")
        % {"plan": plan.name, "email": request.user.email},
    )
    return redirect("billing-home")


@require_POST
@permission_required(Perm.MANAGE_BILLING)
def plan_change(request):
    """A workspace with a subscription moves to another plan (prorated by Stripe)."""
    plan = _plan(request)
    try:
        services.tenant_plan_change(actor=Actor.for_principal(request.user), tenant=request.tenant, plan=plan)
    except ValidationError as exc:
        return _back_with_error(request, exc)
    messages.success(request, _("The plan is now %(plan)s.") % {"plan": plan.name})
    return redirect("billing-home")


@require_POST
@permission_required(Perm.MANAGE_BILLING)
def portal(request):
    """The Stripe customer portal: payment method, invoices, cancellation."""
    try:
        url = services.portal_start(
            actor=Actor.for_principal(request.user),
            tenant=request.tenant,
            return_url=_home_url(request),
            token=request.POST.get("token"),
            locale=_stripe_locale(),
        )
    except ValidationError as exc:
        return _back_with_error(request, exc)
    return redirect(url)
