from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from tenants.accounts.roles import ROLE_PERMISSIONS
from tenants.accounts.services import role_label


@login_required
def home(request):
    """The staff workspace of a tenant: who you are here and what you may do."""
    user = request.user
    return render(request, "accounts/home.html", {
        "role_label": role_label(user.role),
        "permissions": sorted(ROLE_PERMISSIONS.get(user.role, ())),
    })
