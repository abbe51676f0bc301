"""National staff remove a reseller's staff member at /reseller/manage/<id>/: the membership goes, the account is
deactivated and signed out everywhere (audited), so every console page refuses them at once and they cannot sign
in again. Only national staff may, and only for the reseller named in the address."""

from django.contrib.sessions.models import Session
from django.urls import reverse

from billing.models import Plan, ResellerMembership, Subscription
from billing.resellers import urls as reseller_urls
from tenants.accounts.models import AuditEvent, User
from tests.conftest import PASSWORD

from .conftest import public_client, staff_create


def _remove_path(reseller, membership) -> str:
    return f"/reseller/manage/{reseller.pk}/staff/{membership.pk}/remove"


def console_urls(tenant_pk: int) -> list[str]:
    """Every page of the reseller console (all of billing/resellers/urls.py but national staff's manage/)."""
    values = {"pk": tenant_pk, "month": "2026-03", "fmt": "csv"}
    urls = []
    for pattern in reseller_urls.urlpatterns:
        if pattern.name.startswith("reseller-manage"):
            continue
        names = pattern.pattern.regex.groupindex
        kwargs = {key: values[key] for key in names}
        urls.append(reverse(pattern.name, kwargs=kwargs, urlconf="config.urls_public"))
    return urls


def _sessions_of(user) -> int:
    return sum(1 for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk))


def test_a_removed_staff_member_is_refused_by_every_console_page_and_cannot_sign_in(national, side_a, alpha):
    # given A's staff member signed in and using the console, and a colleague who stays
    colleague = staff_create(side_a.reseller, "stays@resa.example")
    assert side_a.client.get("/reseller/").status_code == 200 and _sessions_of(side_a.user) == 1
    membership = ResellerMembership.objects.get(user=side_a.user)
    standard = Plan.objects.get(code="standard")
    plan_before = Subscription.objects.get(tenant=alpha.tenant).plan

    # when national staff remove them
    response = national.post(_remove_path(side_a.reseller, membership))

    # then the membership is gone, the account deactivated and its session ended, all audited
    assert response.status_code == 302 and response["Location"] == f"/reseller/manage/{side_a.reseller.pk}/"
    assert not ResellerMembership.objects.filter(pk=membership.pk).exists()
    assert User.objects.get(pk=side_a.user.pk).is_active is False
    assert _sessions_of(side_a.user) == 0
    event = AuditEvent.objects.get(action="reseller.staff_remove")
    assert event.actor_label == "national@test.example"
    assert event.data == {
        "reseller": "resa",
        "user_id": side_a.user.pk,
        "email": "staff@resa.example",
        "sessions_ended": 1,
    }
    # every console page refuses the removed member (sent to sign in), and a write changes nothing
    urls = console_urls(alpha.tenant.pk)
    assert len(urls) >= 10
    for url in urls:
        for method in ("get", "post"):
            refused = getattr(side_a.client, method)(url, {"plan": standard.pk})
            assert refused.status_code in (302, 405), (method, url, refused.status_code)
            if refused.status_code == 302:
                assert "/accounts/login/" in refused["Location"], (method, url)
    assert Subscription.objects.get(tenant=alpha.tenant).plan == plan_before
    # signing in again fails
    again = public_client()
    again.post("/accounts/login/", {"login": "staff@resa.example", "password": PASSWORD})
    assert "_auth_user_id" not in again.session
    assert again.get("/reseller/").status_code == 302
    # the colleague keeps the console; the manage page lists only them
    assert public_client(colleague).get("/reseller/").status_code == 200
    page = national.get(f"/reseller/manage/{side_a.reseller.pk}/").content.decode()
    assert 'data-staff="stays@resa.example"' in page and 'data-staff="staff@resa.example"' not in page


def test_another_resellers_member_is_not_found_and_nobody_else_may_remove(
    national, side_a, side_b, loose_staff
):
    membership = ResellerMembership.objects.get(user=side_b.user)
    # B's member through A's address: not found
    assert national.post(_remove_path(side_a.reseller, membership)).status_code == 404
    # reseller staff (even B's own) and staff without a membership may not remove anyone
    assert side_b.client.post(_remove_path(side_b.reseller, membership)).status_code == 403
    assert loose_staff.post(_remove_path(side_b.reseller, membership)).status_code == 403
    # nothing changed
    assert ResellerMembership.objects.filter(pk=membership.pk).exists()
    assert User.objects.get(pk=side_b.user.pk).is_active is True
    assert side_b.client.get("/reseller/").status_code == 200
    assert not AuditEvent.objects.filter(action="reseller.staff_remove").exists()


def test_removing_is_a_post(national, side_a):
    membership = ResellerMembership.objects.get(user=side_a.user)
    assert national.get(_remove_path(side_a.reseller, membership)).status_code == 405
    assert ResellerMembership.objects.filter(pk=membership.pk).exists()
