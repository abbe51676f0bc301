"""Nothing half-provisioned survives a failure: the set-up is one transaction; a failed request records the
error and a retry resumes (tenant_provision is idempotent on the subdomain)."""

from datetime import timedelta

import pytest
from control_plane.onboarding.models import SignupRequest, SignupStatus
from control_plane.onboarding.services import signup_request_provision
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists

from tenants.accounts.models import AuditEvent, User
from tenants.models import Domain, Tenant
from tenants.setup.models import Invitation
from tests.onboarding.conftest import application


@pytest.fixture
def approved(applicant, settings) -> SignupRequest:
    settings.ONBOARDING_AUTO_APPROVE = True
    applicant.post("/onboarding/apply/", application())
    signup = SignupRequest.objects.get(slug="bingshi")
    assert signup.status == SignupStatus.APPROVED
    return signup


def _retry(client, signup, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(f"/onboarding/{signup.pk}/retry")
    assert response.status_code == 302
    assert len(queued) == 1
    signup.refresh_from_db()
    assert signup.status == SignupStatus.APPROVED


def test_a_failure_midway_leaves_no_tenant_no_schema_and_a_retry_resumes(
    applicant, approved, smtp, monkeypatch, django_capture_on_commit_callbacks
):
    def explode(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("tenants.setup.services.invitation_issue", explode)  # after the schema was cloned
    signup = signup_request_provision(signup_request_id=approved.pk)
    assert signup.status == SignupStatus.FAILED
    assert "RuntimeError: disk full" in signup.error_detail and "disk full" not in signup.error
    assert signup.tenant is None
    assert not Tenant.objects.filter(slug="bingshi").exists()
    assert not Domain.objects.filter(domain="bingshi.localhost").exists()
    assert not schema_exists("bingshi")
    assert AuditEvent.objects.filter(action="onboarding.failed").exists()
    page = applicant.get(f"/onboarding/{signup.pk}/").content.decode()
    assert 'id="signup-failed"' in page and "disk full" not in page and "RuntimeError" not in page
    assert "a problem on our side" in page
    polled = applicant.get(f"/onboarding/{signup.pk}/status").json()
    assert "a problem on our side" in polled["error"] and "disk full" not in str(polled)

    monkeypatch.undo()
    _retry(applicant, signup, django_capture_on_commit_callbacks)
    signup = signup_request_provision(signup_request_id=signup.pk)
    assert (signup.status, signup.progress, signup.attempts) == (SignupStatus.READY, 100, 2)
    assert schema_exists("bingshi") and Tenant.objects.filter(slug="bingshi").count() == 1
    assert len(smtp.messages) == 1


def test_the_subdomain_taken_in_between_marks_the_request_failed(approved, smtp):
    Tenant.objects.create(
        schema_name="bingshi", slug="bingshi", name="抢注单位", kind="city", region_code="440100"
    )
    signup = signup_request_provision(signup_request_id=approved.pk)
    assert signup.status == SignupStatus.FAILED
    assert "The subdomain “bingshi” is already taken." in signup.error
    assert Tenant.objects.get(slug="bingshi").name == "抢注单位"
    assert not schema_exists("bingshi")
    assert not smtp.messages


def test_a_refused_invitation_e_mail_fails_the_request_and_a_retry_sends_a_new_one(
    applicant, approved, smtp, django_capture_on_commit_callbacks
):
    smtp.refuse.add("applicant@bingshi.example")
    signup = signup_request_provision(signup_request_id=approved.pk)
    assert signup.status == SignupStatus.FAILED
    assert signup.tenant is not None  # the workspace itself is complete; only the e-mail is missing
    assert "SMTPRecipientsRefused" in signup.error_detail and "SMTP" not in signup.error

    smtp.refuse.clear()
    _retry(applicant, signup, django_capture_on_commit_callbacks)
    signup = signup_request_provision(signup_request_id=signup.pk)
    assert signup.status == SignupStatus.READY
    assert Tenant.objects.filter(slug="bingshi").count() == 1
    with schema_context("bingshi"):
        admin = User.objects.get(email="applicant@bingshi.example")
        invitations = Invitation.objects.filter(user=admin)
        assert invitations.count() == 2 and invitations.filter(revoked_at__isnull=True).count() == 1
    assert len(smtp.messages) == 1


def test_only_a_failed_request_can_be_retried(applicant, approved):
    response = applicant.post(f"/onboarding/{approved.pk}/retry", follow=True)
    assert "Only a failed set-up can be retried." in response.content.decode()
    approved.refresh_from_db()
    assert approved.status == SignupStatus.APPROVED


def test_the_reviewer_reads_the_technical_detail(applicant, approved, national, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("tenants.setup.services.invitation_issue", explode)
    signup = signup_request_provision(signup_request_id=approved.pk)
    page = national.get(f"/onboarding/requests/{signup.pk}/").content.decode()
    assert 'id="signup-error-detail"' in page and "RuntimeError: disk full" in page


class Killed(BaseException):
    """The worker process dies (not an Exception: nothing marks the request failed)."""


def _killed_after_the_workspace_was_made(signup, monkeypatch) -> None:
    def die(**kwargs):
        raise Killed

    monkeypatch.setattr("tenants.setup.services.invitation_email_send", die)
    with pytest.raises(Killed):
        signup_request_provision(signup_request_id=signup.pk)
    monkeypatch.undo()
    signup.refresh_from_db()
    assert signup.status == SignupStatus.PROVISIONING and signup.tenant is not None


def test_a_request_whose_worker_died_is_resumed_by_the_task_and_the_invitation_sent(
    approved, smtp, monkeypatch, settings
):
    from control_plane.onboarding.tasks import provision_signup

    _killed_after_the_workspace_was_made(approved, monkeypatch)
    assert provision_signup(approved.pk) == SignupStatus.PROVISIONING  # a fresh claim is not stolen
    approved.refresh_from_db()
    assert approved.attempts == 1 and not smtp.messages
    settings.ONBOARDING_STALE_CLAIM_MINUTES = 10
    SignupRequest.objects.filter(pk=approved.pk).update(claimed_at=timezone.now() - timedelta(minutes=11))
    assert provision_signup(approved.pk) == SignupStatus.READY  # the redelivery resumes it
    approved.refresh_from_db()
    assert (approved.progress, approved.attempts) == (100, 2)
    assert Tenant.objects.filter(slug="bingshi").count() == 1
    assert len(smtp.messages) == 1
    with schema_context("bingshi"):
        assert Invitation.objects.filter(revoked_at__isnull=True).count() == 1


def test_a_stalled_set_up_may_be_resumed_by_hand_but_not_a_running_one(
    applicant, approved, smtp, monkeypatch, django_capture_on_commit_callbacks
):
    _killed_after_the_workspace_was_made(approved, monkeypatch)
    page = applicant.get(f"/onboarding/{approved.pk}/").content.decode()
    assert 'id="signup-stalled"' not in page
    refused = applicant.post(f"/onboarding/{approved.pk}/retry", follow=True)
    assert "Only a failed set-up can be retried." in refused.content.decode()
    SignupRequest.objects.filter(pk=approved.pk).update(claimed_at=timezone.now() - timedelta(hours=1))
    page = applicant.get(f"/onboarding/{approved.pk}/").content.decode()
    assert 'id="signup-stalled"' in page
    assert applicant.get(f"/onboarding/{approved.pk}/status").json()["stalled"] is True
    _retry(applicant, approved, django_capture_on_commit_callbacks)
    signup = signup_request_provision(signup_request_id=approved.pk)
    assert signup.status == SignupStatus.READY and len(smtp.messages) == 1
