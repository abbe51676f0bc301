"""Reads on sign-up requests: who may see and decide which, and the progress the requester's page polls."""

from django.db.models import QuerySet

from billing.resellers.selectors import reseller_of
from control_plane.onboarding.models import SignupRequest, SignupStatus, SignupStep
from tenants.accounts.roles import Perm, has_permission


def may_review(user) -> bool:
    """Who decides applications: national staff decide all of them, a reseller's staff those that chose their
    reseller (see `reviewable_requests`)."""
    if not user.is_authenticated:
        return False
    return has_permission(getattr(user, "role", ""), Perm.MANAGE_TENANTS) or reseller_of(user) is not None


def reviewable_requests(user, *, status: str | None = None) -> QuerySet[SignupRequest]:
    if not user.is_authenticated:
        return SignupRequest.objects.none()
    requests = SignupRequest.objects.select_related("requester", "tenant", "reseller")
    if not has_permission(getattr(user, "role", ""), Perm.MANAGE_TENANTS):
        reseller = reseller_of(user)
        if reseller is None:
            return SignupRequest.objects.none()
        requests = requests.filter(reseller=reseller)
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
    if signup is None:
        return None
    if signup.requester_id != user.pk and not reviewable_requests(user).filter(pk=pk).exists():
        return None  # a reseller's staff see only the applications that chose their reseller
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
