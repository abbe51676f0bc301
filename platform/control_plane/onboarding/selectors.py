"""Reads on sign-up requests: who may see and decide which, and the progress the requester's page polls."""

from django.db.models import QuerySet

from control_plane.onboarding.models import SignupRequest, SignupStatus, SignupStep
from tenants.accounts.roles import Perm, has_permission


def may_review(user) -> bool:
    """Who decides applications. National staff decide all of them.

    Seam for the commerce issue: reseller staff will decide the applications that came through their
    reseller (a `reseller` on SignupRequest); extend this and `reviewable_requests` together."""
    return bool(user.is_authenticated and has_permission(getattr(user, "role", ""), Perm.MANAGE_TENANTS))


def reviewable_requests(user, *, status: str | None = None) -> QuerySet[SignupRequest]:
    if not may_review(user):
        return SignupRequest.objects.none()
    requests = SignupRequest.objects.select_related("requester", "tenant")
    if status:
        requests = requests.filter(status=status)
    return requests.order_by("-created_at", "-id")


def requests_of(user) -> QuerySet[SignupRequest]:
    return (
        SignupRequest.objects.filter(requester=user).select_related("tenant").order_by("-created_at", "-id")
    )


def signup_request_visible(user, pk: int) -> SignupRequest | None:
    """The request when `user` made it or may review it; None otherwise (the page answers 404)."""
    if not user.is_authenticated:
        return None
    signup = SignupRequest.objects.select_related("requester", "tenant").filter(pk=pk).first()
    if signup is None or (signup.requester_id != user.pk and not may_review(user)):
        return None
    return signup


def signup_progress(signup: SignupRequest, *, tenant_url: str = "") -> dict:
    return {
        "id": signup.pk,
        "status": signup.status,
        "status_label": str(SignupStatus(signup.status).label),
        "percent": signup.progress,
        "step": signup.step,
        "step_label": str(SignupStep(signup.step).label),
        "finished": signup.is_finished,
        "stalled": signup.claim_is_stale,
        "error": signup.error if signup.status == SignupStatus.FAILED else "",
        "rejection_reason": signup.rejection_reason if signup.status == SignupStatus.REJECTED else "",
        "tenant_url": tenant_url if signup.status == SignupStatus.READY else "",
    }
