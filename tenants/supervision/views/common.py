from django.http import HttpResponse

from tenants.accounts.roles import Perm, has_permission


def can_manage(user) -> bool:
    return has_permission(getattr(user, "role", None), Perm.RUN_SUPERVISION)


def can_reveal(user) -> bool:
    return has_permission(getattr(user, "role", None), Perm.REVEAL_IDENTITY)


def no_store(response: HttpResponse) -> HttpResponse:
    """Pages showing revealed identity must not be kept by the browser or a proxy."""
    response["Cache-Control"] = "no-store, private"
    return response
