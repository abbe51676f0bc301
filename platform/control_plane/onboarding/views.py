"""Pages on the control-plane host: the requester's applications and their live progress, and the review
pages where national staff approve or reject. Thin: services decide, selectors read."""

from allauth.account.models import EmailAddress
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from control_plane.onboarding import review
from control_plane.onboarding.forms import ApplicationForm, RejectForm
from control_plane.onboarding.models import SignupRequest, SignupStatus
from control_plane.onboarding.selectors import (
    may_review,
    requests_of,
    reviewable_requests,
    signup_progress,
    signup_request_visible,
)
from control_plane.onboarding.services import (
    signup_request_retry,
    signup_request_submit,
    tenant_link,
)
from control_plane.onboarding.validation import pending_request_of, requester_limit_error
from tenants.accounts.views import add_service_errors


def reviewer_required(view):
    @login_required
    def wrapped(request, *args, **kwargs):
        if not may_review(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__, wrapped.__doc__ = view.__name__, view.__doc__
    return wrapped


def _visible_or_404(request, pk: int) -> SignupRequest:
    signup = signup_request_visible(request.user, pk)
    if signup is None:
        raise Http404
    return signup


@login_required
def index(request):
    """The signed-in person's applications, and the way to a new one."""
    return render(
        request,
        "onboarding/index.html",
        {
            "requests": requests_of(request.user),
            "pending": pending_request_of(request.user),
            "may_review": may_review(request.user),
        },
    )


@login_required
def apply(request):
    """The application: organisation, kind, region code, subdomain and a contact."""
    user = request.user
    if not EmailAddress.objects.filter(user=user, verified=True).exists():
        messages.warning(request, _("Confirm your e-mail address first: we sent you a link."))
        return redirect("account_email")
    pending = pending_request_of(user)
    form = ApplicationForm(request.POST or None, initial={"contact_email": user.email})
    if request.method == "POST" and pending is None and form.is_valid():
        try:
            signup = signup_request_submit(
                actor=user.actor,
                requester=user,
                data=form.cleaned_data,
                site_url=request.build_absolute_uri("/"),
                language=get_language() or "",
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Your application was received."))
            return redirect("onboarding-detail", pk=signup.pk)
    limit_error = requester_limit_error(user) if pending is None else None
    return render(
        request, "onboarding/apply.html", {"form": form, "pending": pending, "limit_error": limit_error}
    )


@login_required
def detail(request, pk: int):
    """One application: its decision, and while it is set up a live progress bar."""
    signup = _visible_or_404(request, pk)
    return render(
        request,
        "onboarding/detail.html",
        {
            "signup": signup,
            "progress": signup_progress(signup, tenant_url=tenant_link(signup)),
            "tenant_url": tenant_link(signup),
            "status_url": reverse("onboarding-status", args=[signup.pk]),
            "may_review": may_review(request.user),
        },
    )


@login_required
def status(request, pk: int):
    """What the progress page polls."""
    signup = _visible_or_404(request, pk)
    return JsonResponse(signup_progress(signup, tenant_url=tenant_link(signup)))


@require_POST
@login_required
def retry(request, pk: int):
    signup = _visible_or_404(request, pk)
    try:
        signup_request_retry(actor=request.user.actor, signup_request=signup)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The set-up runs again."))
    return redirect("onboarding-detail", pk=signup.pk)


# --- review (national staff) -------------------------------------------------------------------------------
@reviewer_required
def review_list(request):
    """Applications by status, the undecided first."""
    current = request.GET.get("status") or SignupStatus.SUBMITTED
    if current != "all" and current not in SignupStatus.values:
        current = SignupStatus.SUBMITTED
    counts = dict(
        reviewable_requests(request.user)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    tabs = [
        {"value": value, "label": label, "count": counts.get(value, 0), "current": value == current}
        for value, label in SignupStatus.choices
    ]
    tabs.append(
        {"value": "all", "label": _("All"), "count": sum(counts.values()), "current": current == "all"}
    )
    requests = reviewable_requests(request.user, status=None if current == "all" else current)[:500]
    return render(
        request, "onboarding/review_list.html", {"requests": requests, "tabs": tabs, "current": current}
    )


def _review_context(signup: SignupRequest, reject_form: RejectForm | None = None) -> dict:
    return review.review_context(
        signup, status_url=reverse("onboarding-status", args=[signup.pk]), reject_form=reject_form
    )


def _reviewable_or_404(request, pk: int) -> SignupRequest:
    signup = reviewable_requests(request.user).filter(pk=pk).first()
    if signup is None:
        raise Http404
    return signup


@reviewer_required
def review_detail(request, pk: int):
    signup = _reviewable_or_404(request, pk)
    return render(request, "onboarding/review_detail.html", _review_context(signup))


@require_POST
@reviewer_required
def review_approve(request, pk: int):
    signup = _reviewable_or_404(request, pk)
    review.review_approve(request, signup)
    return redirect("onboarding-review", pk=signup.pk)


@require_POST
@reviewer_required
def review_reject(request, pk: int):
    signup = _reviewable_or_404(request, pk)
    form = review.review_reject(request, signup)
    if form is None:
        return redirect("onboarding-review", pk=signup.pk)
    response = render(request, "onboarding/review_detail.html", _review_context(signup, form))
    response.status_code = 400
    return response
