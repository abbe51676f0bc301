"""The plan catalogue: national staff edit plans at /billing/plans/ on the control plane (audited, validated,
nobody else), the product page shows the plans from the database, the console shows each tenant's plan, and
the tenant's usage per feature (billing.selectors.entitlement_usage)."""

from decimal import Decimal

import pytest
from control_plane.console.selectors import tenant_plan_label
from django_tenants.utils import schema_context

from billing.models import Plan, Subscription
from billing.selectors import entitlement_usage, plans_public, price_yuan
from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent, User
from tenants.accounts.roles import Role
from tenants.accounts.services import user_create
from tests.billing.entitlement_fixtures import admin_client, english, on_plan, used  # noqa: F401
from tests.conftest import NATIONAL_EMAIL, host_client
from tests.console.conftest import public_client

pytestmark = pytest.mark.usefixtures("english")
SYSTEM = Actor.system("tests")


@pytest.fixture
def national(tenant_pair, db):
    """National staff on the control plane (Perm.MANAGE_TENANTS)."""
    with schema_context("public"):
        return public_client(User.objects.get(email=NATIONAL_EMAIL))


@pytest.fixture
def viewer(tenant_pair, db):
    """Reseller staff on the control plane: no Perm.MANAGE_TENANTS."""
    with schema_context("public"):
        user = user_create(actor=SYSTEM, email="reseller-plans@test.example", role=Role.RESELLER_STAFF)
        return public_client(user)


def plan_form(plan: Plan, **overrides) -> dict:
    """The edit form as the page fills it for `plan`, with `overrides`."""
    body = {
        "name": plan.name,
        "audience": plan.audience,
        "description": plan.description,
        "max_halls": "" if plan.max_halls is None else str(plan.max_halls),
        "max_windows": "" if plan.max_windows is None else str(plan.max_windows),
        "max_devices": "" if plan.max_devices is None else str(plan.max_devices),
        "max_staff": "" if plan.max_staff is None else str(plan.max_staff),
        "trial_days": str(plan.trial_days),
        "monthly_price_yuan": str(Decimal(plan.monthly_price) / 100),
        "price_per_rating": "" if plan.price_per_rating is None else str(plan.price_per_rating),
        "stripe_price_id": plan.stripe_price_id,
        "stripe_metered_price_id": plan.stripe_metered_price_id,
        "sort_order": str(plan.sort_order),
    }
    for switch in ("api_access", "reports", "public_portal", "national_feed", "is_public", "highlighted"):
        if getattr(plan, switch):
            body[switch] = "on"
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


# --- the list and the edit form ----------------------------------------------------------------------------
def test_national_staff_see_every_plan_with_its_limits_and_prices(national):
    page = national.get("/billing/plans/")
    assert page.status_code == 200
    html = page.content.decode()
    for code in ("basic", "standard", "flagship"):
        assert f'data-plan="{code}"' in html
    assert "基础版" in html and "¥980" in html and "¥4,980" in html and "+ ¥0.005 per rating" in html
    assert "unlimited" in html
    assert 'id="billing-disabled"' in html and "Billing is disabled" in html  # no Stripe key in tests


def test_the_plans_page_does_not_say_billing_is_disabled_when_it_is_not(national, settings):
    settings.STRIPE_API_KEY = "sk_test_x"
    assert 'id="billing-disabled"' not in national.get("/billing/plans/").content.decode()


def test_national_staff_edit_limits_switches_price_and_stripe_ids_and_it_is_audited(national):
    basic = Plan.objects.get(code="basic")
    body = plan_form(
        basic,
        max_halls="3",
        max_windows="",  # empty: unlimited
        max_staff="0",  # zero is a limit
        monthly_price_yuan="1280.50",
        price_per_rating="0.2500",
        stripe_price_id="price_1BasicMonthly",
        reports="on",
    )
    response = national.post("/billing/plans/basic/", body)

    assert response.status_code == 302 and response["Location"] == "/billing/plans/"
    basic.refresh_from_db()
    assert (basic.max_halls, basic.max_windows, basic.max_staff) == (3, None, 0)
    assert (basic.monthly_price, basic.price_per_rating) == (128050, Decimal("0.2500"))
    assert basic.stripe_price_id == "price_1BasicMonthly" and basic.reports is True
    audit = AuditEvent.objects.get(action="billing.plan_update", target_id=str(basic.pk))
    assert audit.actor_label == national.user.email
    assert audit.data["changed"]["max_windows"] == [10, None]
    assert audit.data["changed"]["monthly_price"] == [98000, 128050]
    assert "name" not in audit.data["changed"]  # only what changed


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_halls", "-1"),
        ("max_devices", "1.5"),
        ("max_staff", "many"),
        ("monthly_price_yuan", "-5"),
        ("price_per_rating", "-0.1"),
        ("stripe_price_id", "prod_123"),
        ("name", ""),
    ],
)
def test_bad_values_are_refused_naming_the_field_and_nothing_changes(national, field, value):
    basic = Plan.objects.get(code="basic")
    before = Plan.objects.filter(pk=basic.pk).values().get()

    response = national.post("/billing/plans/basic/", plan_form(basic, **{field: value}))

    assert response.status_code == 400
    assert 'class="error-summary"' in response.content.decode()
    assert Plan.objects.filter(pk=basic.pk).values().get() == before
    assert not AuditEvent.objects.filter(action="billing.plan_update").exists()


