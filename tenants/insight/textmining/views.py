"""Comment analysis pages at /insight/comments/ (堵点难点): what comments talk about, clusters of similar
complaints, spikes, and the ledger of concentrated problems. Reading needs VIEW_INSIGHT; the ledger is kept by
supervisors (SUPERVISE_CASES). Comments are shown as text (auto-escaped, personal numbers masked), never with
anything about who wrote them."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenants.accounts.roles import Perm, has_permission
from tenants.accounts.views import permission_required
from tenants.insight.textmining.forms import CommentScopeForm, LedgerCreateForm, LedgerResolveForm
from tenants.insight.textmining.models import LedgerStatus, ProblemLedgerEntry, TermKind
from tenants.insight.textmining.selectors import (
    comment_totals,
    complaint_clusters,
    open_ledger_keys,
    problem_ledger_entries,
    sample_comments,
    term_frequencies,
    term_spike,
    term_spikes,
)
from tenants.insight.textmining.services import (
    DEFAULT_DEADLINE_DAYS,
    MAX_DEADLINE_DAYS,
    problem_ledger_create,
    problem_ledger_resolve,
)
from tenants.organisation.models import Unit

SPIKE_SAMPLES = 3
LEDGER_PAGE = 200


def _chart(keywords) -> dict:
    return {
        "terms": [t.label for t in keywords],
        "bad": [t.bad for t in keywords],
        "other": [t.count - t.bad for t in keywords],
        "badName": _("Bad reviews"),
        "otherName": _("Other ratings"),
    }


@permission_required(Perm.VIEW_INSIGHT)
def comments_overview(request):
    form = CommentScopeForm(request.GET)
    context = {
        "form": form,
        "can_supervise": has_permission(request.user.role, Perm.SUPERVISE_CASES),
        "deadline_days": DEFAULT_DEADLINE_DAYS,
        "max_deadline_days": MAX_DEADLINE_DAYS,
    }
    if form.is_valid():
        scope, staff = form.scope(), form.cleaned_data["staff"]
        keywords = term_frequencies(scope, staff=staff, limit=30)
        spikes = term_spikes(today=scope.end, unit=scope.unit)
        samples = {
            s.evaluation_id: s
            for s in sample_comments([i for s in spikes for i in s.sample_ids[:SPIKE_SAMPLES]])
        }
        open_keys = open_ledger_keys()
        context.update(
            scope=scope,
            totals=comment_totals(scope, staff=staff),
            keywords=keywords,
            phrases=term_frequencies(scope, kind=TermKind.PHRASE, staff=staff, limit=20),
            tags=term_frequencies(scope, kind=TermKind.TAG, staff=staff, limit=20),
            clusters=complaint_clusters(scope, staff=staff),
            spikes=[
                {
                    "spike": s,
                    "samples": [samples[i] for i in s.sample_ids[:SPIKE_SAMPLES] if i in samples],
                    "on_ledger": (s.unit.pk, s.term) in open_keys,
                    "title": _("%(unit)s: complaints about “%(term)s” rising")
                    % {"unit": s.unit.name, "term": s.label},
                }
                for s in spikes
            ],
            chart=_chart(keywords) if keywords else None,
        )
    return render(request, "insight/comments/overview.html", context)


def _back(request, fallback: str):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


@permission_required(Perm.SUPERVISE_CASES)
@require_POST
def ledger_create(request):
    form = LedgerCreateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The ledger entry was not created: check the title and the deadline."))
        return _back(request, "insight-comments")
    unit = get_object_or_404(Unit, code=form.cleaned_data["unit"])
    spike = term_spike(unit=unit, term=form.cleaned_data["term"], today=form.cleaned_data["today"])
    try:
        entry = problem_ledger_create(
            actor=request.user.actor,
            spike=spike,
            title=form.cleaned_data["title"],
            deadline_days=form.cleaned_data["deadline_days"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(request, "insight-comments")
    messages.success(
        request, _("On the ledger, due %(deadline)s.") % {"deadline": entry.deadline.isoformat()}
    )
    return redirect("insight-comments-ledger-entry", entry.pk)


STATUSES = {"open": LedgerStatus.OPEN, "resolved": LedgerStatus.RESOLVED, "all": None}


@permission_required(Perm.VIEW_INSIGHT)
def ledger_list(request):
    status = request.GET.get("status", "open")
    if status not in STATUSES:
        status = "open"
    entries = list(problem_ledger_entries(status=STATUSES[status])[:LEDGER_PAGE])
    return render(
        request,
        "insight/comments/ledger.html",
        {
            "entries": entries,
            "status": status,
            "statuses": [("open", _("Open")), ("resolved", _("Resolved")), ("all", _("All"))],
            "today": timezone.localdate(),
            "can_supervise": has_permission(request.user.role, Perm.SUPERVISE_CASES),
        },
    )


@permission_required(Perm.VIEW_INSIGHT)
def ledger_entry(request, pk: int):
    entry = get_object_or_404(ProblemLedgerEntry.objects.select_related("unit"), pk=pk)
    evidence = entry.evidence or {}
    return render(
        request,
        "insight/comments/ledger_entry.html",
        {
            "entry": entry,
            "evidence": evidence,
            "samples": sample_comments(list(evidence.get("sample_evaluation_ids", []))[:10]),
            "today": timezone.localdate(),
            "can_supervise": has_permission(request.user.role, Perm.SUPERVISE_CASES),
            "resolve_form": LedgerResolveForm(),
        },
    )


@permission_required(Perm.SUPERVISE_CASES)
@require_POST
def ledger_resolve(request, pk: int):
    entry = get_object_or_404(ProblemLedgerEntry, pk=pk)
    form = LedgerResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say what was done about the problem."))
        return redirect("insight-comments-ledger-entry", entry.pk)
    try:
        problem_ledger_resolve(actor=request.user.actor, entry=entry, note=form.cleaned_data["note"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("insight-comments-ledger-entry", entry.pk)
    messages.success(request, _("The ledger entry is resolved."))
    return _back(request, "insight-comments-ledger")
