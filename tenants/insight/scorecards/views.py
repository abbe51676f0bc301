"""Scorecard pages (/insight/scorecards/): rankings with intervals, monthly award candidates, repeated-bad-review
warnings and the staff and window scorecards. Thin: read the query string, call a selector, render."""

import csv
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.accounts.roles import Perm, has_permission
from tenants.accounts.views import permission_required
from tenants.insight.forms import ScopeForm
from tenants.insight.scorecards import selectors
from tenants.insight.scorecards.fairness import MIN_SAMPLE
from tenants.insight.scorecards.forms import MonthForm, RankingForm
from tenants.organisation.models import Staff, Unit, UnitKind

CHART_ROWS = 20  # ranked entities drawn in the chart
DISPLAY_LIMIT = 500  # rows of each table on the page (the CSV has them all)


def _query(request, *, drop: tuple[str, ...] = ()) -> str:
    """The request's query string without `drop`, for links that change one control."""
    return urlencode([(k, v) for k, values in request.GET.lists() if k not in drop for v in values])


def _month_query(month) -> str:
    return urlencode({"from": month.isoformat(), "to": selectors.month_end(month).isoformat()})


def _percent(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 2)


@permission_required(Perm.VIEW_INSIGHT)
def rankings_page(request):
    """Departments, halls, windows or staff ranked by the Wilson lower bound of the good-review rate, each
    rank shown with its sample, rate, interval and change against the previous period; `?format=csv`
    downloads the table (export permission)."""
    scope_form, ranking_form = ScopeForm(request.GET), RankingForm(request.GET)
    context = {
        "scope_form": scope_form,
        "ranking_form": ranking_form,
        "levels": selectors.LEVELS,
        "min_sample_default": MIN_SAMPLE,
        "can_export": has_permission(request.user.role, Perm.EXPORT_DATA),
        "tab_query": _query(request, drop=("level", "format")),
    }
    if not (scope_form.is_valid() and ranking_form.is_valid()):
        return render(request, "insight/scorecards/rankings.html", context, status=400)
    scope, options = scope_form.scope(), ranking_form.cleaned_data
    rows = selectors.rankings(
        scope,
        level=options["level"],
        min_sample=options["min_sample"],
        exclude_defaults=options["exclude_defaults"],
    )
    if request.GET.get("format") == "csv":
        if not context["can_export"]:
            raise PermissionDenied
        return _rankings_csv(rows, scope, options)
    ranked = [r for r in rows if r.ranked]
    previous = selectors.previous_period(scope)
    context.update(
        scope=scope,
        previous=previous,
        level=options["level"],
        level_label=selectors.LEVELS[options["level"]],
        min_sample=options["min_sample"],
        exclude_defaults=options["exclude_defaults"],
        ranked=ranked,
        display_limit=f":{DISPLAY_LIMIT}",
        display_limit_n=DISPLAY_LIMIT,
        unranked=[r for r in rows if not r.ranked],
        csv_query=_query(request, drop=("format",)),
        scope_query=urlencode({"from": scope.start.isoformat(), "to": scope.end.isoformat()}),
        chart={
            "names": [r.name for r in ranked[:CHART_ROWS]],
            "rates": [r.percent for r in ranked[:CHART_ROWS]],
            "lows": [r.low_percent for r in ranked[:CHART_ROWS]],
            "highs": [r.high_percent for r in ranked[:CHART_ROWS]],
            "labels": {
                "rate": _("Good-review rate (%)"),
                "interval": _("Confidence interval (95%)"),
            },
        },
    )
    return render(request, "insight/scorecards/rankings.html", context)


def _rankings_csv(rows, scope, options) -> HttpResponse:
    level = options["level"]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"ranking-{level}-{scope.start:%Y%m%d}-{scope.end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # a byte-order mark: spreadsheet programs then read the Chinese names right
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Rank"),
            _("Previous rank"),
            _("Change"),
            _("Code"),
            _("Name"),
            _("Ratings"),
            _("Good"),
            _("Bad"),
            _("Good-review rate (%)"),
            _("Wilson lower bound (%)"),
            _("Wilson upper bound (%)"),
            _("Status"),
        ]
    )
    for r in rows:
        writer.writerow(
            [
                r.rank or "",
                r.previous_rank or "",
                "" if r.rank_change is None else r.rank_change,
                _csv_text(r.code),
                _csv_text(r.name),
                r.n,
                r.good,
                r.bad,
                r.percent,
                r.low_percent,
                r.high_percent,
                _("Ranked") if r.ranked else _("Sample too small (样本不足)"),
            ]
        )
    return response


