"""Who pays decides what a reseller may do and what a trial means: a wholesale tenant (its reseller pays) is active
from its set-up and never made read-only by a trial's end; a directly paying tenant's plan is the tenant's to change
(its card is charged), read-only in the reseller console; a retried wholesale set-up asks Stripe for the reseller's
subscription with the same idempotency key and parameters, so a retry cannot make a second subscription."""

from datetime import timedelta

import pytest
from control_plane.onboarding.models import SignupRequest, SignupStatus
from control_plane.onboarding.services import signup_request_provision, signup_request_retry
from django.utils import timezone

from billing import services
from billing.models import Payer, Plan, Subscription, SubscriptionStatus, WholesalePrice
from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent
from tenants.middleware import host_cache_clear
from tenants.models import Tenant
from tests.billing.entitlement_fixtures import admin_client, billing_on  # noqa: F401 (fixture)
from tests.billing.stripe_recordings.fixtures import stripe_api_fixture  # noqa: F401 (fixture)
from tests.resellers.test_provisioning import _form, _post

S = SubscriptionStatus
NATIONAL = Actor.system("tests")


def _banner(page) -> str:
    html = page.content.decode()
    return html.split('id="billing-banner"')[1].split("</div>")[0] if 'id="billing-banner"' in html else ""


# --- #5 a wholesale tenant has no trial to end ------------------------------------------------------------------
@pytest.mark.usefixtures("billing_on")
def test_a_wholesale_tenant_is_active_from_its_set_up_and_stays_so_after_the_trial_days(
    side_a, django_capture_on_commit_callbacks
):
    # given billing on and plans Stripe does not bill yet (the seed plans: no Stripe price)
    _post(side_a.client, _form(), django_capture_on_commit_callbacks)
    # when the worker sets up A's customer
    signup = signup_request_provision(signup_request_id=SignupRequest.objects.get(slug="gengxian").pk)
    # then the reseller pays and the subscription is active, with no trial end
    assert signup.status == SignupStatus.READY
    subscription = Subscription.objects.get(tenant__slug="gengxian")
    assert (subscription.payer, subscription.status, subscription.trial_ends_at) == (
        Payer.RESELLER,
        S.ACTIVE,
        None,
    )
    assert AuditEvent.objects.filter(action="billing.reseller_pays", target_id=str(subscription.pk)).exists()
    # and long after the trial days it is still active
    later = timezone.now() + timedelta(days=subscription.plan.trial_days + 30)
    services.dunning_advance(now=later)
    assert Subscription.objects.get(pk=subscription.pk).status == S.ACTIVE


@pytest.mark.usefixtures("billing_on")
def test_the_trial_end_passes_over_tenants_their_reseller_pays_for(side_a, alpha, beta):
    # given three trials that ended without a Stripe subscription: alpha, a tenant of wholesale reseller A (its
    # payer recorded, or not yet), and beta, which pays for itself
    ended = timezone.now() - timedelta(days=1)
    Subscription.objects.filter(tenant=alpha.tenant).update(
        status=S.TRIALING, trial_ends_at=ended, payer=Payer.TENANT, stripe_subscription_id=""
    )
    Subscription.objects.update_or_create(
        tenant=beta.tenant,
        defaults={"plan": Plan.objects.get(code="standard"), "status": S.TRIALING, "trial_ends_at": ended},
    )
    # when the dunning task runs
    assert services.dunning_advance() == {"unpaid": 1, "archived": 0}
    # then only the tenant that pays for itself is read-only
    assert Subscription.objects.get(tenant=beta.tenant).status == S.UNPAID
    assert Subscription.objects.get(tenant=alpha.tenant).status == S.TRIALING
    # the same with the reseller recorded as payer; and its administrators see no trial announcement
    Subscription.objects.filter(tenant=alpha.tenant).update(
        payer=Payer.RESELLER, trial_ends_at=timezone.now() + timedelta(days=3)
    )
    host_cache_clear()
    assert _banner(admin_client(alpha).get("/")) == ""
    Subscription.objects.filter(tenant=alpha.tenant).update(trial_ends_at=ended)
    assert services.dunning_advance() == {"unpaid": 0, "archived": 0}
    assert Subscription.objects.get(tenant=alpha.tenant).status == S.TRIALING


