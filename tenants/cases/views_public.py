"""The evaluator's status page (no sign-in, phone first): reached by the signed link in the feedback message,
it shows the case's progress and outcome without any staff name, a receipt (case number + head hash of the
hash-chained history), a verification page that recomputes the chain, and the "satisfied / not satisfied"
form once the feedback is sent.

A tampered token, a token of another tenant and an unknown case all get the same 404 page; an expired one a
410 page; neither says which case it was. Answers and verifications are rate-limited per token.
"""

import hashlib
import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from tenants.cases.models import Case, CaseEvent, CaseState, Opinion, Outcome
from tenants.cases.services.chain import case_chain_verify
from tenants.cases.services.feedback import (
    OpinionNotOpen,
    case_opinion_from_status_page,
    opinion_open,
    outcome_plain,
    status_token_check,
)
from tenants.channels import ratelimit

S = CaseState
DEFAULT_RATE = (20, 600)  # answers and verifications per token per 10 minutes
_HASH = re.compile(r"^[0-9a-f]{64}$")


class OpinionForm(forms.Form):
    opinion = forms.ChoiceField(
        label=gettext_lazy("Are you satisfied with how your rating was handled?"),
        choices=Opinion.choices,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose satisfied or not satisfied.")},
    )
    comment = forms.CharField(
        label=gettext_lazy("Anything you want to add (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
    )


# --- helpers -------------------------------------------------------------------------------------------------
def _message(request, *, status: int, heading: str, text: str, kind: str = "error"):
    return render(
        request, "cases/public_message.html", {"heading": heading, "text": text, "kind": kind}, status=status
    )


def _not_found(request):
    return _message(
        request,
        status=404,
        heading=_("This link is not valid"),
        text=_(
            "The link may be incomplete or belong to another organisation. Open it again from the message "
            "you received, or ask the service hall for a new one."
        ),
    )


def _expired(request):
    return _message(
        request,
        status=410,
        heading=_("This link has expired"),
        text=_("For your privacy, status links work for a limited time. Ask the service hall for a new one."),
    )


def _too_many(request):
    return _message(
        request,
        status=429,
        heading=_("Please try again in a few minutes"),
        text=_("This link was used many times just now. Please wait a little and try again."),
    )


def _case_for(request, token: str):
    """(case, None) or (None, error response)."""
    check = status_token_check(token)
    if check.status == "expired":
        return None, _expired(request)
    if check.status != "ok":
        return None, _not_found(request)
    case = Case.objects.select_related("transaction__item").filter(pk=check.case_id).first()
    if case is None:
        return None, _not_found(request)
    return case, None


def _allowed(token: str) -> bool:
    rate = tuple(getattr(settings, "CASES_STATUS_RATE", DEFAULT_RATE))
    return ratelimit.allow("case-status", hashlib.sha256(token.encode()).hexdigest()[:32], rate=rate)


def _day(value):
    return timezone.localtime(value).date() if value else None


def progress_steps(case: Case) -> list[dict]:
    """The steps the evaluator sees, each {key, label, date, status: done|current|pending|skipped, note}.
    Dates only, from the case's own fields: no event, actor or staff record is read."""
    ledger_open = case.state == S.LEDGER
    not_adopted_pending = case.state == S.PENDING_CONFIRMATION
    resolved_label = {
        Outcome.FIXED: _("Put right"),
        Outcome.LEDGER: _("Rectified"),
        Outcome.EXPLAINED: _("Explained"),
        Outcome.NOT_ADOPTED: _("Explained"),
    }.get(case.outcome, _("Rectified or explained"))
    steps = [
        {"key": "received", "label": _("Received"), "date": _day(case.opened_at)},
        {"key": "contacted", "label": _("Called back"), "date": _day(case.contacted_at)},
        {"key": "verified", "label": _("Verified"), "date": _day(case.verified_at)},
        {"key": "resolved", "label": resolved_label, "date": _day(case.resolved_at)},
        {"key": "feedback", "label": _("Result sent to you"), "date": _day(case.feedback_at)},
        {"key": "closed", "label": _("Closed"), "date": _day(case.closed_at)},
    ]
    current_found = False
    for step in steps:
        step["note"] = ""
        if step["date"] is not None:
            step["status"] = "done"
            continue
        if step["key"] == "contacted" and case.verified_at is not None:  # verified without a callback
            step["status"] = "skipped"
            step["note"] = _("Not needed: the rating was anonymous.") if not case.realname else ""
            continue
        if not current_found:
            step["status"] = "current"
            current_found = True
            if step["key"] == "resolved" and ledger_open and case.ledger_deadline:
                step["note"] = _("Being rectified; planned to be finished by %(date)s.") % {
                    "date": case.ledger_deadline.isoformat()
                }
            elif step["key"] == "resolved" and not_adopted_pending:
                step["note"] = _("Being reviewed by the supervising body.")
        else:
            step["status"] = "pending"
    return steps


def _receipt(case: Case) -> dict:
    last = (
        CaseEvent.objects.filter(case_id=case.pk)
        .order_by("-seq")
        .values_list("created_at", flat=True)
        .first()
    )
    return {"number": case.number, "head_hash": case.head_hash, "events": case.last_seq, "as_of": last}


# --- pages ---------------------------------------------------------------------------------------------------
@never_cache
@require_http_methods(["GET", "POST"])
def status_page(request, token: str):
    """The case's progress, its outcome once sent, the receipt, and the opinion form."""
    case, error = _case_for(request, token)
    if error is not None:
        return error
    form = OpinionForm(request.POST or None, initial={"opinion": case.evaluator_opinion or None})
    answered = None
    status = 200
    if request.method == "POST":
        if not _allowed(token):
            return _too_many(request)
        if form.is_valid():
            try:
                result = case_opinion_from_status_page(
                    case=case, opinion=form.cleaned_data["opinion"], comment=form.cleaned_data["comment"]
                )
            except OpinionNotOpen:
                form.add_error(None, _("The result has not been sent yet; you can answer once it is."))
                status = 409
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, messages)
                status = 400
            else:
                case = result.case
                answered = "recorded" if result.recorded else "same"
                form = OpinionForm(initial={"opinion": case.evaluator_opinion})
        else:
            status = 400
    outcome = ""
    if case.feedback_at is not None:
        outcome = outcome_plain(case)
    return render(
        request,
        "cases/public_status.html",
        {
            "case": case,
            "item": case.transaction.item if case.transaction_id else None,
            "steps": progress_steps(case),
            "outcome": outcome,
            "feedback_text": case.feedback_text if case.feedback_at else "",
            "receipt": _receipt(case),
            "verify_url": reverse("cases-status-verify", args=[token]),
            "opinion_open": opinion_open(case),
            "opinion_label": Opinion(case.evaluator_opinion).label if case.evaluator_opinion else "",
            "form": form,
            "answered": answered,
            "reopened": case.reopened_count > 0 and case.state != S.CLOSED,
        },
        status=status,
    )


