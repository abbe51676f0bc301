"""Staff dashboards at /insight/: the overview, breakdowns (drilling down the unit tree) and coverage. Each chart
has its data table next to it, downloadable as CSV or XLSX (`?download=csv|xlsx&table=<name>` on the same URL)
by those who may export data (EXPORT_DATA, as the rankings' CSV and the exports): the pages need VIEW_INSIGHT,
a download also EXPORT_DATA (403 without it; the links are shown only to those who may)."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _

from tenants.accounts.roles import Perm, has_permission
from tenants.accounts.views import permission_required
from tenants.insight.dashboards import panels as p
from tenants.insight.dashboards.forms import BreakdownForm, OverviewForm
from tenants.insight.dashboards.selectors import (
    DIMENSIONS,
    GRANULARITIES,
    breakdown,
    coverage,
    figures_as_of,
    overview,
    unit_ancestors,
)
from tenants.insight.dashboards.tables import FORMATS, table_download
from tenants.insight.forms import ScopeForm
from tenants.insight.selectors import Scope

SCOPE_KEYS = ("from", "to", "unit", "item", "channel", "item_type")
PAGE_KEYS = ("download", "table")


def _query(request, **changes) -> str:
    """The current query string with `changes` (None removes a key), without download parameters."""
    q = request.GET.copy()
    for key in PAGE_KEYS:
        q.pop(key, None)
    for key, value in changes.items():
        q.pop(key, None)
        if value is not None:
            q[key] = value
    return "?" + q.urlencode()


def _scope_query(request) -> str:
    q = request.GET.copy()
    for key in list(q):
        if key not in SCOPE_KEYS:
            q.pop(key)
    return "?" + q.urlencode() if q else ""


def _filename(page: str, scope: Scope) -> str:
    return f"insight-{page}-{scope.start:%Y%m%d}-{scope.end:%Y%m%d}"


def _can_export(request) -> bool:
    return has_permission(request.user.role, Perm.EXPORT_DATA)


def _downloads_allowed(request) -> None:
    """A table download (`?download=`) needs EXPORT_DATA: refused before any figure is read."""
    if request.GET.get("download") and not _can_export(request):
        raise PermissionDenied


def _with_links(request, panels: list[p.Panel]) -> list[p.Panel]:
    """Download links for those who may export; none for the others."""
    for panel in panels:
        panel.links = (
            {fmt: _query(request, download=fmt, table=panel.name) for fmt in FORMATS}
            if _can_export(request)
            else {}
        )
    return panels


def _page(request, template: str, form, **context):
    context.update(
        form=form, as_of=figures_as_of(), scope_query=_scope_query(request), can_export=_can_export(request)
    )
    if form.is_valid():
        context.setdefault("scope", form.scope())
    return render(request, template, context)


@permission_required(Perm.VIEW_INSIGHT)
def overview_page(request):
    """KPI cards, the trend (per day, week or month), the channel mix, the hour-of-day heat map and the
    closed-loop rates."""
    _downloads_allowed(request)
    form = OverviewForm(request.GET)
    if not form.is_valid():
        return _page(request, "insight/dashboards/overview.html", form)
    scope, granularity = form.scope(), form.cleaned_data["granularity"]
    data = overview(scope, granularity=granularity)
    panels = p.overview_panels(data)
    if (
        download := table_download(request, [x.table for x in panels], filename=_filename("overview", scope))
    ) is not None:
        return download
    switch = [
        {"key": key, "label": label, "href": _query(request, granularity=key), "current": key == granularity}
        for key, label in GRANULARITIES.items()
    ]
    return _page(
        request,
        "insight/dashboards/overview.html",
        form,
        overview=data,
        cards=p.kpi_cards(data),
        indicators_panel=_with_links(request, panels[:1])[0],
        panels=_with_links(request, panels[1:]),
        charts=p.charts_json(panels),
        granularities=switch,
    )


@permission_required(Perm.VIEW_INSIGHT)
def breakdown_page(request):
    """One dimension's rows (unit, hall, window, staff, item, platform) as a bar chart and a table; unit and hall
    rows open their children, with a breadcrumb back up the tree."""
    _downloads_allowed(request)
    form = BreakdownForm(request.GET)
    by = request.GET.get("by") if request.GET.get("by") in DIMENSIONS else "unit"
    tabs = [
        {"key": key, "label": label, "href": _query(request, by=key, parent=None), "current": key == by}
        for key, label in DIMENSIONS.items()
    ]
    if not form.is_valid():
        return _page(request, "insight/dashboards/breakdown.html", form, tabs=tabs, by=by)
    scope, by, parent = form.scope(), form.cleaned_data["by"], form.cleaned_data["parent"]
    parent = parent if by == "unit" else None
    rows = breakdown(scope, by=by, parent=parent)
    links = [
        _query(request, by="unit", parent=r.code) if r.unit is not None and r.has_children else None
        for r in rows
    ]
    panel = p.breakdown_panel(rows, by=by, links=links)
    if (
        download := table_download(request, [panel.table], filename=_filename(f"by-{by}", scope))
    ) is not None:
        return download
    crumbs = []
    if by == "unit":
        crumbs = [{"label": _("All units"), "href": _query(request, parent=None)}]
        crumbs += [
            {"label": u.name, "code": u.code, "href": _query(request, parent=u.code)}
            for u in (unit_ancestors(parent) if parent is not None else [])
        ]
    return _page(
        request,
        "insight/dashboards/breakdown.html",
        form,
        tabs=tabs,
        by=by,
        parent=parent,
        crumbs=crumbs,
        panel=_with_links(request, [panel])[0],
        charts=p.charts_json([panel]),
    )


@permission_required(Perm.VIEW_INSIGHT)
def coverage_page(request):
    """The share of items, service points, staff and channels with ratings, and the lists of those without."""
    _downloads_allowed(request)
    form = ScopeForm(request.GET)
    if not form.is_valid():
        return _page(request, "insight/dashboards/coverage.html", form)
    scope = form.scope()
    panels = p.coverage_panels(coverage(scope))
    if (
        download := table_download(request, [x.table for x in panels], filename=_filename("coverage", scope))
    ) is not None:
        return download
    return _page(
        request,
        "insight/dashboards/coverage.html",
        form,
        panel=_with_links(request, panels[:1])[0],
        uncovered=_with_links(request, panels[1:]),
        charts=p.charts_json(panels),
    )