# --- #6 a directly paying tenant's plan is its own -------------------------------------------------------------
def test_a_direct_tenants_plan_is_read_only_for_its_reseller_and_a_change_is_refused(
    stripe_api, side_b, beta
):
    # given beta paying for itself (B bills directly) on basic, with its own Stripe subscription line, and B
    # selling standard too
    basic, standard = Plan.objects.get(code="basic"), Plan.objects.get(code="standard")
    WholesalePrice.objects.create(reseller=side_b.reseller, plan=standard, monthly_price=20000)
    Subscription.objects.filter(tenant=beta.tenant).update(
        plan=basic,
        payer=Payer.TENANT,
        status=S.ACTIVE,
        stripe_subscription_id="sub_1SZkQpL2eZvKYlo2C0hXbQ7y",
        stripe_subscription_item_id="si_TQxA1basicLine0001",
    )
    # the tenant page shows the plan read-only, with where the tenant changes it
    page = side_b.client.get(f"/reseller/tenants/{beta.tenant.pk}/").content.decode()
    assert 'id="plan-read-only"' in page and "http://beta.localhost/billing/" in page
    assert f'action="/reseller/tenants/{beta.tenant.pk}/plan"' not in page

    # when B's staff post a change anyway
    response = side_b.client.post(f"/reseller/tenants/{beta.tenant.pk}/plan", {"plan": standard.pk})

    # then it is refused: the plan is unchanged, Stripe was not called, nothing was recorded
    assert response.status_code == 400 and "pays for its own subscription" in response.content.decode()
    assert Subscription.objects.get(tenant=beta.tenant).plan == basic
    assert stripe_api.sent == []
    assert not AuditEvent.objects.filter(action="billing.plan_change").exists()


def test_a_wholesale_tenants_plan_stays_the_resellers_to_change(side_a, alpha):
    page = side_a.client.get(f"/reseller/tenants/{alpha.tenant.pk}/").content.decode()
    assert f'action="/reseller/tenants/{alpha.tenant.pk}/plan"' in page and 'id="plan-read-only"' not in page


# --- #20 a retried wholesale set-up makes one reseller subscription ------------------------------------------------
def test_a_retried_wholesale_set_up_asks_stripe_again_with_the_same_key_and_parameters(
    stripe_api, side_a, django_capture_on_commit_callbacks
):
    # given Stripe failing the reseller's subscription on the first set-up
    stripe_api.answer(
        "POST",
        "/v1/subscriptions",
        {"error": {"type": "invalid_request_error", "message": "Request failed, try again."}},
        status=400,
    )
    _post(side_a.client, _form(), django_capture_on_commit_callbacks)
    signup = signup_request_provision(signup_request_id=SignupRequest.objects.get(slug="gengxian").pk)
    assert signup.status == SignupStatus.FAILED
    first_tenant = Tenant.objects.filter(slug="gengxian").first()

    # when Stripe answers again and national staff retry the set-up
    stripe_api.overrides.clear()
    signup_request_retry(actor=NATIONAL, signup_request=signup)
    signup = signup_request_provision(signup_request_id=signup.pk)

    # then the set-up is done on the same tenant, and the subscription was asked for twice in the same words
    assert signup.status == SignupStatus.READY
    tenant = Tenant.objects.get(slug="gengxian")
    assert first_tenant is not None and first_tenant.pk == tenant.pk
    first, second = stripe_api.calls("POST", "/v1/subscriptions")
    assert (
        first.idempotency_key
        == second.idempotency_key
        == f"wholesale-subscription-{side_a.reseller.pk}-{tenant.pk}"
    )
    assert first.params == second.params
    subscription = Subscription.objects.get(tenant=tenant)
    assert (subscription.payer, subscription.stripe_subscription_id) == (
        Payer.RESELLER,
        "sub_1SZmB7L2eZvKYlo2Yq4kP1dS",
    )