def test_the_service_refuses_negative_limits_too(tenant_pair, db):
    from django.core.exceptions import ValidationError

    from billing.plans import plan_update

    basic = Plan.objects.get(code="basic")
    with pytest.raises(ValidationError) as refused:
        plan_update(actor=SYSTEM, plan=basic, max_windows=-1, max_devices=None, stripe_price_id="nope")
    assert set(refused.value.message_dict) == {"max_windows", "stripe_price_id"}
    basic.refresh_from_db()
    assert basic.max_windows == 10


def test_an_unknown_plan_is_a_404(national):
    assert national.get("/billing/plans/nothing-like-it/").status_code == 404


# --- who may -------------------------------------------------------------------------------------------------
def test_reseller_staff_may_not_see_or_edit_plans(viewer):
    basic = Plan.objects.get(code="basic")
    assert viewer.get("/billing/plans/").status_code == 403
    assert viewer.post("/billing/plans/basic/", plan_form(basic, max_halls="99")).status_code == 403
    basic.refresh_from_db()
    assert basic.max_halls == 1


def test_anonymous_visitors_are_sent_to_sign_in(tenant_pair, db):
    basic = Plan.objects.get(code="basic")
    client = host_client("localhost")
    for response in (
        client.get("/billing/plans/"),
        client.post("/billing/plans/basic/", plan_form(basic, max_halls="99")),
    ):
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    basic.refresh_from_db()
    assert basic.max_halls == 1


def test_a_tenant_administrator_cannot_reach_the_plans_on_a_tenant_host(alpha):
    basic = Plan.objects.get(code="basic")
    admin = admin_client(alpha)
    assert admin.get("/billing/plans/").status_code == 404
    assert admin.post("/billing/plans/basic/", plan_form(basic, max_halls="99")).status_code == 404
    basic.refresh_from_db()
    assert basic.max_halls == 1


# --- the product page ----------------------------------------------------------------------------------------
def test_the_product_page_shows_the_public_plans_from_the_database(tenant_pair, db):
    Plan.objects.filter(code="standard").update(name="城市版", monthly_price=500000, max_windows=120)
    Plan.objects.filter(code="flagship").update(is_public=False)

    html = host_client("localhost", HTTP_ACCEPT_LANGUAGE="en").get("/").content.decode()

    assert "基础版" in html and "城市版" in html and "旗舰版" not in html
    assert "¥5,000 a month" in html and "Up to 120 windows" in html and "Up to 1 hall" in html
    assert "plus ¥0.005 per rating" in html and "free 30-day trial" in html
    assert [p.code for p in plans_public()] == ["basic", "standard"]


# --- the console -----------------------------------------------------------------------------------------------
def test_the_console_says_billing_is_disabled_and_names_the_default_plan(national, alpha):
    assert tenant_plan_label(alpha.tenant) == "旗舰版 (billing disabled)"
    html = national.get("/console/").content.decode()
    assert "旗舰版 (billing disabled)" in html


def test_the_console_shows_the_subscriptions_plan_and_status(national, alpha, beta, settings):
    settings.STRIPE_API_KEY = "sk_test_x"
    on_plan(alpha, "basic")
    Subscription.objects.filter(tenant=beta.tenant).delete()
    Subscription.objects.create(tenant=beta.tenant, plan=Plan.objects.get(code="standard"), status="past_due")

    html = national.get("/console/").content.decode()
    detail = national.get(f"/console/tenants/{alpha.tenant.pk}/").content.decode()

    assert "基础版 · Active" in html and "标准版 · Payment overdue (grace period)" in html
    assert "基础版 · Active" in detail


# --- the usage selector (the tenant's billing page) -------------------------------------------------------------
def test_entitlement_usage_lists_each_feature_with_used_limit_and_allowed(world, settings):
    settings.STRIPE_API_KEY = "sk_test_x"
    on_plan(world.info, "basic", max_windows=used(world.info, "windows"))

    rows = {row.feature: row for row in entitlement_usage(world.info.tenant)}

    assert list(rows) == ["halls", "windows", "devices", "staff", "api", "reports", "portal", "national_feed"]
    windows, halls = rows["windows"], rows["halls"]
    assert (windows.used, windows.limit, windows.allowed, windows.counted) == (
        used(world.info, "windows"), used(world.info, "windows"), False, True
    )  # fmt: skip
    assert (halls.limit, halls.label) == (1, "halls")
    assert rows["api"].allowed is False and rows["portal"].allowed is True
    assert rows["api"].used is None and rows["api"].counted is False


def test_entitlement_usage_with_billing_disabled_is_the_default_plan(world):
    rows = {row.feature: row for row in entitlement_usage(world.info.tenant)}
    assert all(row.allowed for row in rows.values())  # flagship: unlimited, everything included
    assert rows["windows"].limit is None and rows["windows"].used == used(world.info, "windows")
    assert not Subscription.objects.filter(tenant=world.info.tenant).exists()  # none made while disabled


def test_prices_are_shown_in_yuan():
    assert [price_yuan(v) for v in (98000, 128050, 100, Decimal("0.5"), 0)] == [
        "¥980", "¥1,280.50", "¥1", "¥0.005", "¥0"
    ]  # fmt: skip
