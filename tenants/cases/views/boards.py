"""The overdue board (grouped by unit and by the deadline missed) and spot checks of closed cases."""

import secrets
from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.accounts.roles import Perm, has_permission
from tenants.accounts.views import add_service_errors, permission_required
from tenants.cases.forms import SampleForm, SpotCheckForm
from tenants.cases.models import CaseSpotCheck, SpotCheckResult
from tenants.cases.selectors import cases_overdue, cases_sample_closed
from tenants.cases.services import case_spot_check
from tenants.cases.views.cases import unit_choices
from tenants.cases.views.common import (
    DUE_LABELS,
    ESCALATION_LABELS,
    case_or_404,
    case_row,
    tag_labels,
)

BOARD_LIMIT = 2000  # overdue cases shown at once (the oldest deadlines first)
SAMPLE_KEYS = ("start", "end", "mode", "amount", "unit_code", "seed")


def overdue_for(delta: timedelta) -> str:
    days, hours = delta.days, delta.seconds // 3600
    if days:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    return _("%(h)d h %(m)d min") % {"h": hours, "m": (delta.seconds // 60) % 60}


@permission_required(Perm.VIEW_CASES)
def overdue_board(request):
    """Overdue open cases within reach: a summary per unit, then one table per deadline missed (contact,
    feedback, rectification), the longest overdue first, with the escalation level."""
    now = timezone.now()
    labels = tag_labels()
    cases = list(cases_overdue(actor=request.user.actor, now=now)[:BOARD_LIMIT])
    groups: dict[str, list] = {kind: [] for kind in DUE_LABELS}
    units: dict[int, dict] = {}
    for case in cases:
        row = case_row(case, labels, now)
        if row.due_at is None:
            continue
        item = {
            "row": row,
            "overdue_by": now - row.due_at,
            "overdue_text": overdue_for(now - row.due_at),
            "escalation": ESCALATION_LABELS.get(case.escalation_level, case.escalation_level),
        }
        groups.setdefault(row.due_kind, []).append(item)
        summary = units.setdefault(
            case.unit_id,
            {
                "unit": case.unit,
                "counts": dict.fromkeys(DUE_LABELS, 0),
                "total": 0,
                "worst": timedelta(0),
                "level": 0,
            },
        )
        summary["counts"][row.due_kind] = summary["counts"].get(row.due_kind, 0) + 1
        summary["total"] += 1
        summary["worst"] = max(summary["worst"], item["overdue_by"])
        summary["level"] = max(summary["level"], case.escalation_level)
    for items in groups.values():
        items.sort(key=lambda i: i["overdue_by"], reverse=True)
    by_unit = sorted(units.values(), key=lambda s: (-s["worst"], s["unit"].code))
    for summary in by_unit:
        summary["worst_text"] = overdue_for(summary["worst"])
        summary["counts_list"] = [summary["counts"][k] for k in DUE_LABELS]
        summary["escalation"] = ESCALATION_LABELS.get(summary["level"], summary["level"])
    return render(
        request,
        "cases/overdue.html",
        {
            "sections": [
                {"kind": kind, "label": DUE_LABELS[kind], "items": groups.get(kind, [])}
                for kind in DUE_LABELS
            ],
            "by_unit": by_unit,
            "kinds": list(DUE_LABELS.values()),
            "total": len(cases),
            "truncated": len(cases) >= BOARD_LIMIT,
            "can_supervise": has_permission(request.user.role, Perm.SUPERVISE_CASES),
        },
    )


def _sample_query(source: QueryDict) -> str:
    return urlencode([(k, source.get(k, "")) for k in SAMPLE_KEYS if source.get(k)])


def _spot_page(request, *, failed=None, status=200):
    query = QueryDict(request.POST.get("query", "")) if request.method == "POST" else request.GET
    form = SampleForm(query if query.get("start") else None, initial={"mode": "count", "amount": 5})
    sample, seed = None, ""
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        seed = data["seed"]
        if not seed and request.method == "GET":
            # keep the draw stable across reloads and record-and-return: the seed goes into the address
            params = request.GET.copy()
            params["seed"] = secrets.token_hex(4)
            return redirect(f"{reverse('cases-spot-checks')}?{_sample_query(params)}")
        amount = data["amount"]
        sample = cases_sample_closed(
            start=data["start"],
            end=data["end"],
            count=int(amount) if data["mode"] == "count" else None,
            percent=float(amount) if data["mode"] == "percent" else None,
            unit=data["unit_code"],
            seed=seed,
        )
    elif form.is_bound:
        status = 400
    rows = []
    if sample:
        checks: dict[int, list] = {}
        for check in CaseSpotCheck.objects.filter(case__in=sample).order_by("-checked_at"):
            checks.setdefault(check.case_id, []).append(check)
        for case in sample:
            record = failed[1] if failed and failed[0] == case.pk else SpotCheckForm(prefix=f"c{case.pk}")
            rows.append({"case": case, "checks": checks.get(case.pk, []), "form": record})
    recent = CaseSpotCheck.objects.select_related("case", "case__unit").order_by("-checked_at", "-id")[:20]
    return render(
        request,
        "cases/spot_checks.html",
        {
            "form": form,
            "rows": rows,
            "drawn": sample is not None,
            "seed": seed,
            "query": _sample_query(query),
            "recent": recent,
            "units": unit_choices(request.user.actor),
            "failed": failed,
            "problem": SpotCheckResult.PROBLEM,
            "can_supervise": True,
        },
        status=status,
    )


@permission_required(Perm.SUPERVISE_CASES)
def spot_checks(request):
    """Draw a random sample of the cases closed in a period (a number or a percentage, reproducible with its
    seed) and record a result for each; recent checks below."""
    if request.method != "POST":
        return _spot_page(request)
    case_id = request.POST.get("case_id", "")
    case = case_or_404(request, int(case_id) if case_id.isdigit() else 0)
    form = SpotCheckForm(request.POST, prefix=f"c{case.pk}")
    if form.is_valid():
        try:
            case_spot_check(
                actor=request.user.actor,
                case=case,
                result=form.cleaned_data["result"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Spot check of %(number)s recorded.") % {"number": case.number})
            query = _sample_query(QueryDict(request.POST.get("query", "")))
            return redirect(
                f"{reverse('cases-spot-checks')}?{query}" if query else reverse("cases-spot-checks")
            )
    return _spot_page(request, failed=(case.pk, form), status=400)
