"""An organisation signing up may choose a reseller: that reseller's staff (and national staff) review it, with
onboarding's own approve and reject services; the tenant it becomes is the reseller's."""

import pytest
from control_plane.onboarding.models import SignupRequest, SignupStatus
from control_plane.onboarding.services import signup_request_provision

from billing.models import Payer, Subscription
from tenants.accounts.models import AuditEvent
from tests.onboarding.conftest import applicant_create, application, client_for


@pytest.fixture
def applicant(tenant_pair, db):
    return client_for(applicant_create("applicant@jishi.example"))


def _apply(applicant, reseller) -> SignupRequest:
    data = application(slug="jishi", organisation_name="己市政务服务数据管理局", reseller=reseller.pk)
    response = applicant.post("/onboarding/apply/", data)
    assert response.status_code == 302
    return SignupRequest.objects.get(slug="jishi")


def test_the_application_form_offers_the_active_resellers(side_a, side_b, applicant):
    side_b.reseller.is_active = False
    side_b.reseller.save(update_fields=["is_active"])
    html = applicant.get("/onboarding/apply/").content.decode()
    assert 'name="reseller"' in html and "甲代理公司" in html and "乙代理公司" not in html


def test_an_inactive_or_unknown_reseller_is_refused(side_a, side_b, applicant):
    side_b.reseller.is_active = False
    side_b.reseller.save(update_fields=["is_active"])
    data = application(slug="jishi", organisation_name="己市政务服务数据管理局", reseller=side_b.reseller.pk)
    response = applicant.post("/onboarding/apply/", data)
    assert response.status_code == 200 and 'id="error-summary"' in response.content.decode()
    assert not SignupRequest.objects.filter(slug="jishi").exists()


def test_a_signup_that_chose_a_reseller_is_reviewed_by_that_reseller_only(
    side_a, side_b, applicant, national
):
    # given an application that chose A
    signup = _apply(applicant, side_a.reseller)
    assert signup.reseller == side_a.reseller and signup.status == SignupStatus.SUBMITTED
    # then A's staff see it waiting, B's do not, national staff see it too
    assert f'data-signup="{signup.pk}"' in side_a.client.get("/reseller/signups/").content.decode()
    assert f'data-signup="{signup.pk}"' not in side_b.client.get("/reseller/signups/").content.decode()
    assert "jishi" in national.get("/onboarding/requests/").content.decode()
    assert side_a.client.get("/reseller/").context["pending"] == 1
    assert side_b.client.get("/reseller/").context["pending"] == 0
    # when A's staff approve it
    response = side_a.client.post(f"/reseller/signups/{signup.pk}/approve")
    assert response.status_code == 302
    signup.refresh_from_db()
    assert signup.status == SignupStatus.APPROVED and signup.decided_by == side_a.user.email
    assert AuditEvent.objects.filter(action="onboarding.approve", actor_id=side_a.user.pk).exists()
    # and the worker sets it up: the tenant is A's and A pays wholesale
    signup = signup_request_provision(signup_request_id=signup.pk)
    assert signup.status == SignupStatus.READY
    assert signup.tenant.reseller == side_a.reseller
    assert Subscription.objects.get(tenant=signup.tenant).payer == Payer.RESELLER


def test_a_reseller_rejects_with_a_reason_the_requester_reads(
    side_a, applicant, mailoutbox, django_capture_on_commit_callbacks
):
    signup = _apply(applicant, side_a.reseller)
    # a reason is required
    empty = side_a.client.post(f"/reseller/signups/{signup.pk}/reject", {"reason": ""})
    assert empty.status_code == 400
    signup.refresh_from_db()
    assert signup.status == SignupStatus.SUBMITTED
    with django_capture_on_commit_callbacks(execute=True):
        response = side_a.client.post(
            f"/reseller/signups/{signup.pk}/reject", {"reason": "地区不在我们的服务范围"}
        )
    assert response.status_code == 302
    signup.refresh_from_db()
    assert signup.status == SignupStatus.REJECTED and signup.rejection_reason == "地区不在我们的服务范围"
    assert any("地区不在我们的服务范围" in m.body for m in mailoutbox if m.to == ["applicant@jishi.example"])
    page = applicant.get(f"/onboarding/{signup.pk}/").content.decode()
    assert "地区不在我们的服务范围" in page


def test_a_signup_without_a_reseller_is_for_national_staff_only(side_a, applicant, national):
    response = applicant.post(
        "/onboarding/apply/", application(slug="jishi", organisation_name="己市政务服务数据管理局")
    )
    assert response.status_code == 302
    signup = SignupRequest.objects.get(slug="jishi")
    assert signup.reseller is None
    assert side_a.client.get(f"/reseller/signups/{signup.pk}/").status_code == 404
    assert side_a.client.post(f"/reseller/signups/{signup.pk}/approve").status_code == 404
    assert side_a.client.get(f"/onboarding/requests/{signup.pk}/").status_code == 404
    signup.refresh_from_db()
    assert signup.status == SignupStatus.SUBMITTED
    assert national.get(f"/onboarding/requests/{signup.pk}/").status_code == 200


def test_the_applicant_reads_which_reseller_reviews_it(side_a, applicant, national):
    signup = _apply(applicant, side_a.reseller)
    page = applicant.get(f"/onboarding/{signup.pk}/").content.decode()
    assert "waits for review by 甲代理公司" in page and 'id="signup-reseller">甲代理公司<' in page
    assert (
        'id="signup-reseller">甲代理公司<'
        in national.get(f"/onboarding/requests/{signup.pk}/").content.decode()
    )
