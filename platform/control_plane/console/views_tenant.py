"""Support access on a tenant's host (/support-access/): the administrators' list of requests with approve,
deny and revoke; the one-time link's landing page that starts a support session; and leaving it."""

from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from control_plane.console.forms import SupportDecisionForm, SupportRevokeForm
from control_plane.console.gate import SUPPORT_SESSION_KEY
from control_plane.console.models import SupportGrant
from control_plane.console.selectors import GRANT_STATE_LABELS, support_grants
from control_plane.console.services import (
    SupportAccessRefused,
    support_decide,
    support_revoke,
    support_session_start,
)
from tenants.accounts.roles import Perm
from tenants.accounts.views import permission_required


@permission_required(Perm.MANAGE_USERS)
def support_list(request):
    """Every request for platform support access to this tenant: decide, or end an active one."""
    grants = [
        {"grant": g, "state": (state := g.state()), "state_label": GRANT_STATE_LABELS[state]}
        for g in support_grants(tenant=request.tenant)
    ]
    return render(
        request,
        "console/tenant_support_list.html",
        {"grants": grants, "decision_form": SupportDecisionForm(), "revoke_form": SupportRevokeForm()},
    )


def _decide(request, grant_id: int, *, approve: bool):
    form = SupportDecisionForm(request.POST)
    form.is_valid()
    try:
        support_decide(
            actor=request.user.actor,
            tenant=request.tenant,
            grant_id=grant_id,
            approve=approve,
            note=form.cleaned_data.get("note", ""),
        )
    except SupportGrant.DoesNotExist as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Access approved.") if approve else _("Access denied."))
    return redirect("support-access")


@require_POST
@permission_required(Perm.MANAGE_USERS)
def support_approve(request, grant_id: int):
    return _decide(request, grant_id, approve=True)


@require_POST
@permission_required(Perm.MANAGE_USERS)
def support_deny(request, grant_id: int):
    return _decide(request, grant_id, approve=False)


@require_POST
@permission_required(Perm.MANAGE_USERS)
def support_revoke_tenant(request, grant_id: int):
    form = SupportRevokeForm(request.POST)
    form.is_valid()
    try:
        support_revoke(
            actor=request.user.actor,
            tenant=request.tenant,
            grant_id=grant_id,
            by_tenant=True,
            reason=form.cleaned_data.get("reason", ""),
        )
    except SupportGrant.DoesNotExist as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The support access was ended."))
    return redirect("support-access")


@never_cache
@require_GET
def support_enter(request):
    """The one-time link from the console: sign in as the grant's read-only user until the grant ends."""
    try:
        grant, user = support_session_start(token=request.GET.get("token", ""), tenant=request.tenant)
    except SupportAccessRefused:
        return render(request, "console/support_ended.html", {"refused": True}, status=403)
    if request.user.is_authenticated:
        logout(request)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SUPPORT_SESSION_KEY] = grant.pk
    request.session.set_expiry(grant.expires_at)
    return redirect("home")


@require_POST
def support_leave(request):
    logout(request)
    return render(request, "console/support_ended.html", {"left": True})
