"""The set-up of an approved sign-up runs here (public schema): a thin task, the request's id in."""

from celery import shared_task

from control_plane.onboarding.services import signup_request_provision


@shared_task(acks_late=True)
def provision_signup(signup_request_id: int) -> str | None:
    """A second delivery of the same id does nothing (the request is claimed once)."""
    signup = signup_request_provision(signup_request_id=signup_request_id)
    return signup.status if signup is not None else None
