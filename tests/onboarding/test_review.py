"""Manual approval by national staff: approve → provisioned tenant with the requester as its administrator (the
set-up service run here in-process; a real worker runs it in test_worker.py); reject → the reason reaches the
requester and no tenant is made; only national staff decide."""

import pytest
from control_plane.onboarding.models import SignupRequest, SignupStatus, SignupStep
from control_plane.onboarding.services import signup_request_provision
from django_tenants.utils import schema_context, schema_exists

from tenants.accounts.models import AuditEvent, User
from tenants.accounts.roles import Role
from tenants.models import Tenant
from tenants.setup.models import Invitation, InvitationKind
from tests.conftest import PASSWORD, host_client
from tests.onboarding.conftest import CONTROL_PLANE, application, client_for


@pytest.fixture(autouse=True)
def _manual(settings):
    settings.ONBOARDING_AUTO_APPROVE = False


@pytest.fixture
def submitted(applicant) -> SignupRequest:
    applicant.post("/onboarding/apply/", application())
    return SignupRequest.objects.get(slug="bingshi")


def test_national_staff_list_and_open_applications(national, submitted):
    listing = national.get("/onboarding/requests/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "丙市政务服务数据管理局" in html and "applicant@bingshi.example" in html
    detail = national.get(f"/onboarding/requests/{submitted.pk}/").content.decode()
    assert "Approve and set up" in detail and "Reject with this reason" in detail


def test_approve_then_the_set_up_makes_the_tenant_with_the_requester_as_admin(
    national, applicant, submitted, smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = national.post(f"/onboarding/requests/{submitted.pk}/approve")
    assert response.status_code == 302
    assert len(queued) == 1  # the worker's task, after commit
    submitted.refresh_from_db()
    assert submitted.status == SignupStatus.APPROVED and submitted.decided_by == "national@test.example"
    assert AuditEvent.objects.filter(action="onboarding.approve", target_id=str(submitted.pk)).exists()

    signup = signup_request_provision(signup_request_id=submitted.pk)  # what the task does
    assert (signup.status, signup.progress, signup.step) == (SignupStatus.READY, 100, SignupStep.DONE)
    tenant = Tenant.objects.get(slug="bingshi")
    assert signup.tenant == tenant
    assert (tenant.name, tenant.kind, tenant.region_code, tenant.status) == (
        "丙市政务服务数据管理局",
        "city",
        "440300",
        "trial",
    )
    assert schema_exists("bingshi")
    with schema_context("bingshi"):
        admin = User.objects.get(email="applicant@bingshi.example")
        assert admin.role == Role.TENANT_ADMIN
        assert not admin.has_usable_password()  # set through the invitation
        assert Invitation.objects.get(user=admin).kind == InvitationKind.FIRST_ADMIN
    # the invitation went out through the SMTP server, with a link on the tenant's host
    ((to, message),) = smtp.messages
    assert to == ["applicant@bingshi.example"]
    assert (
        "http://bingshi.localhost/setup/invite/" in message.get_body(preferencelist=("plain",)).get_content()
    )
    # the requester sees it ready, with the address
    page = applicant.get(f"/onboarding/{submitted.pk}/").content.decode()
    assert 'id="signup-ready"' in page and "http://bingshi.localhost/" in page
    status = applicant.get(f"/onboarding/{submitted.pk}/status").json()
    assert status["status"] == "ready" and status["percent"] == 100 and status["finished"]
    # a second delivery of the task does nothing
    assert signup_request_provision(signup_request_id=submitted.pk).status == SignupStatus.READY
    assert Tenant.objects.filter(slug="bingshi").count() == 1


def test_reject_with_a_reason_reaches_the_requester_and_makes_no_tenant(
    national, applicant, submitted, smtp, django_capture_on_commit_callbacks
):
    empty = national.post(f"/onboarding/requests/{submitted.pk}/reject", {"reason": ""})
    assert empty.status_code == 400
    assert "This field is required." in empty.context["reject_form"].errors["reason"]
    with django_capture_on_commit_callbacks(execute=True):
        response = national.post(
            f"/onboarding/requests/{submitted.pk}/reject",
            {"reason": "地区代码与单位不符，请核对后重新申请。"},
        )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == SignupStatus.REJECTED
    assert submitted.rejection_reason == "地区代码与单位不符，请核对后重新申请。"
    assert AuditEvent.objects.get(action="onboarding.reject").reason == submitted.rejection_reason
    page = applicant.get(f"/onboarding/{submitted.pk}/").content.decode()
    assert 'id="signup-rejected"' in page and "地区代码与单位不符" in page
    assert (
        applicant.get(f"/onboarding/{submitted.pk}/status").json()["rejection_reason"].startswith("地区代码")
    )
    ((to, message),) = smtp.messages
    assert to == ["applicant@bingshi.example"]
    assert "地区代码与单位不符" in message.get_body(preferencelist=("plain",)).get_content()
    assert not Tenant.objects.filter(slug="bingshi").exists() and not schema_exists("bingshi")
    # decided once: approving it now is refused
    again = national.post(f"/onboarding/requests/{submitted.pk}/approve", follow=True)
    assert "already decided" in again.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == SignupStatus.REJECTED


def test_only_national_staff_review(applicant, submitted, alpha):
    paths = [
        ("get", "/onboarding/requests/"),
        ("get", f"/onboarding/requests/{submitted.pk}/"),
        ("post", f"/onboarding/requests/{submitted.pk}/approve"),
        ("post", f"/onboarding/requests/{submitted.pk}/reject"),
    ]
    anonymous = host_client(CONTROL_PLANE)
    for method, path in paths:
        response = getattr(anonymous, method)(path, {"reason": "x y"} if method == "post" else None)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), path
        assert (
            getattr(applicant, method)(path, {"reason": "x y"} if method == "post" else None).status_code
            == 403
        )
    # reseller staff see tenants but do not decide applications (until the commerce issue)
    with schema_context("public"):
        reseller = User.objects.create_user(
            email="reseller@example.org", password=PASSWORD, role=Role.RESELLER_STAFF
        )
    assert client_for(reseller).get("/onboarding/requests/").status_code == 403
    # a tenant administrator's session belongs to the tenant's host only; there are no review pages there
    alpha_admin = host_client(alpha.host)
    assert (
        alpha_admin.post("/accounts/login/", {"login": alpha.admin_email, "password": PASSWORD}).status_code
        == 302
    )
    assert alpha_admin.get("/onboarding/requests/").status_code == 404
    submitted.refresh_from_db()
    assert submitted.status == SignupStatus.SUBMITTED


def test_review_shows_what_changed_since_submission(national, submitted):
    Tenant.objects.create(
        schema_name="bingshi", slug="bingshi", name="别的单位", kind="city", region_code="440100"
    )
    page = national.get(f"/onboarding/requests/{submitted.pk}/").content.decode()
    assert "Since it was submitted" in page and "The subdomain “bingshi” is already taken." in page
