"""allauth on the control plane: organisations sign up there (with a verified e-mail address) and land on
their application; tenant hosts stay closed to sign-up (staff are invited by their administrator)."""

from django.db import connection
from django.shortcuts import render
from django.urls import reverse

from tenants.accounts.adapters import AccountAdapter


def on_control_plane(request) -> bool:
    tenant = getattr(request, "tenant", None)
    schema = getattr(tenant, "schema_name", None) or connection.schema_name
    return schema == "public"


class OnboardingAccountAdapter(AccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return super().is_open_for_signup(request) or on_control_plane(request)

    def save_user(self, request, user, form, commit=True):
        # An applicant: no role, so no permission anywhere, until provisioning makes them a tenant's
        # administrator (in that tenant's schema, a separate account).
        user.role = ""
        return super().save_user(request, user, form, commit=commit)

    def pre_login(self, request, user, **kwargs):
        # A support grant's read-only user enters only through the console's one-time link (console/views_tenant
        # support_enter, which does not come here); never with a password, a reset link or a code.
        from control_plane.console.gate import is_support_user

        if is_support_user(user):
            from allauth.account.internal.stagekit import clear_login

            clear_login(request)
            return render(request, "console/support_ended.html", {"password": True}, status=403)
        return super().pre_login(request, user, **kwargs)

    def get_login_redirect_url(self, request) -> str:
        user = request.user
        if on_control_plane(request) and user.is_authenticated and not getattr(user, "role", ""):
            return reverse("onboarding")
        return super().get_login_redirect_url(request)

    def get_signup_redirect_url(self, request) -> str:
        if on_control_plane(request):  # after the address is confirmed: straight to the application
            return reverse("onboarding")
        return super().get_signup_redirect_url(request)
