"""Every surface a person looks at, rendered with a given theme and sample content: the preview shows a draft
on each before it is published. The surfaces are the real ones (the device page's template, the poster, the
widget script, the PDFs, the e-mail frame); only the content (window, hall, reasons, report) is a sample."""

from collections.abc import Callable
from contextlib import contextmanager
from datetime import date

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import get_urlconf, set_urlconf
from django.utils import timezone
from django.utils.translation import gettext as _

from themes.email import email_body, email_from
from themes.selectors import ThemeView, asset_bytes, raster_logo

SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def asset_response(data: bytes, content_type: str, *, cache_control: str) -> HttpResponse:
    """A logo or favicon. SVG gets a policy that forbids scripts and every fetch, should one slip through."""
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = cache_control
    response["X-Content-Type-Options"] = "nosniff"
    if content_type == "image/svg+xml":
        response["Content-Security-Policy"] = SVG_CSP
    return response


@contextmanager
def tenant_urls():
    """The tenant URL names (device page, portal) also when previewing from the control plane."""
    previous = get_urlconf()
    set_urlconf(settings.ROOT_URLCONF)
    try:
        yield
    finally:
        set_urlconf(previous)


def _sample_options():
    from tenants.channels.selectors import Level, RatingOptions, Tag
    from tenants.evaluations.models import BAD_LEVELS, SCALE_WORDS, Scale

    return RatingOptions(
        scale=Scale.GOOD_BAD,
        levels=tuple(
            Level(i, w, i in BAD_LEVELS) for i, w in enumerate(SCALE_WORDS[Scale.GOOD_BAD], start=1)
        ),
        tags=(Tag("attitude", _("Service attitude")), Tag("waiting", _("Waiting time"))),
        comment_max_length=500,
        supplementary_days=7,
    )


def _poster(view: ThemeView):
    from tenants.channels import qr

    return qr.Poster(
        url="https://example.invalid/q/preview",
        organisation=view.display_name,
        heading=_("Scan to rate our service"),
        title=_("Window 1"),
        subtitle=_("Government service hall"),
        scale_line=" · ".join(level.word for level in _sample_options().levels),
        footer=_("Rating is voluntary. Government service evaluation (好差评)."),
        color=view.primary_color,
        on_color=view.on_primary_color,
    )


def sample_email(view: ThemeView) -> dict:
    body = _("Hello, the problem you reported has been put right. Thank you for your rating.")
    return {
        "from": email_from(view),
        "subject": _("Your rating has been handled"),
        "body": email_body(view, body),
    }


# --- one function per surface: (request, console view, tenant view) → response -------------------------------
def _admin(request, console: ThemeView, view: ThemeView):
    return render(request, "themes/preview/admin.html", {"theme": console})


def _device(request, console, view):
    with tenant_urls():
        return render(
            request,
            "channels/device.html",
            {"theme": view, "preview": True, "strings": {}, "setup_url": "#"},
        )


def _portal(request, console, view):
    with tenant_urls():
        return render(
            request,
            "themes/preview/portal.html",
            {"theme": view, "portal": {"enabled": True}, "section": "home"},
        )


def _widget_page(request, console, view):
    return render(request, "themes/preview/widget.html", {"theme": view})


def _widget_js(request, console, view):
    from tenants.channels.views import widget_source

    with tenant_urls():
        source = widget_source(request, theme=view, options=_sample_options())
    return HttpResponse(source, content_type="text/javascript; charset=utf-8")


def _poster_svg(request, console, view):
    from tenants.channels import qr

    return asset_response(qr.poster_svg(_poster(view)), "image/svg+xml", cache_control="private, no-store")


def _paper_pdf(request, console, view):
    from tenants.assisted.pdf import PaperFormSpec, paper_form_pdf

    options = _sample_options()
    spec = PaperFormSpec(
        tenant_name=view.display_name,
        window_name=_("Window 1"),
        window_code="W01",
        site_name=_("Government service hall"),
        site_code="H01",
        scale_words=tuple(level.word for level in options.levels),
        tags=[(tag.code, tag.label) for tag in options.tags],
        printed_on=timezone.localdate(),
        color=view.primary_color,
        on_color=view.on_primary_color,
        logo=raster_logo(view),
        contact=view.contact_line,
    )
    return HttpResponse(paper_form_pdf(spec), content_type="application/pdf")


def _report_pdf(request, console, view):
    from tenants.insight.reports.render_pdf import Cover, cover_pdf

    today = timezone.localdate()
    cover = Cover(
        tenant_name=view.display_name,
        title=_("Monthly report (sample)"),
        kind_label=_("Monthly report"),
        period=f"{date(today.year, today.month, 1):%Y-%m-%d} – {today:%Y-%m-%d}",
        before_period="",
        unit_label=_("All units (全辖)"),
        generated_at=timezone.localtime(),
        created_by="",
        color=view.primary_color,
        on_color=view.on_primary_color,
        logo=raster_logo(view),
        contact=view.contact_line,
    )
    return HttpResponse(cover_pdf(cover), content_type="application/pdf")


def _email(request, console, view):
    mail = sample_email(view)
    text = f"From: {mail['from']}\nSubject: {mail['subject']}\n\n{mail['body']}\n"
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


def _asset(kind: str) -> Callable:
    def serve(request, console, view):
        found = asset_bytes(getattr(view, f"{kind}_source"), kind)
        if found is None:
            raise Http404
        return asset_response(*found, cache_control="private, no-store")

    return serve


SURFACES: dict[str, Callable] = {
    "admin": _admin,
    "device": _device,
    "portal": _portal,
    "widget": _widget_page,
    "widget.js": _widget_js,
    "poster.svg": _poster_svg,
    "paper.pdf": _paper_pdf,
    "report.pdf": _report_pdf,
    "email.txt": _email,
    "logo": _asset("logo"),
    "favicon": _asset("favicon"),
}
