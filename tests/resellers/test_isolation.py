"""A reseller sees only its own tenants, sign-ups and statement: reseller B's staff asking for anything of
reseller A's get 404 and nothing changes; every list holds only the asker's rows. Anonymous people are sent to
sign in; national staff and reseller staff without a membership are refused (403)."""

import pytest
from control_plane.onboarding.models import SignupRequest, SignupStatus
from control_plane.onboarding.services import signup_request_submit

from billing.models import Subscription
from tenants.accounts.models import AuditEvent
from tests.onboarding.conftest import applicant_create, application

from .conftest import public_client


@pytest.fixture
def signup_a(side_a):
    """An application that chose reseller A."""
    requester = applicant_create("applicant@dingshi.example")
    return signup_request_submit(
        actor=requester.actor,
        requester=requester,
        data=application(
            slug="dingshi", organisation_name="丁市政务服务数据管理局", reseller=side_a.reseller.pk
        ),
    )


def _state(signup: SignupRequest) -> tuple:
    signup.refresh_from_db()
    return signup.status, signup.rejection_reason, signup.decided_by, signup.tenant_id


def test_other_resellers_tenant_is_not_found_and_its_plan_does_not_change(side_a, side_b, alpha):
    # given alpha is A's tenant on flagship
    before = Subscription.objects.get(tenant=alpha.tenant).plan.code
    audits = AuditEvent.objects.count()
    # when B's staff ask for it or try to change its plan
    assert side_b.client.get(f"/reseller/tenants/{alpha.tenant.pk}/").status_code == 404
    response = side_b.client.post(f"/reseller/tenants/{alpha.tenant.pk}/plan", {"plan": "1"})
    # then 404 and nothing changed
    assert response.status_code == 404
    assert Subscription.objects.get(tenant=alpha.tenant).plan.code == before
    assert AuditEvent.objects.count() == audits
    # and A's own staff see it
    assert side_a.client.get(f"/reseller/tenants/{alpha.tenant.pk}/").status_code == 200


def test_other_resellers_signup_is_not_found_and_cannot_be_decided(side_a, side_b, signup_a):
    before = _state(signup_a)
    for path in ("", "status"):
        assert side_b.client.get(f"/reseller/signups/{signup_a.pk}/{path}").status_code == 404
    assert side_b.client.post(f"/reseller/signups/{signup_a.pk}/approve").status_code == 404
    assert (
        side_b.client.post(f"/reseller/signups/{signup_a.pk}/reject", {"reason": "不要"}).status_code == 404
    )
    # nor through onboarding's own pages, which now let reseller staff review their own
    for path in (
        f"/onboarding/{signup_a.pk}/",
        f"/onboarding/{signup_a.pk}/status",
        f"/onboarding/requests/{signup_a.pk}/",
    ):
        assert side_b.client.get(path).status_code == 404, path
    for path in (f"/onboarding/requests/{signup_a.pk}/approve", f"/onboarding/{signup_a.pk}/retry"):
        assert side_b.client.post(path).status_code == 404, path
    assert (
        side_b.client.post(f"/onboarding/requests/{signup_a.pk}/reject", {"reason": "不要"}).status_code
        == 404
    )
    assert _state(signup_a) == before == (SignupStatus.SUBMITTED, "", "", None)
    # A's staff see it
    assert side_a.client.get(f"/reseller/signups/{signup_a.pk}/").status_code == 200
    assert side_a.client.get(f"/onboarding/requests/{signup_a.pk}/").status_code == 200


def test_lists_hold_only_the_askers_rows(side_a, side_b, signup_a, alpha, beta):
    dashboard_a = side_a.client.get("/reseller/").content.decode()
    dashboard_b = side_b.client.get("/reseller/").content.decode()
    assert 'data-tenant="alpha"' in dashboard_a and 'data-tenant="beta"' not in dashboard_a
    assert 'data-tenant="beta"' in dashboard_b and 'data-tenant="alpha"' not in dashboard_b

    signups_a = side_a.client.get("/reseller/signups/").content.decode()
    signups_b = side_b.client.get("/reseller/signups/").content.decode()
    assert f'data-signup="{signup_a.pk}"' in signups_a and f'data-signup="{signup_a.pk}"' not in signups_b
    onboarding_b = side_b.client.get("/onboarding/requests/?status=all").content.decode()
    assert "dingshi" not in onboarding_b
    assert "dingshi" in side_a.client.get("/onboarding/requests/?status=all").content.decode()

    plans_a = side_a.client.get("/reseller/plans/").content.decode()
    plans_b = side_b.client.get("/reseller/plans/").content.decode()
    assert 'data-plan="flagship"' in plans_a and 'data-plan="basic"' not in plans_a
    assert 'data-plan="basic"' in plans_b and 'data-plan="flagship"' not in plans_b


def test_statements_hold_only_the_askers_tenants(side_a, side_b):
    page_b = side_b.client.get("/reseller/statements/?month=2026-01")
    assert page_b.status_code == 200
    html = page_b.content.decode()
    assert 'data-tenant="beta"' in html and 'data-tenant="alpha"' not in html
    for fmt in ("csv", "xlsx", "pdf"):
        response = side_b.client.get(f"/reseller/statements/2026-01.{fmt}")
        assert response.status_code == 200
        assert "resb" in response["Content-Disposition"]
    csv_text = side_b.client.get("/reseller/statements/2026-01.csv").content.decode("utf-8-sig")
    assert "beta" in csv_text and "alpha" not in csv_text and "甲省" not in csv_text


def test_a_tenant_set_up_by_b_belongs_to_b_whatever_is_posted(
    side_a, side_b, django_capture_on_commit_callbacks
):
    data = application(
        slug="wushi", organisation_name="戊市政务服务数据管理局", contact_email="admin@wushi.example"
    )
    data["reseller"] = side_a.reseller.pk  # ignored: the console's reseller is the signed-in person's
    with django_capture_on_commit_callbacks(execute=False):
        response = side_b.client.post("/reseller/tenants/new/", data)
    assert response.status_code == 302
    assert SignupRequest.objects.get(slug="wushi").reseller == side_b.reseller


@pytest.mark.parametrize(
    "path",
    [
        "/reseller/",
        "/reseller/tenants/new/",
        "/reseller/plans/",
        "/reseller/signups/",
        "/reseller/statements/",
        "/reseller/statements/2026-01.csv",
    ],
)
def test_anonymous_are_sent_to_sign_in_and_others_refused(path, tenant_pair, db, national, loose_staff):
    anonymous = public_client().get(path)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert national.get(path).status_code == 403
    assert loose_staff.get(path).status_code == 403


def test_an_inactive_resellers_staff_have_no_console(side_a, alpha):
    side_a.reseller.is_active = False
    side_a.reseller.save(update_fields=["is_active"])
    assert side_a.client.get("/reseller/").status_code == 403
    assert side_a.client.get(f"/reseller/tenants/{alpha.tenant.pk}/").status_code == 403
