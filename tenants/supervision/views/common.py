from django.core.exceptions import ValidationError
from django.http import HttpResponse

from tenants.accounts.roles import Perm, has_permission


def add_service_errors(form, exc: ValidationError, mapping: dict | None = None) -> None:
    """Show a service's ValidationError on the form: on the named field when the form has it, else on top."""
    for field, errors in exc.message_dict.items():
        name = (mapping or {}).get(field, field)
        form.add_error(name if name in form.fields else None, errors)


def can_manage(user) -> bool:
    return has_permission(getattr(user, "role", None), Perm.RUN_SUPERVISION)


def can_reveal(user) -> bool:
    return has_permission(getattr(user, "role", None), Perm.REVEAL_IDENTITY)


def no_store(response: HttpResponse) -> HttpResponse:
    """Pages showing revealed identity must not be kept by the browser or a proxy."""
    response["Cache-Control"] = "no-store, private"
    return response
