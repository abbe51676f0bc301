"""The national staff console on the control-plane host: tenants, their status, and support access."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from control_plane.console.forms import (
    StatusActionForm,
    SupportRequestForm,
    SupportRevokeForm,
    TenantFilterForm,
)
from control_plane.console.models import SupportGrant
from control_plane.console.selectors import (
    GRANT_STATE_LABELS,
    activity_refreshed_at,
    support_grants,
    tenant_rows,
    tenant_status_history,
    tenants_filtered,
)
from control_plane.console.services import (
    STATUS_ACTIONS,
    support_link_issue,
    support_request,
    support_revoke,
    tenant_status_change,
)
from tenants.accounts.roles import Perm, has_permission
from tenants.accounts.views import add_service_errors, permission_required
from tenants.models import Tenant
from tenants.services import tenant_domain_name

PAGE_SIZE = 50
ACTION_LABELS = {
    "suspend": gettext_lazy("Suspend"),
    "archive": gettext_lazy("Archive"),
    "resume": gettext_lazy("Resume"),
}


def _tenant(pk: int) -> Tenant:
    return get_object_or_404(Tenant.objects.exclude(schema_name="public").select_related("parent"), pk=pk)


def _can_manage(request) -> bool:
    return has_permission(request.user.role, Perm.MANAGE_TENANTS)


@permission_required(Perm.VIEW_NATIONAL)
def console(request):
    """Every tenant with its status, plan, usage and feed health; filters and pages."""
    form = TenantFilterForm(request.GET or None)
    filters = form.filters()
    page = Paginator(tenants_filtered(**filters), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "console/tenant_list.html",
        {
            "form": form,
            "page": page,
            "rows": tenant_rows(list(page.object_list)),
            "query": urlencode(filters),
            "refreshed_at": activity_refreshed_at(),
        },
    )


def _grants_view(grants: list[SupportGrant], user_id: int) -> list[dict]:
    return [
        {
            "grant": g,
            "state": (state := g.state()),
            "state_label": GRANT_STATE_LABELS[state],
            "mine": g.requested_by_id == user_id,
        }
        for g in grants
    ]


@permission_required(Perm.VIEW_NATIONAL)
def tenant_detail(request, pk: int):
    tenant = _tenant(pk)
    row = tenant_rows(list(tenants_filtered().filter(pk=tenant.pk)))[0]
    can_manage = _can_manage(request)
    return render(
        request,
        "console/tenant_detail.html",
        {
            "tenant": tenant,
            "row": row,
            "history": tenant_status_history(tenant=tenant),
            "grants": _grants_view(support_grants(tenant=tenant), request.user.pk),
            "can_manage": can_manage,
            "actions": [
                (name, ACTION_LABELS[name])
                for name, (allowed, _after) in STATUS_ACTIONS.items()
                if tenant.status in allowed
            ]
            if can_manage
            else [],
            "support_form": SupportRequestForm() if can_manage else None,
            "refreshed_at": activity_refreshed_at(),
        },
    )


@permission_required(Perm.MANAGE_TENANTS)
def tenant_action(request, pk: int, action: str):
    """Suspend, archive or resume, confirmed with a reason (GET shows the form, POST acts)."""
    tenant = _tenant(pk)
    if action not in STATUS_ACTIONS:
        raise PermissionDenied
    form = StatusActionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            changed = tenant_status_change(
                actor=request.user.actor, tenant=tenant, action=action, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(tenant)s is now “%(status)s”.")
                % {"tenant": changed.name, "status": changed.get_status_display()},
            )
            return redirect("console-tenant", pk=tenant.pk)
    return render(
        request,
        "console/tenant_action.html",
        {"tenant": tenant, "action": action, "action_label": ACTION_LABELS[action], "form": form},
        status=400 if request.method == "POST" else 200,
    )


@permission_required(Perm.MANAGE_TENANTS)
def support_request_view(request, pk: int):
    tenant = _tenant(pk)
    form = SupportRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            support_request(actor=request.user.actor, tenant=tenant, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Access requested. The tenant's administrators decide on it."))
            return redirect("console-tenant", pk=tenant.pk)
    return render(
        request,
        "console/support_request.html",
        {"tenant": tenant, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def _tenant_url(request, tenant: Tenant, path: str) -> str:
    port = request.get_port()
    default = "443" if request.is_secure() else "80"
    suffix = f":{port}" if port and port != default else ""
    return f"{request.scheme}://{tenant_domain_name(tenant.slug)}{suffix}{path}"


@require_POST
@permission_required(Perm.MANAGE_TENANTS)
def support_open(request, grant_id: int):
    """Open the tenant through a one-time link, as the grant's read-only user (requester only)."""
    grant = get_object_or_404(SupportGrant.objects.select_related("tenant"), pk=grant_id)
    try:
        token = support_link_issue(actor=request.user.actor, grant_id=grant.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("console-tenant", pk=grant.tenant_id)
    return redirect(
        _tenant_url(request, grant.tenant, "/support-access/enter?" + urlencode({"token": token}))
    )


@require_POST
@permission_required(Perm.MANAGE_TENANTS)
def support_revoke_view(request, grant_id: int):
    grant = get_object_or_404(SupportGrant.objects.select_related("tenant"), pk=grant_id)
    form = SupportRevokeForm(request.POST)
    form.is_valid()
    try:
        support_revoke(
            actor=request.user.actor,
            tenant=grant.tenant,
            grant_id=grant.pk,
            by_tenant=False,
            reason=form.cleaned_data.get("reason", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The support access was ended."))
    return redirect("console-tenant", pk=grant.tenant_id)