@never_cache
@require_GET
def status_verify(request, token: str):
    """Recompute the case's hash chain and say whether its history is intact. `?receipt=<hash>` also says
    whether a receipt kept earlier is part of this history. `?format=json` answers in JSON."""
    case, error = _case_for(request, token)
    if error is not None:
        return error
    if not _allowed(token):
        return _too_many(request)
    report = case_chain_verify(case=case)
    receipt = (request.GET.get("receipt") or "").strip().lower()[:64]
    receipt_seq = None
    if _HASH.match(receipt):
        receipt_seq = (
            CaseEvent.objects.filter(case_id=case.pk, hash=receipt).values_list("seq", flat=True).first()
        )
    result = {
        "case": case.number,
        "intact": report.ok,
        "events": report.events,
        "head_hash": case.head_hash,
        "first_bad_event": report.first_bad_seq,
        "receipt": receipt if _HASH.match(receipt) else None,
        "receipt_found": receipt_seq is not None if _HASH.match(receipt) else None,
        "receipt_event": receipt_seq,
        "checked_at": timezone.now().isoformat(),
    }
    if request.GET.get("format") == "json":
        response = JsonResponse(result, status=200)
        response["Cache-Control"] = "no-store"
        return response
    return render(
        request,
        "cases/public_verify.html",
        {
            "case": case,
            "report": report,
            "result": result,
            "status_url": reverse("cases-status", args=[token]),
            "verify_url": reverse("cases-status-verify", args=[token]),
        },
    )
