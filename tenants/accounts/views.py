from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenants.accounts.forms import ApiKeyForm
from tenants.accounts.models import ApiKey
from tenants.accounts.roles import PERMISSION_LABELS, ROLE_PERMISSIONS, Perm, has_permission
from tenants.accounts.services import api_key_create, api_key_revoke, role_label


def permission_required(perm: str):
    """Page views: sign-in first, then the role must grant `perm` (roles.py decides)."""

    def decorator(view):
        @login_required
        def wrapped(request, *args, **kwargs):
            if not has_permission(request.user.role, perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.__name__ = view.__name__
        wrapped.__doc__ = view.__doc__
        return wrapped

    return decorator


def add_service_errors(form, exc: ValidationError, mapping: dict[str, str] | None = None) -> None:
    """Show a service's ValidationError on a page's form: on the named field when the form has it (after
    `mapping` from service field names to form field names), else at the top of the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        name = (mapping or {}).get(field, field)
        form.add_error(name if name in form.fields else None, errors)


@login_required
def home(request):
    """The staff workspace of a tenant: who you are here and what you may do."""
    user = request.user
    return render(
        request,
        "accounts/home.html",
        {
            "role_label": role_label(user.role),
            "permissions": [PERMISSION_LABELS[p] for p in sorted(ROLE_PERMISSIONS.get(user.role, ()))],
            "can_manage_keys": has_permission(user.role, Perm.MANAGE_API_KEYS),
        },
    )


@permission_required(Perm.MANAGE_API_KEYS)
def api_keys(request):
    """Machine keys: create (the secret is shown once), list and revoke."""
    form, created = ApiKeyForm(request.POST or None), None
    if request.method == "POST" and form.is_valid():
        try:
            _key, created = api_key_create(actor=request.user.actor, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(
        request,
        "accounts/api_keys.html",
        {
            "form": form,
            "created": created,
            "keys": ApiKey.objects.all()[:200],
        },
    )


@require_POST
@permission_required(Perm.MANAGE_API_KEYS)
def api_key_revoke_view(request, pk: int):
    key = api_key_revoke(actor=request.user.actor, api_key=get_object_or_404(ApiKey, pk=pk))
    messages.success(request, _("Key “%(name)s” was revoked.") % {"name": key.name})
    return redirect("api-keys-page")
