"""Two-factor sign-in for administrator roles, where the tenant (or production settings) requires it."""

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.shortcuts import redirect

from tenants.accounts.roles import ADMIN_ROLES

MFA_SETUP_PATH = "/accounts/2fa/totp/activate/"
_ALLOWED_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/theme/", "/healthz", "/readyz")
_SESSION_FLAG = "mfa_enrolled"


def mfa_required_for(request) -> bool:
    user = request.user
    if not user.is_authenticated or getattr(user, "role", None) not in ADMIN_ROLES:
        return False
    tenant = getattr(request, "tenant", None)
    return settings.MFA_ENFORCE_FOR_ADMINS or bool(tenant and tenant.require_admin_mfa)


class RequireAdminMfaMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            not request.path.startswith(_ALLOWED_PREFIXES)
            and mfa_required_for(request)
            and not request.session.get(_SESSION_FLAG)
        ):
            if Authenticator.objects.filter(user=request.user, type=Authenticator.Type.TOTP).exists():
                request.session[_SESSION_FLAG] = True
            else:
                return redirect(MFA_SETUP_PATH)
        return self.get_response(request)
