"""A real Celery worker sets up approved applications: auto-approval reaches "ready" with progress 100 and the
invitation arrives through a real SMTP server; a subdomain taken in between fails cleanly and a retry resumes."""

import itertools
import re
import time

import pytest
from control_plane.onboarding.models import SignupRequest, SignupStatus
from control_plane.onboarding.services import (
    signup_request_approve,
    signup_request_retry,
    signup_request_submit,
)
from django.test import override_settings
from django_tenants.utils import schema_context, schema_exists

from tenants.accounts.actors import Actor
from tenants.accounts.models import User
from tenants.accounts.roles import Role
from tenants.models import Tenant
from tests.conftest import committed, host_client, running_celery_worker
from tests.onboarding.conftest import applicant_create, application, forget_signup

pytestmark = pytest.mark.django_db(transaction=False)


def _worker_env(subprocess_env: dict, smtp_server) -> dict:
    return {
        **subprocess_env,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_server.port),
        "EMAIL_USE_TLS": "0",
    }


def _submit(email: str, slug: str, *, auto: bool) -> int:
    def run() -> int:
        requester = applicant_create(email)
        with override_settings(ONBOARDING_AUTO_APPROVE=auto):
            signup = signup_request_submit(
                actor=requester.actor,
                requester=requester,
                data=application(slug=slug, organisation_name=f"{slug} 政务服务数据管理局"),
                site_url="http://localhost:8123/",
                language="zh-hans",
            )
        return signup.pk

    return committed(run)


def _wait_for(pk: int, statuses: set[str], seen: list | None = None, timeout: float = 90) -> SignupRequest:
    deadline = time.monotonic() + timeout
    while True:
        signup = committed(lambda: SignupRequest.objects.get(pk=pk))
        if seen is not None and (not seen or seen[-1] != (signup.status, signup.progress)):
            seen.append((signup.status, signup.progress))
        if signup.status in statuses or time.monotonic() > deadline:
            return signup
        time.sleep(0.1)


def test_a_real_worker_sets_up_an_auto_approved_application(tenant_pair, subprocess_env, smtp_server):
    slug, email = "wkauto", "admin@wkauto.example"
    try:
        with running_celery_worker(_worker_env(subprocess_env, smtp_server)):
            pk = _submit(email, slug, auto=True)
            seen: list = []
            signup = _wait_for(pk, {SignupStatus.READY, SignupStatus.FAILED}, seen)
        assert signup.status == SignupStatus.READY, signup.error
        assert signup.progress == 100 and signup.ready_at is not None
        assert seen[-1] == (SignupStatus.READY, 100)
        assert all(a[1] <= b[1] for a, b in itertools.pairwise(seen)), seen  # never goes back
        assert committed(lambda: Tenant.objects.get(slug=slug).status) == "trial"
        assert committed(lambda: schema_exists(slug))

        # the invitation arrived through SMTP, with a link on the tenant's host and the application's port
        ((to, message),) = smtp_server.messages
        assert to == [email]
        body = message.get_body(preferencelist=("plain",)).get_content()
        link = re.search(rf"http://{slug}\.localhost:8123(/setup/invite/\S+)", body)
        assert link, body

        # the first administrator sets a password and lands signed in on the checklist (on connections of its
        # own: this test's transaction must not hold locks on the new schema, which the clean-up drops)
        def accept() -> tuple:
            client = host_client(f"{slug}.localhost", HTTP_ACCEPT_LANGUAGE="en")
            form = client.get(link.group(1)).status_code
            password = "a-fresh-Passw0rd!"
            response = client.post(link.group(1), {"new_password1": password, "new_password2": password})
            checklist = client.get("/setup/")
            with schema_context(slug):
                role = User.objects.get(email=email).role
            return form, response.status_code, response["Location"], checklist, role

        form, status, location, checklist, role = committed(accept)
        assert (form, status, location, role) == (200, 302, "/setup/", Role.TENANT_ADMIN)
        assert checklist.status_code == 200 and "Set up your workspace" in checklist.content.decode()
    finally:
        committed(lambda: forget_signup(slug, (email,)))


def test_a_subdomain_taken_in_between_fails_cleanly_and_a_retry_resumes(
    tenant_pair, subprocess_env, smtp_server
):
    slug, email = "wkfail", "admin@wkfail.example"
    try:
        pk = _submit(email, slug, auto=False)
        # another organisation takes the subdomain before the set-up runs
        committed(
            lambda: Tenant.objects.create(
                schema_name=slug, slug=slug, name="抢注单位", kind="city", region_code="440100"
            )
        )
        with running_celery_worker(_worker_env(subprocess_env, smtp_server)):
            committed(
                lambda: signup_request_approve(
                    actor=Actor.system("tests"), signup_request=SignupRequest.objects.get(pk=pk)
                )
            )
            signup = _wait_for(pk, {SignupStatus.READY, SignupStatus.FAILED})
            assert signup.status == SignupStatus.FAILED
            assert "already taken" in signup.error or "已被占用" in signup.error, signup.error
            assert signup.tenant_id is None
            assert committed(
                lambda: list(Tenant.objects.filter(slug=slug).values_list("name", flat=True))
            ) == ["抢注单位"]
            assert not committed(lambda: schema_exists(slug))
            assert not smtp_server.messages

            # the other organisation goes away; retrying resumes and finishes
            committed(lambda: Tenant.objects.filter(slug=slug).delete())
            committed(
                lambda: signup_request_retry(
                    actor=Actor.system("tests"), signup_request=SignupRequest.objects.get(pk=pk)
                )
            )
            signup = _wait_for(pk, {SignupStatus.READY, SignupStatus.FAILED})
        assert signup.status == SignupStatus.READY and signup.progress == 100 and signup.attempts == 2
        assert committed(lambda: schema_exists(slug))
        assert len(smtp_server.messages) == 1
    finally:
        committed(lambda: forget_signup(slug, (email,)))
