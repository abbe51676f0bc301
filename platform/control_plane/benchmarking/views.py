"""National benchmarking pages on the control-plane host (/benchmarking/): league tables by peer group with
charts, a tenant's drill-down, CSV/XLSX, publishing; and the public pages of published rankings (no sign-in,
no cookies, cacheable). Thin: read the request, call a selector or a service, render."""

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from control_plane.benchmarking import exports, rendering, selectors
from control_plane.benchmarking.forms import LeagueForm, PublishForm, presets
from control_plane.benchmarking.models import PeerGroup, PublishedRanking
from control_plane.benchmarking.services import ranking_publish, ranking_withdraw
from tenants.accounts.roles import Perm, has_permission
from tenants.accounts.views import add_service_errors, permission_required
from tenants.insight.scorecards.fairness import MIN_SAMPLE
from tenants.insight.selectors import INDICATORS
from tenants.models import TenantStatus
from tenants.services import tenant_domain_name

PUBLIC_MAX_AGE = 60  # seconds a public ranking page may be cached
CHART_NAMES = 40  # tenants named in the chart of movers (the tables hold them all)


def _league_query(data: dict, **changes) -> str:
    values = {
        "group": data["group"],
        "indicator": data["indicator"],
        "from": data["from"].isoformat(),
        "to": data["to"].isoformat(),
        "min_sample": data["min_sample"],
    }
    if data.get("exclude_defaults"):
        values["exclude_defaults"] = "on"
    if data.get("include_trial"):
        values["include_trial"] = "on"
    values.update(changes)
    return urlencode(values)


def _portal_url(request, slug: str) -> str:
    port = request.get_port()
    suffix = "" if port in ("80", "443") else f":{port}"
    return f"{request.scheme}://{tenant_domain_name(slug)}{suffix}/portal/"


def _labels() -> dict:
    return {
        "rate": _("Rate (%)"),
        "pooled": _("Peer group, pooled"),
        "median": _("Median tenant"),
        "quartiles": _("Middle half of tenants (25th–75th percentile)"),
        "tenants": _("Tenants"),
        "up": _("Places gained"),
        "down": _("Places lost"),
        "no_map": _("No map of China is loaded: the chart shows provinces as bars."),
        "own": _("This tenant"),
        "rank": pgettext("league position", "Rank"),
    }


def _chart_data(table, trend, distribution, movers, regions) -> dict:
    up, down = movers
    moved = [*up, *down][:CHART_NAMES]
    return {
        "labels": _labels(),
        "lower_is_better": table.spec.lower_is_better,
        "trend": {
            "months": [p.month.strftime("%Y-%m") for p in trend],
            "pooled": [p.pooled_percent for p in trend],
            "median": [p.median_percent for p in trend],
            "q1": [p.q1_percent for p in trend],
            "q3": [p.q3_percent for p in trend],
        },
        "distribution": {
            "bins": [f"{low:g}–{high:g}" for low, high, _n in distribution.bins],
            "counts": [n for _low, _high, n in distribution.bins],
            "box": [
                distribution.minimum,
                distribution.q1,
                distribution.median,
                distribution.q3,
                distribution.maximum,
            ]
            if distribution.bins
            else None,
        },
        "movers": {
            "names": [r.tenant.name for r in moved],
            "changes": [r.rank_change for r in moved],
        },
        "regions": [{"name": f.map_name, "full": f.name, "value": f.percent} for f in regions if f.enough],
    }


@permission_required(Perm.VIEW_NATIONAL)
def league_page(request):
    """A peer group's league table for one indicator and period; `?format=csv|xlsx` downloads it."""
    form = LeagueForm(request.GET)
    context = {
        "form": form,
        "groups": PeerGroup.choices,
        "presets": presets(),
        "min_sample_default": MIN_SAMPLE,
        "can_publish": has_permission(request.user.role, Perm.MANAGE_TENANTS),
        "section": "league",
    }
    if not form.is_valid():
        return render(request, "benchmarking/league.html", context, status=400)
    data = form.cleaned_data
    table = selectors.league(
        group=data["group"],
        indicator=data["indicator"],
        period=form.period(),
        min_sample=data["min_sample"],
        exclude_defaults=data["exclude_defaults"],
        include_trial=data["include_trial"],
    )
    export = request.GET.get("format")
    if export in ("csv", "xlsx"):
        return _download(table, export)
    query = _league_query(data)
    ranked_rows, unranked_rows = rendering.league_rows(
        table, tenant_url=reverse("benchmarking-tenant", args=["-"])[:-2], query=query
    )
    trend = selectors.league_trend(table)
    distribution = selectors.league_distribution(table)
    movers = selectors.league_movers(table)
    regions = selectors.league_regions(table)
    context.update(
        {
            "table": table,
            "data": data,
            "trend": trend,
            "distribution": distribution,
            "movers_up": movers[0],
            "movers_down": movers[1],
            "regions": regions,
            "chart": _chart_data(table, trend, distribution, movers, regions),
            "group_links": [
                (value, label, _league_query(data, group=value)) for value, label in PeerGroup.choices
            ],
            "preset_links": [
                (label, _league_query(data, **{"from": p.start.isoformat(), "to": p.end.isoformat()}))
                for label, p in presets()
            ],
            "query": query,
            "ranked_rows": mark_safe(ranked_rows),  # noqa: S308 (every value escaped in rendering.py)
            "unranked_rows": mark_safe(unranked_rows),  # noqa: S308
            "publish_form": PublishForm(initial={**data, "exclude_defaults": data["exclude_defaults"]}),
        }
    )
    return render(request, "benchmarking/league.html", context)


