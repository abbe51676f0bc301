"""The public disclosure portal (以公开为常态、不公开为例外): indicators by month, results and rankings of
departments and halls, bad reviews with their rectification, published reports. No sign-in, no form that
posts (so no CSRF cookie), no personal data; every page may be cached for a minute by anybody. The settings
page is for the tenant's administrators.
"""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from billing.entitlements import entitlement_allowed
from tenants.accounts.roles import Perm
from tenants.accounts.views import add_service_errors, permission_required
from tenants.insight.selectors import INDICATORS
from tenants.portal import selectors
from tenants.portal.forms import PortalSettingsForm
from tenants.portal.services import portal_settings_set

MAX_AGE = 60  # seconds a page may be cached by browsers and shared caches


def public(section: str):
    """A public portal page: GET/HEAD only; the friendly 404 page while the portal is withdrawn; cacheable
    for MAX_AGE seconds. The view gets the portal's settings after the request."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method not in ("GET", "HEAD"):
                return HttpResponseNotAllowed(["GET", "HEAD"])
            settings = selectors.portal_settings()
            if not entitlement_allowed(feature="portal"):  # the plan lacks the portal: same friendly 404
                response = render(
                    request, "portal/disabled.html", {"section": section, "not_in_plan": True}, status=404
                )
            elif not settings.enabled:
                response = render(request, "portal/disabled.html", {"section": section}, status=404)
            else:
                response = view(request, settings, *args, **kwargs)
            patch_cache_control(response, public=True, max_age=MAX_AGE)
            return response

        return wrapped

    return decorator


def _page(request, template: str, section: str, settings, context: dict, status: int = 200):
    return render(request, template, {"section": section, "portal": settings, **context}, status=status)


@public("home")
def home(request, settings):
    """Every §10 indicator of the latest month, and one indicator over the last twelve months (chart and
    table, numerator and denominator)."""
    months = selectors.months_recent()
    series = selectors.indicators_by_month(months=months)
    chosen = request.GET.get("indicator", "")
    if chosen not in INDICATORS:
        chosen = "good_rate"
    latest_month, latest = series[-1]
    trend = [(month, values[chosen]) for month, values in series]
    return _page(
        request,
        "portal/home.html",
        "home",
        settings,
        {
            "latest_month": latest_month,
            "latest": [(key, INDICATORS[key], latest[key]) for key in INDICATORS],
            "indicator_choices": list(INDICATORS.items()),
            "chosen": chosen,
            "chosen_label": INDICATORS[chosen],
            "trend": trend,
            "chart": {
                "label": str(INDICATORS[chosen]),
                "months": [month.key for month, _v in trend],
                "values": [value.percent for _m, value in trend],
            },
        },
    )


def _month_context(request) -> tuple[list, selectors.Month]:
    months = selectors.months_recent()
    return months, selectors.month_choose(request.GET.get("month"), months)


@public("results")
def results(request, settings):
    """Good and bad rates, counts and closed-loop rates of each department and hall for one month."""
    months, month = _month_context(request)
    figures = selectors.month_figures(month=month)
    groups = {
        "departments": selectors.results_by_group(
            figures=figures, kinds=selectors.DEPARTMENT_KINDS, min_group_size=settings.min_group_size
        ),
        "halls": selectors.results_by_group(
            figures=figures, kinds=selectors.HALL_KINDS, min_group_size=settings.min_group_size
        ),
    }
    return _page(
        request,
        "portal/results.html",
        "results",
        settings,
        {"months": months, "month": month, "rate_labels": _rate_labels(), **groups},
    )


def _rate_labels() -> list[tuple[str, str]]:
    return [(key, INDICATORS[key]) for key in selectors.GROUP_RATES]


@public("rankings")
def rankings(request, settings):
    """Departments and halls ranked fairly (Wilson lower bound; small samples listed apart, never ranked)."""
    months, month = _month_context(request)
    return _page(
        request,
        "portal/rankings.html",
        "rankings",
        settings,
        {
            "months": months,
            "month": month,
            "departments": selectors.ranking(
                month=month, level="department", min_group_size=settings.min_group_size
            ),
            "halls": selectors.ranking(month=month, level="hall", min_group_size=settings.min_group_size),
        },
    )


@public("bad_reviews")
def bad_reviews(request, settings):
    """The month's bad reviews and what became of each (差评整改公示), by unit, a page at a time."""
    months, month = _month_context(request)
    figures = selectors.month_figures(month=month)
    units = selectors.filter_units(figures=figures, min_group_size=settings.min_group_size)
    code = request.GET.get("unit", "")[:64]
    unit = next((u for u in units if u.code == code), None)
    # Only departments and halls shown on their own this month: any other code (a small unit, a window, a
    # unit of another tenant) lists and counts nothing, and says so.
    listing = (
        None
        if code and unit is None
        else selectors.bad_reviews(
            month=month, unit=unit, figures=figures, settings=settings, page=request.GET.get("page", 1)
        )
    )
    query = f"month={month.key}" + (f"&unit={unit.code}" if unit else "")
    return _page(
        request,
        "portal/bad_reviews.html",
        "bad_reviews",
        settings,
        {
            "months": months,
            "month": month,
            "units": units,
            "unit": unit,
            "listing": listing,
            "page": listing.page if listing else None,
            "unit_refused": bool(code) and unit is None,
            "query": query,
            "unit_query": f"&unit={unit.code}" if unit else "",
        },
    )


@public("reports")
def reports(request, settings):
    from tenants.insight.reports.selectors import reports_published

    return _page(request, "portal/reports.html", "reports", settings, {"reports": reports_published()})


@public("reports")
def report_pdf(request, settings, pk: int):
    """A published report's public PDF (small departments and halls folded, as this portal hides them); 404
    for any other report, and never the staff's PDF."""
    from tenants.insight.reports.selectors import reports_published

    report = (
        reports_published().filter(pk=pk).select_related(None).defer(None).only("pk", "public_pdf").first()
    )
    if report is None or not report.public_pdf:
        raise Http404
    response = HttpResponse(bytes(report.public_pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="report-{report.pk}.pdf"'
    return response


# --- settings (tenant administrators) ----------------------------------------------------------------------------
@permission_required(Perm.MANAGE_PORTAL)
def settings_page(request):
    """Publish or withdraw the portal, the smallest group shown, comments and the introduction."""
    current = selectors.portal_settings()
    if request.method == "POST":
        form = PortalSettingsForm(request.POST)
        if form.is_valid():
            try:
                portal_settings_set(actor=request.user.actor, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Portal settings saved."))
                return redirect("portal-settings")
        status = 400
    else:
        initial = {
            name: getattr(current, name) for name in ("enabled", "min_group_size", "show_comments", "intro")
        }
        form, status = PortalSettingsForm(initial=initial), 200
    return render(
        request,
        "portal/settings.html",
        {"form": form, "portal": current, "in_plan": entitlement_allowed(feature="portal")},
        status=status,
    )
