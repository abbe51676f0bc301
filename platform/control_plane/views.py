from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from control_plane.selectors import tenant_overview
from tenants.accounts.roles import Perm, has_permission


def home(request):
    return render(request, "control_plane/home.html")


@login_required
def console(request):
    if not has_permission(request.user.role, Perm.VIEW_TENANTS):
        raise PermissionDenied
    return render(request, "control_plane/console.html", {"tenants": tenant_overview()})
