"""The public site and the application form: every bad input is refused with a clear message on its field and
nothing is recorded; a good one is recorded once."""

import pytest
from control_plane.onboarding.models import SignupRequest, SignupStatus
from control_plane.onboarding.services import signup_request_submit
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent
from tests.conftest import host_client
from tests.onboarding.conftest import CONTROL_PLANE, applicant_create, application, client_for

APPLY = "/onboarding/apply/"


def test_the_public_home_explains_the_product_shows_the_plans_and_links_to_sign_up(tenant_pair, db):
    response = host_client(CONTROL_PLANE, HTTP_ACCEPT_LANGUAGE="en").get("/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("The closed loop (好差评闭环)", "Every channel", "Insight", "National feed"):
        assert text in html
    for plan in (
        "基础版",
        "标准版",
        "旗舰版",
    ):  # the plan catalogue (billing.Plan), as national staff named them
        assert plan in html
    assert 'href="/accounts/signup/"' in html
    # in Chinese by default
    zh = host_client(CONTROL_PLANE).get("/").content.decode()
    assert '<html lang="zh-hans">' in zh


def test_a_good_application_is_recorded_once_and_audited(applicant, settings):
    settings.ONBOARDING_AUTO_APPROVE = False
    response = applicant.post(APPLY, application())
    signup = SignupRequest.objects.get(slug="bingshi")
    assert response.status_code == 302 and response["Location"] == f"/onboarding/{signup.pk}/"
    assert signup.status == SignupStatus.SUBMITTED
    assert signup.requester == applicant.user
    assert (signup.kind, signup.region_code, signup.contact_phone) == ("city", "440300", "13800138000")
    assert signup.site_url == "http://localhost/"
    assert AuditEvent.objects.filter(action="onboarding.submit", target_id=str(signup.pk)).exists()
    page = applicant.get(f"/onboarding/{signup.pk}/").content.decode()
    assert "Submitted, waiting for review" in page
    assert 'role="progressbar"' in page or "<progress" in page


def _errors(response, field: str) -> list[str]:
    form = response.context["form"]
    return form.errors.get(field, []) if field != "__all__" else form.non_field_errors()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"slug": "alpha"}, "slug", "The subdomain “alpha” is already taken."),
        ({"slug": "www"}, "slug", "“www” is reserved"),
        ({"slug": "admin"}, "slug", "“admin” is reserved"),
        ({"slug": "api"}, "slug", "“api” is reserved"),
        ({"slug": "console"}, "slug", "“console” is reserved"),
        ({"slug": "mail"}, "slug", "“mail” is reserved"),
        ({"slug": "static"}, "slug", "“static” is reserved"),
        ({"slug": "localhost"}, "slug", "“localhost” is reserved"),
        ({"slug": "pgsql"}, "slug", "“pgsql” is reserved"),
        ({"slug": "9lives"}, "slug", "Use 2–30 lowercase letters and digits"),
        ({"slug": "bing-shi"}, "slug", "Use 2–30 lowercase letters and digits"),
        ({"slug": "b"}, "slug", "Use 2–30 lowercase letters and digits"),
        ({"region_code": "999999"}, "region_code", "Enter a 6-digit administrative division code"),
        ({"region_code": "4403"}, "region_code", "Enter a 6-digit administrative division code"),
        ({"region_code": "44030a"}, "region_code", "Enter a 6-digit administrative division code"),
        ({"region_code": "440000"}, "region_code", "Region code 440000 is not a City-level code."),
        ({"kind": "province", "region_code": "440300"}, "region_code", "is not a Province-level code"),
        ({"kind": "county", "region_code": "440300"}, "region_code", "is not a County-level code"),
        ({"kind": "national", "region_code": "100000"}, "kind", "Select a valid choice"),
        (
            {"organisation_name": "甲省政务服务管理局", "kind": "province", "region_code": "130000"},
            "organisation_name",
            "already has a workspace or an application in progress",
        ),
        ({"organisation_name": "  "}, "organisation_name", "This field is required."),
        (
            {"organisation_name": "丙市\r\nBcc: x@evil.example"},
            "organisation_name",
            "“Organisation name” must be one line, without line breaks or other control characters.",
        ),
        ({"contact_phone": "12345"}, "contact_phone", "Enter a mobile number (11 digits)"),
        ({"contact_email": "not-an-address"}, "contact_email", "Enter a valid email address."),
        ({"contact_name": ""}, "contact_name", "This field is required."),
    ],
)
def test_bad_input_is_refused_on_its_field_and_nothing_is_recorded(applicant, overrides, field, message):
    response = applicant.post(APPLY, application(**overrides))
    assert response.status_code == 200
    errors = " ".join(_errors(response, field))
    assert message in errors, response.context["form"].errors
    assert 'role="alert"' in response.content.decode()  # the error summary
    assert not SignupRequest.objects.exists()


def test_an_agency_may_use_any_valid_region_code(applicant, settings):
    settings.ONBOARDING_AUTO_APPROVE = False
    response = applicant.post(APPLY, application(kind="agency", region_code="440000", slug="gdtax"))
    assert response.status_code == 302
    assert SignupRequest.objects.get().kind == "agency"


