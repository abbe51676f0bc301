"""Plans at wholesale prices: the reseller sees the plans it sells with wholesale and retail prices, and moves
its tenants among them (billing.services.subscription_set_plan); a plan it has no price for is refused."""

from billing.models import Plan, Subscription
from tenants.accounts.models import AuditEvent


def test_the_plans_page_shows_wholesale_and_retail_prices(side_a):
    html = side_a.client.get("/reseller/plans/").content.decode()
    flagship = Plan.objects.get(code="flagship")
    assert (
        'data-plan="standard"' in html and 'data-plan="flagship"' in html and 'data-plan="basic"' not in html
    )
    assert "¥300.00" in html and "¥800.00" in html
    assert f"¥{flagship.monthly_price / 100:,.2f}" in html


def test_the_tenant_page_shows_status_plan_and_usage(side_a, alpha):
    response = side_a.client.get(f"/reseller/tenants/{alpha.tenant.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert alpha.tenant.name in html and 'data-feature="halls"' in html and 'data-feature="staff"' in html
    assert {u.feature for u in response.context["usage"]} >= {"halls", "windows", "devices", "staff", "api"}
    staff = next(u for u in response.context["usage"] if u.feature == "staff")
    assert staff.used >= 1  # alpha's administrator


def test_a_tenant_moves_to_another_plan_the_reseller_sells(side_a, alpha):
    # given alpha on A's standard plan
    standard, flagship = Plan.objects.get(code="standard"), Plan.objects.get(code="flagship")
    Subscription.objects.filter(tenant=alpha.tenant).update(plan=standard)
    # when A's staff move it to flagship
    response = side_a.client.post(f"/reseller/tenants/{alpha.tenant.pk}/plan", {"plan": flagship.pk})
    # then
    assert response.status_code == 302
    assert Subscription.objects.get(tenant=alpha.tenant).plan == flagship
    event = AuditEvent.objects.get(action="billing.plan_change", actor_id=side_a.user.pk)
    assert event.data == {"tenant": "alpha", "from": "standard", "to": "flagship"}


def test_a_plan_without_a_wholesale_price_is_refused(side_a, alpha):
    standard, basic = Plan.objects.get(code="standard"), Plan.objects.get(code="basic")
    Subscription.objects.filter(tenant=alpha.tenant).update(plan=standard)
    response = side_a.client.post(f"/reseller/tenants/{alpha.tenant.pk}/plan", {"plan": basic.pk})
    assert response.status_code == 400
    assert Subscription.objects.get(tenant=alpha.tenant).plan == standard
    assert not AuditEvent.objects.filter(action="billing.plan_change").exists()
