"""Administration read-only while a subscription is unpaid or cancelled (called by control_plane/console/gate.py
after its suspended/archived checks, on tenant hosts only).

Reads (GET, HEAD, OPTIONS) always pass, and so do the writes that must never depend on billing: evaluation
intake on every channel (devices, QR and mobile pages, widget, API, paper forms, SMS, social comments), the
closed loop (cases, appeals, callbacks, notifications to evaluators, the problem ledger, revealing an
evaluator's identity to call them back), signing in and out, data export, and the
billing pages themselves (paying is how one gets out). Every other write by staff, administrators or keys gets
403 with the reason and the way out (/billing/).

Cheap: a read or an open route decides without looking at billing at all; otherwise billing/state.py answers
from the host-cached tenant.
"""

from __future__ import annotations

from control_plane.console.gate import (
    ALWAYS,
    CITIZEN_PAGES,
    CITIZEN_ROUTE_PREFIXES,
    INTAKE_API,
    INTAKE_API_ANY,
    _problem,
    _url_name,
)
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from billing.models import SubscriptionStatus
from billing.state import billing_state

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
OPEN_ROUTE_PREFIXES = (
    *CITIZEN_ROUTE_PREFIXES,
    "billing/",
    "accounts/",  # sign-in, sign-out, password, two-factor
    "setup/invite/",  # accepting an invitation (choosing a password)
    "support-access/",
    "insight/exports/",  # the data export offered before archiving
    # intake channels staff operate
    "assisted/",  # paper forms, SMS invitations, social comments
    # the closed loop
    "cases/",
    "appeals/",
    "notify/",
    "supervision/callbacks/",
    "supervision/s/",  # citizens answering a survey
    "api/v1/cases",
    "api/v1/appeals",
    "api/v1/supervision/callbacks/",
    "api/v1/sms/",
    "api/v1/questionnaire",
    "insight/comments/ledger/",  # the problem ledger: rectification of what citizens complained about
)
# the evaluator's identity, revealed (audited) to call them back
OPEN_NAMES = ALWAYS | CITIZEN_PAGES | INTAKE_API | INTAKE_API_ANY | {"evaluation-reveal"}
BILLING_PATH = "/billing/"


def _open(request: HttpRequest) -> bool:
    name, route = _url_name(request)
    return name in OPEN_NAMES or route.startswith(OPEN_ROUTE_PREFIXES)


def billing_gate(request: HttpRequest) -> HttpResponse | None:
    """None to go on, or the refusal of an administrative write while billing makes administration read-only."""
    if request.method not in WRITE_METHODS or _open(request):
        return None
    state = billing_state(request.tenant)
    if not state.read_only:
        return None
    cancelled = state.status == SubscriptionStatus.CANCELLED
    if request.path.startswith("/api/"):
        detail = (
            _(
                "The subscription is cancelled: administration is read-only. Export your data or subscribe again at %(path)s."
            )
            if cancelled
            else _("The subscription is unpaid: administration is read-only until it is paid at %(path)s.")
        ) % {"path": BILLING_PATH}
        return _problem(
            403,
            "billing-cancelled" if cancelled else "billing-unpaid",
            _("Read-only: subscription cancelled") if cancelled else _("Read-only: subscription unpaid"),
            detail + " " + _("Ratings and case handling keep working."),
        )
    response = render(request, "billing/read_only.html", {"state": state, "cancelled": cancelled}, status=403)
    response["Cache-Control"] = "no-store"
    return response