def test_subdomain_and_organisation_held_by_a_pending_application_are_refused(applicant, settings):
    settings.ONBOARDING_AUTO_APPROVE = False
    other = applicant_create("other@example.org")
    signup_request_submit(actor=other.actor, requester=other, data=application())
    same_slug = applicant.post(APPLY, application(organisation_name="另一个局"))
    assert "The subdomain “bingshi” is already taken." in _errors(same_slug, "slug")
    same_org = applicant.post(APPLY, application(slug="bingshi2"))
    assert "already has a workspace or an application in progress" in " ".join(
        _errors(same_org, "organisation_name")
    )
    assert SignupRequest.objects.count() == 1


def test_a_second_application_while_one_is_pending_is_refused(applicant, settings):
    settings.ONBOARDING_AUTO_APPROVE = False
    assert applicant.post(APPLY, application()).status_code == 302
    page = applicant.get(APPLY).content.decode()
    assert "You already have an application in progress." in page
    assert 'id="application-form"' not in page
    again = applicant.post(APPLY, application(slug="dingshi", organisation_name="丁市政务服务数据管理局"))
    assert again.status_code == 200
    assert SignupRequest.objects.count() == 1
    # the service refuses it too (not only the page)
    with pytest.raises(Exception, match="already have an application in progress"):
        signup_request_submit(
            actor=applicant.user.actor,
            requester=applicant.user,
            data=application(slug="dingshi", organisation_name="丁市政务服务数据管理局"),
        )


def test_a_rejected_application_does_not_block_a_new_one(applicant, national, settings):
    settings.ONBOARDING_AUTO_APPROVE = False
    applicant.post(APPLY, application())
    signup = SignupRequest.objects.get()
    national.post(f"/onboarding/requests/{signup.pk}/reject", {"reason": "请使用单位邮箱"})
    assert applicant.post(APPLY, application()).status_code == 302
    assert SignupRequest.objects.filter(status=SignupStatus.SUBMITTED).count() == 1


def test_pages_need_a_signed_in_person_and_a_verified_address(tenant_pair, db):
    anonymous = host_client(CONTROL_PLANE)
    for path in ("/onboarding/", APPLY):
        response = anonymous.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    unverified = client_for(applicant_create("late@example.org", verified=False))
    response = unverified.get(APPLY)
    assert response.status_code == 302 and response["Location"] == "/accounts/email/"


def test_onboarding_pages_do_not_exist_on_tenant_hosts(alpha):
    assert host_client(alpha.host).get(APPLY).status_code == 404
    assert host_client(alpha.host).get("/onboarding/requests/").status_code == 404


def test_an_applicant_sees_only_their_own_applications(applicant, settings):
    settings.ONBOARDING_AUTO_APPROVE = False
    other = applicant_create("other@example.org")
    theirs = signup_request_submit(actor=other.actor, requester=other, data=application(slug="theirs"))
    assert applicant.get(f"/onboarding/{theirs.pk}/").status_code == 404
    assert applicant.get(f"/onboarding/{theirs.pk}/status").status_code == 404
    assert applicant.post(f"/onboarding/{theirs.pk}/retry").status_code == 404
    assert "theirs" not in applicant.get("/onboarding/").content.decode()
    with schema_context("public"):
        assert client_for(other).get(f"/onboarding/{theirs.pk}/status").json()["status"] == "submitted"


def test_submit_service_with_auto_approval_approves_and_queues(
    applicant, settings, django_capture_on_commit_callbacks
):
    settings.ONBOARDING_AUTO_APPROVE = True
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        signup = signup_request_submit(actor=Actor.system("t"), requester=applicant.user, data=application())
    assert signup.status == SignupStatus.APPROVED
    assert signup.decided_by == "onboarding-auto-approval"
    assert len(callbacks) == 1  # the task is queued after commit


def _ready(requester, n: int) -> None:
    for i in range(n):
        SignupRequest.objects.create(
            requester=requester,
            **{
                **application(slug=f"done{i}", organisation_name=f"第{i}政务服务数据管理局"),
                "contact_phone": "13800138000",
            },
            status=SignupStatus.READY,
        )


def test_one_account_holds_at_most_three_workspaces_and_applications(applicant, settings):
    settings.ONBOARDING_AUTO_APPROVE = False
    _ready(applicant.user, 2)
    assert applicant.post(APPLY, application()).status_code == 302  # the third: a pending application
    SignupRequest.objects.filter(slug="bingshi").update(status=SignupStatus.READY)
    page = applicant.get(APPLY).content.decode()
    assert 'id="requester-limit"' in page and "at most 3 workspaces" in page
    assert 'id="application-form"' not in page
    again = applicant.post(APPLY, application(slug="dingshi", organisation_name="丁市政务服务数据管理局"))
    assert again.status_code == 200 and "at most 3 workspaces" in again.content.decode()
    assert SignupRequest.objects.filter(requester=applicant.user).count() == 3
    with pytest.raises(Exception, match="at most 3 workspaces"):
        signup_request_submit(
            actor=applicant.user.actor,
            requester=applicant.user,
            data=application(slug="dingshi", organisation_name="丁市政务服务数据管理局"),
        )
    # the limit is a setting
    settings.ONBOARDING_MAX_WORKSPACES_PER_REQUESTER = 4
    assert (
        applicant.post(
            APPLY, application(slug="dingshi", organisation_name="丁市政务服务数据管理局")
        ).status_code
        == 302
    )
