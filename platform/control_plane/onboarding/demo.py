"""Demo content for onboarding: one application waiting for national staff at /onboarding/requests/, from an
applicant who can sign in on the control plane. Idempotent. (Recorded directly, not through
signup_request_submit: the demo's auto-approval would set it up at once.)"""

from allauth.account.models import EmailAddress
from django.db import transaction
from django_tenants.utils import schema_context

from control_plane.onboarding.models import SignupRequest, SignupStatus
from tenants.accounts.actors import Actor
from tenants.accounts.models import User
from tenants.accounts.services import audit_record

DEMO_APPLICANT = "applicant@demo.haochaping.cn"


def onboarding_demo_seed(*, actor: Actor, password: str) -> SignupRequest:
    with schema_context("public"), transaction.atomic():
        user = User.objects.filter(email=DEMO_APPLICANT).first()
        if user is None:
            user = User.objects.create_user(
                email=DEMO_APPLICANT,
                password=password,
                role="",
                display_name="珠海市政务服务和数据管理局 王科长",
            )
            EmailAddress.objects.create(user=user, email=DEMO_APPLICANT, primary=True, verified=True)
        existing = SignupRequest.objects.filter(requester=user).first()
        if existing is not None:
            return existing
        signup = SignupRequest.objects.create(
            requester=user,
            organisation_name="珠海市政务服务和数据管理局",
            kind="city",
            region_code="440400",
            slug="zhuhai",
            contact_name="王科长",
            contact_phone="07562123456",
            contact_email=DEMO_APPLICANT,
            status=SignupStatus.SUBMITTED,
            language="zh-hans",
        )
        audit_record(actor=actor, action="onboarding.submit", target=signup, data={"slug": signup.slug})
    return signup
