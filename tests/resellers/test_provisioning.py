"""A reseller sets up a tenant for a customer through the onboarding pipeline: the application's validation, the
same worker and progress, the tenant belongs to the reseller with the right payer, and the customer's contact is
invited as the first administrator."""

import re

import pytest
from control_plane.onboarding.models import SignupRequest, SignupStatus
from control_plane.onboarding.services import signup_request_provision
from django_tenants.utils import schema_context, schema_exists

from billing.models import Payer, Subscription
from tenants.accounts.models import AuditEvent, User
from tenants.accounts.roles import Role
from tenants.models import Tenant
from tests.onboarding.conftest import application

CONTACT = "chen@gengxian.example"


def _form(**overrides) -> dict:
    fields = {
        "slug": "gengxian",
        "organisation_name": "庚县政务服务中心",
        "kind": "county",
        "region_code": "440305",
        "contact_name": "陈主任",
        "contact_email": CONTACT,
    }
    return application(**{**fields, **overrides})


def _post(client, data, capture) -> tuple:
    with capture(execute=False) as queued:
        response = client.post("/reseller/tenants/new/", data)
    return response, queued


def test_the_console_sets_up_a_wholesale_tenant_and_invites_its_administrator(
    side_a, mailoutbox, django_capture_on_commit_callbacks
):
    # when A's staff submit the application for the customer
    response, queued = _post(side_a.client, _form(), django_capture_on_commit_callbacks)
    # then it is approved at once by them and queued for the worker
    signup = SignupRequest.objects.get(slug="gengxian")
    assert response.status_code == 302 and response["Location"] == f"/reseller/signups/{signup.pk}/"
    assert len(queued) == 1
    assert (signup.status, signup.reseller, signup.decided_by) == (
        SignupStatus.APPROVED,
        side_a.reseller,
        side_a.user.email,
    )
    assert signup.requester.email == CONTACT and signup.requester.role == ""
    assert not signup.requester.has_usable_password()
    assert AuditEvent.objects.filter(action="reseller.tenant_request", actor_id=side_a.user.pk).exists()
    # the progress page and what it polls, the way onboarding shows them
    page = side_a.client.get(f"/reseller/signups/{signup.pk}/").content.decode()
    assert 'id="signup-progress"' in page and "onboarding/progress.js" in page
    assert side_a.client.get(f"/reseller/signups/{signup.pk}/status").json()["status"] == "approved"

    # when the worker sets it up
    signup = signup_request_provision(signup_request_id=signup.pk)

    # then the tenant is A's, the reseller pays (wholesale) on a plan A sells, and the contact is its admin
    assert (signup.status, signup.progress) == (SignupStatus.READY, 100)
    tenant = Tenant.objects.get(slug="gengxian")
    assert tenant.reseller == side_a.reseller and schema_exists("gengxian")
    subscription = Subscription.objects.get(tenant=tenant)
    assert subscription.payer == Payer.RESELLER
    assert subscription.plan.code in {"standard", "flagship"}
    with schema_context("gengxian"):
        admin = User.objects.get(email=CONTACT)
        assert admin.role == Role.TENANT_ADMIN and not admin.has_usable_password()
    ((mail,),) = [[m for m in mailoutbox if m.to == [CONTACT]]]
    assert "庚县政务服务中心" in mail.subject
    assert re.search(r"http://gengxian\.localhost(:\d+)?/setup/invite/\S+", mail.body)
    polled = side_a.client.get(f"/reseller/signups/{signup.pk}/status").json()
    assert polled["status"] == "ready" and polled["percent"] == 100
    # and it is on A's dashboard, with its own page
    assert 'data-tenant="gengxian"' in side_a.client.get("/reseller/").content.decode()
    assert side_a.client.get(f"/reseller/tenants/{tenant.pk}/").status_code == 200


def test_a_direct_billing_resellers_tenant_pays_itself(side_b, django_capture_on_commit_callbacks):
    _post(side_b.client, _form(), django_capture_on_commit_callbacks)
    signup = signup_request_provision(signup_request_id=SignupRequest.objects.get(slug="gengxian").pk)
    assert signup.status == SignupStatus.READY
    subscription = Subscription.objects.get(tenant__slug="gengxian")
    assert subscription.tenant.reseller == side_b.reseller
    assert subscription.payer == Payer.TENANT
    assert subscription.plan.code == "basic"  # the one plan B sells


def test_the_application_rules_apply_and_nothing_is_made(side_a, alpha, django_capture_on_commit_callbacks):
    users = User.objects.count()
    data = _form(region_code="440300", slug="alpha")  # a city code for a county; a taken subdomain
    response, queued = _post(side_a.client, data, django_capture_on_commit_callbacks)
    assert response.status_code == 400 and not queued
    html = response.content.decode()
    assert 'id="error-summary"' in html
    assert "Region code 440300 is not a" in html  # onboarding's own rule and message
    assert "already taken" in html
    assert not SignupRequest.objects.filter(organisation_name="庚县政务服务中心").exists()
    assert User.objects.count() == users  # no customer account left behind


@pytest.mark.parametrize("email", ["staff@resb.example", "national@test.example"])
def test_a_staff_address_is_refused_as_a_customers_administrator(
    email, side_a, side_b, django_capture_on_commit_callbacks
):
    response, queued = _post(side_a.client, _form(contact_email=email), django_capture_on_commit_callbacks)
    assert response.status_code == 400 and not queued
    assert "belongs to a platform staff account" in response.content.decode()
    assert not SignupRequest.objects.filter(slug="gengxian").exists()


def test_a_contact_with_an_application_in_progress_is_refused(side_a, django_capture_on_commit_callbacks):
    _post(side_a.client, _form(), django_capture_on_commit_callbacks)
    again = _form(slug="gengxian2", organisation_name="庚县行政审批局")
    response, queued = _post(side_a.client, again, django_capture_on_commit_callbacks)
    assert response.status_code == 400 and not queued
    assert "in progress already" in response.content.decode()
    assert not SignupRequest.objects.filter(slug="gengxian2").exists()