def _download(table, export: str) -> HttpResponse:
    name = f"league-{table.group}-{table.spec.id}-{table.period.start:%Y%m%d}-{table.period.end:%Y%m%d}"
    if export == "csv":
        response = HttpResponse(exports.league_csv(table), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            exports.league_xlsx(table),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{export}"'
    return response


@permission_required(Perm.VIEW_NATIONAL)
def tenant_page(request, slug: str):
    """One tenant's figures in its peer group: every indicator over the period with its rank, and its
    league row month by month for the chosen indicator; a link to its public portal."""
    tenant = selectors.tenant_for_drilldown(slug)
    form = LeagueForm(request.GET)
    context = {
        "tenant": tenant,
        "form": form,
        "section": "league",
        "presets": presets(),
        "min_sample_default": MIN_SAMPLE,
    }
    if not form.is_valid():
        return render(request, "benchmarking/tenant.html", context, status=400)
    data = {**form.cleaned_data, "group": tenant.kind}
    period = form.period()
    figures = selectors.tenant_indicators(
        tenant,
        period=period,
        min_sample=data["min_sample"],
        exclude_defaults=data["exclude_defaults"],
        include_trial=data["include_trial"],
    )
    history = selectors.tenant_history(
        tenant,
        indicator=data["indicator"],
        end=period.end,
        min_sample=data["min_sample"],
        exclude_defaults=data["exclude_defaults"],
        include_trial=data["include_trial"],
    )
    spec = selectors.indicator_spec(data["indicator"], exclude_defaults=data["exclude_defaults"])
    context.update(
        {
            "data": data,
            "period": period,
            "previous": period.previous(),
            "figures": figures,
            "history": history,
            "spec": spec,
            "portal_url": _portal_url(request, tenant.slug),
            "archived": tenant.status == TenantStatus.ARCHIVED,
            "league_query": _league_query(data),
            "region_name": selectors.PeerTenant(
                tenant.pk, tenant.slug, tenant.name, tenant.region_code, tenant.status
            ).region_name,
            "history_chart": {
                "labels": _labels(),
                "months": [h.month.strftime("%Y-%m") for h in history],
                "own": [h.percent for h in history],
                "group": [h.group_percent for h in history],
                "ranks": [h.rank for h in history],
            },
            "figure_rows": [(f, _league_query(data, indicator=f.spec.id)) for f in figures],
        }
    )
    return render(request, "benchmarking/tenant.html", context)


@require_POST
@permission_required(Perm.MANAGE_TENANTS)
def publish(request):
    form = PublishForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            ranking = ranking_publish(
                actor=request.user.actor,
                group=data["group"],
                indicator=data["indicator"],
                period=form.period(),
                min_sample=data["min_sample"],
                exclude_defaults=data["exclude_defaults"],
                title=data["title"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc, {"to": "to"})
        else:
            messages.success(request, _("Published: “%(title)s”.") % {"title": ranking.title})
            return redirect("benchmarking-public-ranking", pk=ranking.pk)
    errors = "; ".join(str(m) for field in form.errors.values() for m in field)
    messages.error(request, _("Not published: %(errors)s") % {"errors": errors})
    back = {k: v for k, v in request.POST.items() if k in LeagueForm.base_fields or k in ("from", "to")}
    return redirect(f"{reverse('benchmarking-league')}?{urlencode(back)}")


@permission_required(Perm.VIEW_NATIONAL)
def publications_page(request):
    return render(
        request,
        "benchmarking/publications.html",
        {
            "rankings": selectors.publications_all(),
            "can_publish": has_permission(request.user.role, Perm.MANAGE_TENANTS),
            "section": "publications",
            "indicators": INDICATORS,
        },
    )


@require_POST
@permission_required(Perm.MANAGE_TENANTS)
def withdraw(request, pk: int):
    ranking = get_object_or_404(PublishedRanking, pk=pk)
    ranking_withdraw(actor=request.user.actor, ranking=ranking)
    messages.success(request, _("Withdrawn: “%(title)s”.") % {"title": ranking.title})
    return redirect("benchmarking-publications")


# --- public -----------------------------------------------------------------------------------------------
def public(view):
    """GET/HEAD only, cacheable by anybody for a minute."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        response = view(request, *args, **kwargs)
        patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
        return response

    return wrapped


def _published_row(row: dict) -> dict:
    def percent(value):
        return None if value is None else round(100 * value, 2)

    return {
        **row,
        "percent": percent(row["value"]),
        "low_percent": percent(row["low"]),
        "high_percent": percent(row["high"]),
    }


@public
def public_index(request):
    return render(
        request,
        "benchmarking/public_index.html",
        {"rankings": selectors.published_rankings(), "indicators": INDICATORS},
    )


@public
def public_ranking(request, pk: int):
    ranking = selectors.published_ranking(pk)
    spec = selectors.indicator_spec(ranking.indicator, exclude_defaults=ranking.exclude_defaults)
    return render(
        request,
        "benchmarking/public_ranking.html",
        {
            "ranking": ranking,
            "spec": spec,
            "indicator_label": INDICATORS.get(ranking.indicator, ranking.indicator),
            "group_label": PeerGroup(ranking.peer_group).label,
            "ranked": [_published_row(r) for r in ranking.rows if r["ranked"]],
            "unranked": [_published_row(r) for r in ranking.rows if not r["ranked"]],
        },
    )