def _csv_text(value: str) -> str:
    """Names typed by people: a leading =, +, - or @ would be a formula in a spreadsheet."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@") else value


@permission_required(Perm.VIEW_INSIGHT)
def candidates_page(request):
    """The month's candidates for 为民服务标兵 and 群众满意窗口 with the rules and the evidence. Without
    `?month=`, the last complete month."""
    form = MonthForm(request.GET, default_offset=-1)
    if not form.is_valid():
        return render(request, "insight/scorecards/candidates.html", {"form": form}, status=400)
    month = form.cleaned_data["month"]
    now = timezone.now()
    sections = [
        {
            "kind": kind,
            "title": selectors.AWARDS[kind],
            "candidates": selectors.award_candidates(month=month, kind=kind, now=now),
        }
        for kind in ("staff", "window")
    ]
    for section in sections:
        section["eligible"] = [c for c in section["candidates"] if c.eligible]
        section["ineligible"] = [c for c in section["candidates"] if not c.eligible]
    return render(
        request,
        "insight/scorecards/candidates.html",
        {
            "form": form,
            "month": month,
            "sections": sections,
            "min_sample": MIN_SAMPLE,
            "scope_query": _month_query(month),
            "threshold": selectors.WARNING_THRESHOLD,
            "consecutive": selectors.WARNING_CONSECUTIVE,
            "can_view_cases": has_permission(request.user.role, Perm.VIEW_CASES),
        },
    )


@permission_required(Perm.VIEW_INSIGHT)
def warnings_page(request):
    """Staff and windows with repeated bad reviews in the month, with every bad review behind the warning
    (date, channel, reason tags, case number and state; never the evaluator). Without `?month=`, this month."""
    form = MonthForm(request.GET, default_offset=0)
    if not form.is_valid():
        return render(request, "insight/scorecards/warnings.html", {"form": form}, status=400)
    month = form.cleaned_data["month"]
    now = timezone.now()
    sections = [
        {
            "kind": kind,
            "title": _("Staff") if kind == "staff" else _("Windows"),
            "warnings": selectors.bad_review_warnings(month=month, kind=kind, now=now),
        }
        for kind in ("staff", "window")
    ]
    return render(
        request,
        "insight/scorecards/warnings.html",
        {
            "form": form,
            "month": month,
            "previous_month": selectors.month_add(month, -1),
            "scope_query": _month_query(month),
            "sections": sections,
            "threshold": selectors.WARNING_THRESHOLD,
            "consecutive": selectors.WARNING_CONSECUTIVE,
            "can_view_cases": has_permission(request.user.role, Perm.VIEW_CASES),
        },
    )


def _scorecard_page(request, kind: str, subject):
    form = ScopeForm(request.GET)
    context = {"form": form, "kind": kind, "subject": subject}
    if not form.is_valid():
        return render(request, "insight/scorecards/scorecard.html", context, status=400)
    scope = form.scope()
    read = selectors.staff_scorecard if kind == "staff" else selectors.window_scorecard
    card = read(subject, scope)
    interval = card.interval
    context.update(
        card=card,
        scope=scope,
        interval=None if interval is None else (_percent(interval[0]), _percent(interval[1])),
        levels=[(level, card.levels[level]) for level in range(1, 6)],
        trend=[
            {
                "month": p.month,
                "n": p.n,
                "good": p.good,
                "percent": p.rate.percent,
                "low": None if p.interval is None else _percent(p.interval[0]),
                "high": None if p.interval is None else _percent(p.interval[1]),
            }
            for p in card.trend
        ],
        can_view_cases=has_permission(request.user.role, Perm.VIEW_CASES),
        min_sample=MIN_SAMPLE,
        scope_query=urlencode({"from": scope.start.isoformat(), "to": scope.end.isoformat()}),
    )
    return render(request, "insight/scorecards/scorecard.html", context)


@permission_required(Perm.VIEW_INSIGHT)
def staff_page(request, pk: int):
    return _scorecard_page(request, "staff", get_object_or_404(Staff.objects.select_related("unit"), pk=pk))


@permission_required(Perm.VIEW_INSIGHT)
def window_page(request, pk: int):
    window = get_object_or_404(Unit.objects.select_related("parent"), pk=pk, kind=UnitKind.WINDOW)
    return _scorecard_page(request, "window", window)
