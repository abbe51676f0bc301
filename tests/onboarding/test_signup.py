"""Sign-up with allauth on the control plane: open there only, e-mail verification mandatory (through a real SMTP
server), then the applicant lands on their applications; staff on tenant hosts are unaffected."""

import re

from allauth.account.models import EmailAddress
from django_tenants.utils import schema_context

from tenants.accounts.models import User
from tests.conftest import PASSWORD, host_client
from tests.onboarding.conftest import CONTROL_PLANE

EMAIL = "zhang@newcity.example"


def _link(smtp) -> str:
    assert smtp.messages, "no e-mail was sent"
    _to, message = smtp.messages[-1]
    body = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"https?://\S+/accounts/confirm-email/\S+/", body)
    assert match, body
    return match.group(0)


def test_sign_up_verify_the_address_and_land_on_the_applications(tenant_pair, db, smtp):
    client = host_client(CONTROL_PLANE, HTTP_ACCEPT_LANGUAGE="en")
    page = client.get("/accounts/signup/")
    assert page.status_code == 200
    response = client.post(
        "/accounts/signup/", {"email": EMAIL, "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/confirm-email/"
    with schema_context("public"):
        user = User.objects.get(email=EMAIL)
        assert user.role == ""
        assert not EmailAddress.objects.get(user=user).verified
    # not signed in until the address is confirmed
    assert client.get("/onboarding/").status_code == 302
    assert smtp.messages[-1][0] == [EMAIL]

    link = _link(smtp)
    path = link.split(CONTROL_PLANE, 1)[1]
    assert client.get(path).status_code == 200
    confirmed = client.post(path)
    assert confirmed.status_code == 302 and confirmed["Location"] == "/onboarding/"
    with schema_context("public"):
        assert EmailAddress.objects.get(user__email=EMAIL).verified
    assert client.get("/onboarding/apply/").status_code == 200


def test_an_unverified_applicant_cannot_sign_in_and_gets_a_new_link(tenant_pair, db, smtp):
    with schema_context("public"):
        user = User.objects.create_user(email=EMAIL, password=PASSWORD, role="")
        EmailAddress.objects.create(user=user, email=EMAIL, primary=True, verified=False)
    client = host_client(CONTROL_PLANE, HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/accounts/login/", {"login": EMAIL, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/accounts/confirm-email/"
    assert client.get("/onboarding/").status_code == 302
    assert _link(smtp)


def test_sign_up_stays_closed_on_tenant_hosts(alpha, smtp):
    client = host_client(alpha.host, HTTP_ACCEPT_LANGUAGE="en")
    page = client.get("/accounts/signup/")
    assert page.status_code == 200 and "Sign Up Closed" in page.content.decode()
    client.post("/accounts/signup/", {"email": EMAIL, "password1": PASSWORD, "password2": PASSWORD})
    with schema_context(alpha.schema):
        assert not User.objects.filter(email=EMAIL).exists()
    assert not smtp.messages


def test_tenant_staff_still_sign_in_directly(alpha):
    client = host_client(alpha.host)
    response = client.post("/accounts/login/", {"login": alpha.admin_email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"


def test_national_staff_still_sign_in_on_the_control_plane(tenant_pair, db):
    from tests.conftest import NATIONAL_EMAIL

    client = host_client(CONTROL_PLANE)
    response = client.post("/accounts/login/", {"login": NATIONAL_EMAIL, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
