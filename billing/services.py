"""Billing writes. Every state change takes an actor, runs in one transaction and leaves an audit row.

The Stripe seam (billing/stripe_client.py, billing/webhooks.py) calls into these; the reseller console and
the national console call `subscription_set_plan`.
"""

from __future__ import annotations

from django.db import transaction

from billing.entitlements import subscription_for
from billing.models import Plan, Subscription
from tenants.accounts.actors import Actor
from tenants.accounts.services import audit_record


@transaction.atomic
def subscription_set_plan(*, actor: Actor, tenant, plan: Plan) -> Subscription:
    """Move a tenant to another plan (locally; with billing enabled the Stripe subscription follows)."""
    subscription = Subscription.objects.select_for_update().get(pk=subscription_for(tenant).pk)
    before = subscription.plan.code
    subscription.plan = plan
    subscription.save(update_fields=["plan", "updated_at"])
    audit_record(
        actor=actor,
        action="billing.plan_change",
        target=subscription,
        data={"tenant": tenant.slug, "from": before, "to": plan.code},
    )
    return subscription
