"""National staff manage resellers at /reseller/manage/: create one, add staff (invited by e-mail with a one-time
link, or with a password), set wholesale prices; every change is audited. Nobody else may."""

import re
from decimal import Decimal

import pytest

from billing.models import BillingModel, Plan, Reseller, ResellerMembership, WholesalePrice
from tenants.accounts.models import AuditEvent, User
from tenants.accounts.roles import Role
from tests.conftest import PASSWORD

from .conftest import public_client

NEW_RESELLER = {
    "name": "庚代理公司",
    "slug": "resg",
    "contact_email": "sales@resg.example",
    "billing_model": BillingModel.DIRECT,
    "commission_percent": "15.5",
}


def test_national_staff_create_a_reseller(national):
    response = national.post("/reseller/manage/new/", NEW_RESELLER)
    reseller = Reseller.objects.get(slug="resg")
    assert response.status_code == 302 and response["Location"] == f"/reseller/manage/{reseller.pk}/"
    assert (reseller.name, reseller.billing_model, reseller.commission_percent) == (
        "庚代理公司",
        BillingModel.DIRECT,
        Decimal("15.50"),
    )
    event = AuditEvent.objects.get(action="reseller.create", target_id=str(reseller.pk))
    assert event.actor_label == "national@test.example" and event.data["commission_percent"] == "15.50"
    assert 'data-reseller="resg"' in national.get("/reseller/manage/").content.decode()


def test_a_bad_reseller_is_refused_and_nothing_is_made(national, side_a):
    taken = national.post("/reseller/manage/new/", {**NEW_RESELLER, "slug": "resa"})
    assert taken.status_code == 400 and "Another reseller uses" in taken.content.decode()
    too_much = national.post("/reseller/manage/new/", {**NEW_RESELLER, "commission_percent": "120"})
    assert too_much.status_code == 400
    two_lines = national.post(
        "/reseller/manage/new/", {**NEW_RESELLER, "name": "庚代理公司\nBcc: x@example.com"}
    )
    assert two_lines.status_code == 400 and "must be one line" in two_lines.content.decode()
    assert not Reseller.objects.filter(name="庚代理公司").exists()
    assert not AuditEvent.objects.filter(action="reseller.create").exists()


def test_national_staff_edit_a_reseller(national, side_a):
    data = {**NEW_RESELLER, "slug": "resa", "is_active": ""}
    response = national.post(f"/reseller/manage/{side_a.reseller.pk}/edit/", data)
    assert response.status_code == 302
    side_a.reseller.refresh_from_db()
    assert (side_a.reseller.billing_model, side_a.reseller.is_active) == (BillingModel.DIRECT, False)
    event = AuditEvent.objects.get(action="reseller.update")
    assert event.data["changes"]["billing_model"] == ["wholesale", "direct"]
    assert side_a.client.get("/reseller/").status_code == 403  # an inactive reseller has no console


def test_a_staff_member_is_invited_and_sets_a_password_with_the_one_time_link(
    national, side_a, mailoutbox, django_capture_on_commit_callbacks
):
    # when national staff add someone without a password
    with django_capture_on_commit_callbacks(execute=True):
        response = national.post(
            f"/reseller/manage/{side_a.reseller.pk}/staff",
            {"email": "New.Staff@resa.example", "display_name": "李"},
        )
    assert response.status_code == 302
    # then the account is reseller staff of A, without a password, and an invitation was e-mailed
    user = User.objects.get(email="new.staff@resa.example")
    assert user.role == Role.RESELLER_STAFF and not user.has_usable_password()
    assert ResellerMembership.objects.get(user=user).reseller == side_a.reseller
    assert AuditEvent.objects.filter(
        action="reseller.staff_add", actor_label="national@test.example"
    ).exists()
    (mail,) = [m for m in mailoutbox if m.to == ["new.staff@resa.example"]]
    assert "甲代理公司" in mail.subject
    link = re.search(r"http://localhost(/accounts/password/reset/key/\S+)", mail.body).group(1)
    # and the link lets them choose a password, once
    visitor = public_client()
    landing = visitor.get(link)
    assert landing.status_code == 302
    form_url = landing["Location"]
    done = visitor.post(form_url, {"password1": "a-fresh-Passw0rd!", "password2": "a-fresh-Passw0rd!"})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-fresh-Passw0rd!")
    again = public_client().get(link)
    assert again.status_code == 200 and again.context["token_fail"] is True


def test_a_staff_member_with_a_password_signs_in_to_the_console(national, side_a, mailoutbox):
    response = national.post(
        f"/reseller/manage/{side_a.reseller.pk}/staff", {"email": "pw@resa.example", "password": PASSWORD}
    )
    assert response.status_code == 302 and not mailoutbox
    client = public_client()
    signed_in = client.post("/accounts/login/", {"login": "pw@resa.example", "password": PASSWORD})
    assert signed_in.status_code == 302
    assert client.get("/reseller/").status_code == 200


def test_an_existing_address_or_a_weak_password_is_refused(national, side_a, side_b):
    taken = national.post(f"/reseller/manage/{side_a.reseller.pk}/staff", {"email": "staff@resb.example"})
    weak = national.post(
        f"/reseller/manage/{side_a.reseller.pk}/staff", {"email": "x@resa.example", "password": "123"}
    )
    assert taken.status_code == 400 and weak.status_code == 400
    assert ResellerMembership.objects.get(user__email="staff@resb.example").reseller == side_b.reseller
    assert not User.objects.filter(email="x@resa.example").exists()


def test_national_staff_set_wholesale_prices(national, side_a):
    basic, standard, flagship = (Plan.objects.get(code=c) for c in ("basic", "standard", "flagship"))
    response = national.post(
        f"/reseller/manage/{side_a.reseller.pk}/prices",
        {f"plan_{basic.pk}": "45.50", f"plan_{standard.pk}": "280", f"plan_{flagship.pk}": ""},
    )
    assert response.status_code == 302
    prices = dict(
        WholesalePrice.objects.filter(reseller=side_a.reseller).values_list("plan__code", "monthly_price")
    )
    assert prices == {"basic": 4550, "standard": 28000}
    event = AuditEvent.objects.get(action="reseller.wholesale_prices")
    assert event.data == {"before": {"standard": 30000, "flagship": 80000}, "after": prices}
    negative = national.post(f"/reseller/manage/{side_a.reseller.pk}/prices", {f"plan_{basic.pk}": "-1"})
    assert negative.status_code == 400
    assert WholesalePrice.objects.get(reseller=side_a.reseller, plan=basic).monthly_price == 4550


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/reseller/manage/"),
        ("get", "/reseller/manage/new/"),
        ("post", "/reseller/manage/new/"),
        ("get", "/reseller/manage/{pk}/"),
        ("post", "/reseller/manage/{pk}/edit/"),
        ("post", "/reseller/manage/{pk}/staff"),
        ("post", "/reseller/manage/{pk}/prices"),
    ],
)
def test_only_national_staff_manage_resellers(method, path, side_a, loose_staff):
    path = path.format(pk=side_a.reseller.pk)
    data = {**NEW_RESELLER, "email": "intruder@resa.example"}
    assert getattr(side_a.client, method)(path, data).status_code == 403
    assert getattr(loose_staff, method)(path, data).status_code == 403
    anonymous = getattr(public_client(), method)(path, data)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert not Reseller.objects.filter(slug="resg").exists()
    assert not User.objects.filter(email="intruder@resa.example").exists()
    side_a.reseller.refresh_from_db()
    assert side_a.reseller.billing_model == BillingModel.WHOLESALE
