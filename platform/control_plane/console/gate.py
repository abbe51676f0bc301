"""What a tenant's host serves while the tenant is suspended or archived, and the support session check.

Called by tenants.middleware.TenantMiddleware.process_view, i.e. after routing, sessions and authentication
and before any view runs, on every tenant host (never on the control plane's). Static files never get here
(WhiteNoise answers them earlier), nor /healthz and /readyz.

- active / trial: everything, as before.
- suspended: citizens keep rating. The pages citizens use (rating devices, QR and mobile rating pages, the
  widget's script, the evaluator's case status page, the public disclosure portal) and the intake API for
  machine keys (`Authorization: Api-Key …`: ratings single and bulk, transactions, the widget's submit, the
  device and catalogue reads devices need) keep working. Every other page shows "suspended" (403) and every
  other API call gets a 403 problem `tenant-suspended` — staff, administrators, work-order systems, sign-in.
- archived: nothing is served: pages answer 410 with an explanation, the API a 410 problem `tenant-archived`
  (intake included). The data stays in the schema; resuming restores the tenant.
- a subscription unpaid or cancelled (billing/gate.py): administrative writes refused (403, why and where to
  pay); reads, intake on every channel, the closed loop, sign-in and the billing pages keep working.

A support session (a national staff member's read-only access granted by the tenant, see services.py) is
checked on every request: once the grant expires or is revoked the session is signed out at once, and while
it lasts `request.support_grant` is set so that base.html shows the banner.
"""

from __future__ import annotations

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.models import TenantStatus

SUPPORT_SESSION_KEY = "console_support_grant"
SUPPORT_EMAIL_DOMAIN = "support.invalid"  # every grant's read-only user: support-<grant>@support.invalid

# domain-token: a verified custom domain is re-checked daily and must keep finding its token
ALWAYS = frozenset({"set_language", "theme-logo", "theme-favicon", "domain-token"})
CITIZEN_PAGES = frozenset(
    {
        "channels-device",
        "channels-device-setup",
        "channels-device-sw",
        "channels-window-rate",
        "channels-transaction-rate",
        "channels-widget-js",
        "cases-status",
        "cases-status-verify",
    }
)
CITIZEN_ROUTE_PREFIXES = ("portal/",)  # the public disclosure portal (not /settings/portal/)
# Answered only to machine keys: a signed-in person's session never passes.
INTAKE_API = frozenset(
    {
        "api-evaluations",
        "api-evaluations-bulk",
        "api-transactions",
        "api-transactions-bulk",
        "api-transaction",
        "api-transaction-qr",
        "api-transaction-qr-image",
        "api-device",
        "api-items",
        "api-units",
        "api-staff",
    }
)
INTAKE_API_ANY = frozenset(
    {"api-widget-evaluations"}
)  # its CORS preflight carries no key; it takes keys only
PROBLEM_BASE = "https://docs.haochaping.cloud/problems/"


def _url_name(request: HttpRequest) -> tuple[str, str]:
    match = getattr(request, "resolver_match", None)
    return (match.url_name or "", match.route or "") if match else ("", "")


def _serves_citizens(request: HttpRequest) -> bool:
    name, route = _url_name(request)
    if (
        name in ALWAYS
        or name in CITIZEN_PAGES
        or name in INTAKE_API_ANY
        or route.startswith(CITIZEN_ROUTE_PREFIXES)
    ):
        return True
    return name in INTAKE_API and request.headers.get("Authorization", "").startswith("Api-Key ")


def _problem(status: int, code: str, title: str, detail: str) -> JsonResponse:
    response = JsonResponse(
        {"type": PROBLEM_BASE + code, "title": title, "status": status, "detail": detail},
        status=status,
        content_type="application/problem+json",
        json_dumps_params={"ensure_ascii": False},
    )
    response["Cache-Control"] = "no-store"
    return response


