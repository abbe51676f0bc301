"""What a review page does, shared by the national review pages (onboarding/views.py) and the reseller
console's sign-ups (billing/resellers/views.py): its context, approving and rejecting with their messages.
Each caller finds the application within what its person may review and picks its own template and URLs."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from control_plane.onboarding.forms import RejectForm
from control_plane.onboarding.models import SignupRequest, SignupStatus
from control_plane.onboarding.selectors import signup_progress
from control_plane.onboarding.services import signup_request_approve, signup_request_reject, tenant_link
from control_plane.onboarding.validation import organisation_errors, slug_errors
from tenants.accounts.views import add_service_errors


def review_context(signup: SignupRequest, *, status_url: str, reject_form: RejectForm | None = None) -> dict:
    problems: list[str] = []
    if signup.status == SignupStatus.SUBMITTED:  # what changed since it was submitted
        problems = slug_errors(signup.slug, exclude_request_id=signup.pk) + organisation_errors(
            name=signup.organisation_name, region_code=signup.region_code, exclude_request_id=signup.pk
        )
    link = tenant_link(signup)
    return {
        "signup": signup,
        "problems": problems,
        "reject_form": reject_form or RejectForm(),
        "tenant_url": link,
        "progress": signup_progress(signup, tenant_url=link),
        "status_url": status_url,
    }


def review_approve(request, signup: SignupRequest) -> None:
    """Approve; the outcome goes to the messages (the caller redirects back to the review page)."""
    try:
        signup_request_approve(actor=request.user.actor, signup_request=signup)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(name)s was approved; its workspace is being set up.") % {"name": signup.organisation_name},
        )


def review_reject(request, signup: SignupRequest) -> RejectForm | None:
    """Reject with the posted reason: None once rejected (the caller redirects), else the form with its errors
    (the caller shows the page again, 400)."""
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            signup_request_reject(
                actor=request.user.actor, signup_request=signup, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s was rejected.") % {"name": signup.organisation_name})
            return None
    return form