def _unavailable(request: HttpRequest, status_value: str) -> HttpResponse:
    suspended = status_value == TenantStatus.SUSPENDED
    if request.path.startswith("/api/"):
        if suspended:
            return _problem(
                403,
                "tenant-suspended",
                _("Tenant suspended"),
                _("This organisation's account is suspended: only rating intake is accepted."),
            )
        return _problem(
            410,
            "tenant-archived",
            _("Tenant archived"),
            _("This organisation's account is archived: nothing is accepted, ratings included."),
        )
    response = render(
        request,
        "console/tenant_unavailable.html",
        {"suspended": suspended, "tenant": request.tenant},
        status=403 if suspended else 410,
    )
    response["Cache-Control"] = "no-store"
    return response


def _support_ended(request: HttpRequest, user=None) -> HttpResponse:
    user_pk = user.pk if user is not None else None
    logout(request)
    if user_pk is not None:  # no session of this read-only user outlives its grant, however it was opened
        from tenants.accounts.models import User

        User.objects.filter(pk=user_pk).update(is_active=False)
    if request.path.startswith("/api/"):
        return _problem(
            403, "support-access-ended", _("Support access ended"), _("The support access has ended.")
        )
    return render(request, "console/support_ended.html", status=403)


def is_support_user(user) -> bool:
    """A grant's read-only user (console/services.py support_email): no password, no e-mail of its own."""
    email = getattr(user, "email", "") or ""
    return email.lower().endswith("@" + SUPPORT_EMAIL_DOMAIN)


# What a support user may never open: its password and e-mail addresses (allauth), nor anything else under
# /accounts/ (MFA, sessions) but signing out.
SUPPORT_BLOCKED_PREFIX = "/accounts/"
SUPPORT_ALLOWED_PATHS = ("/accounts/logout/",)


def _support_check(request: HttpRequest) -> HttpResponse | None:
    """Keyed on the signed-in USER, not on the session's marker: a grant's user passes only in the session
    its one-time link opened, and only while the grant is active; otherwise it is signed out and
    deactivated, whatever else the session carries."""
    session = getattr(request, "session", None)
    if session is None:
        return None
    grant_id = session.get(SUPPORT_SESSION_KEY)
    if grant_id is None and "_auth_user_id" not in session:
        return None  # anonymous: no query
    user = getattr(request, "user", None)
    if grant_id is None and not (user is not None and user.is_authenticated and is_support_user(user)):
        return None
    from control_plane.console.models import SupportGrant

    grants = SupportGrant.objects.filter(tenant_id=request.tenant.pk)
    if user is not None and user.is_authenticated and is_support_user(user):
        grant = grants.filter(support_user_id=user.pk).first()
        if grant is None or grant_id is None or str(grant.pk) != str(grant_id):
            return _support_ended(request, user if grant is None or not grant.is_active() else None)
    else:
        grant = grants.filter(pk=grant_id).first()
    if (
        grant is None
        or not grant.is_active(timezone.now())
        or str(grant.support_user_id) != str(session.get("_auth_user_id"))
    ):
        return _support_ended(request, user if user is not None and is_support_user(user) else None)
    if request.path.startswith(SUPPORT_BLOCKED_PREFIX) and request.path not in SUPPORT_ALLOWED_PATHS:
        return render(request, "console/support_ended.html", {"blocked": True}, status=403)
    request.support_grant = grant
    return None


def tenant_gate(request: HttpRequest) -> HttpResponse | None:
    """None to go on to the view, or the response that replaces it."""
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.schema_name == "public":
        return None
    status_value = tenant.status
    if status_value == TenantStatus.ARCHIVED and _url_name(request)[0] not in ALWAYS:
        return _unavailable(request, status_value)
    if status_value == TenantStatus.SUSPENDED and not _serves_citizens(request):
        return _unavailable(request, status_value)
    refused = _support_check(request)
    if refused is not None:
        return refused
    # An unpaid or cancelled subscription: administration read-only, intake and the closed loop open.
    from billing.gate import billing_gate

    return billing_gate(request)
