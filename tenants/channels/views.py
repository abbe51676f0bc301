"""Citizen-facing pages: the window device (评价器), the QR rating pages, the embeddable widget script, and
the staff page that prints each window's QR poster.

The device page and the widget are shells: they authenticate every API call with their own key (device key
in the kiosk's localStorage, integration key in the widget tag), never with a staff session. The QR pages
are plain Django forms that work without JavaScript.
"""

import json
import uuid
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from tenants.accounts.actors import Actor
from tenants.accounts.roles import Perm
from tenants.accounts.views import permission_required
from tenants.channels import qr, ratelimit
from tenants.channels.forms import PUBLISH_CONSENT, RatingForm
from tenants.channels.selectors import (
    published_item,
    published_items,
    qr_token_used,
    rating_options,
    transaction_for_rating,
    window_for_poster,
    window_for_token,
    windows_for_posters,
)
from tenants.channels.services import (
    NONCE_PATTERN,
    QrTokenAlreadyUsed,
    transaction_rating_submit,
    window_rating_submit,
)
from tenants.channels.tokens import token_digest, transaction_token_check, window_token
from themes.services import theme_for_tenant

QR_ACTOR_LABEL = "qr"
STATIC_DIR = Path(__file__).resolve().parent / "static" / "channels"


def qr_actor() -> Actor:
    return Actor.system(QR_ACTOR_LABEL)


# --- the window device (评价器) -----------------------------------------------------------------------
def _device_strings() -> dict:
    return {
        "notSetUp": _("This rating device is not set up yet."),
        "setUpLink": _("Set up this device"),
        "keyRefused": _("The device key was refused. Staff: set the device up again."),
        "loading": _("Loading…"),
        "prompt": _("Please rate our service"),
        "reasonsPrompt": _("Sorry about that. What went wrong? Choose at least one reason."),
        "submit": _("Submit rating"),
        "back": _("Back"),
        "thanks": _("Thank you for your rating!"),
        "thanksBad": _("Thank you. Your feedback will be followed up."),
        "youChose": _("You chose: %(word)s"),
        "waiting": _("%(n)s ratings waiting to sync"),
        "waitingOne": _("1 rating waiting to sync"),
        "rejected": _("%(n)s ratings were refused by the server; staff can see them on the setup page."),
        "offline": _("Offline: ratings are kept on this device and sent later."),
        "needInput": _(
            "No transaction number. Staff: enter the transaction number below, or open this page with "
            "?item=ITEM_CODE so that each rating registers its own transaction."
        ),
        "unknownTxn": _(
            "Transaction %(n)s is not registered. Check the number, or open this page with ?item=ITEM_CODE."
        ),
        "txnLabel": _("Transaction number (staff)"),
        "txnApply": _("Use this number"),
        "chooseReason": _("Choose at least one reason."),
        "resetIn": _("This screen resets in %(s)s seconds."),
    }


@require_GET
def device_page(request):
    """The kiosk page at a window. Its key lives in this browser's localStorage (set up at /device/setup)."""
    return render(
        request,
        "channels/device.html",
        {"strings": _device_strings(), "setup_url": reverse("channels-device-setup")},
    )


@require_GET
def device_setup(request):
    """Provision a kiosk once: paste its device key; it is checked against the API and kept locally."""
    strings = {
        "checking": _("Checking the key…"),
        "saved": _("Saved. This device rates for: %(window)s"),
        "refused": _("This key was refused. Check that it is a device key of this organisation."),
        "notDevice": _("This key is not bound to a rating device. Register the device first."),
        "network": _("The server cannot be reached. Check the network and try again."),
        "forgotten": _("The key was removed from this device."),
        "empty": _("Paste the device key first."),
        "queued": _("%(n)s ratings are waiting to sync on this device."),
        "rejectedCount": _("%(n)s ratings were refused by the server."),
    }
    return render(
        request,
        "channels/device_setup.html",
        {"strings": strings, "device_url": reverse("channels-device")},
    )


@require_GET
def device_service_worker(request):
    """Keeps the kiosk page loadable offline (network first, cache as fallback; the API is never cached)."""
    response = HttpResponse(_static_text("device-sw.js"), content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/device/"
    response["Cache-Control"] = "no-cache"
    return response


# --- QR pages (mobile, no sign-in) ----------------------------------------------------------------------
def _message(request, *, status: int, heading: str, text: str, kind: str = "info", level_word: str = ""):
    return render(
        request,
        "channels/message.html",
        {"heading": heading, "text": text, "kind": kind, "level_word": level_word},
        status=status,
    )


def _not_found(request):
    return _message(
        request,
        status=404,
        heading=_("This code is not valid"),
        text=_("The QR code is not valid for this organisation, or it is no longer in use."),
        kind="error",
    )


def _too_many(request):
    return _message(
        request,
        status=429,
        heading=_("Please try again in a few minutes"),
        text=_("Many ratings were sent from this code just now. Please wait a little and try again."),
        kind="error",
    )


def _thanks(request, evaluation, options):
    text = (
        _("Your feedback will be passed to the unit responsible, which will look into it.")
        if evaluation.is_bad
        else _("Your rating helps us improve government services.")
    )
    return _message(
        request,
        status=200,
        heading=_("Thank you for your rating!"),
        text=text,
        kind="success",
        level_word=options.word(evaluation.level),
    )


def _already_rated(request):
    return _message(
        request,
        status=200,
        heading=_("Already rated — thank you"),
        text=_("This code has already been used to rate this service. Thank you for your feedback."),
        kind="success",
    )


def _nonce(request) -> str:
    """The form's one-rating nonce: kept across a re-rendered form, new for each fresh page."""
    posted = request.POST.get("nonce", "")
    return posted if NONCE_PATTERN.match(posted) else uuid.uuid4().hex


@never_cache
@require_http_methods(["GET", "POST"])
def window_rate(request, token: str):
    """A window's poster QR: pick the service you used, rate it. Works without JavaScript."""
    window = window_for_token(token)
    if window is None:
        return _not_found(request)
    options = rating_options()
    fixed_item = published_item(request.GET.get("item", ""))
    query = request.GET.get("q", "")[:50]
    form = RatingForm(request.POST or None, options=options)
    chosen_code = request.POST.get("item", "")[:64] if request.method == "POST" else ""
    item_error = ""
    if request.method == "POST":
        if not ratelimit.allow_window(window.pk):
            return _too_many(request)
        item_code = fixed_item.code if fixed_item else chosen_code
        if not item_code:
            item_error = _("Choose the service you used from the list.")
        if form.is_valid() and item_code:
            try:
                evaluation = window_rating_submit(
                    actor=qr_actor(),
                    window=window,
                    item_code=item_code,
                    rating=form.rating(),
                    nonce=request.POST.get("nonce", ""),
                )
            except ValidationError as exc:
                errors = dict(exc.message_dict)
                item_error = " ".join(errors.pop("item_code", [])) or item_error
                form.add_intake_errors(errors)
            else:
                return _thanks(request, evaluation, options)
    items = [] if fixed_item else published_items(query=query)
    chosen = published_item(chosen_code) if chosen_code else None
    if chosen is not None and chosen.code not in {i.code for i in items}:
        items.insert(0, chosen)
    return render(
        request,
        "channels/rate.html",
        {
            "form": form,
            "options": options,
            "window": window,
            "hall": window.parent,
            "fixed_item": fixed_item,
            "items": items,
            "chosen_code": chosen_code,
            "item_error": item_error,
            "query": query,
            "searchable": fixed_item is None,
            "nonce": _nonce(request),
            "bad_chosen": form.is_bad_level_chosen,
        },
        status=400 if request.method == "POST" else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def transaction_rate(request, token: str):
    """A one-time QR for one transaction (printed on the receipt or shown by the window system)."""
    options = rating_options()
    check = transaction_token_check(token, max_age_days=options.supplementary_days)
    if check.status == "invalid":
        return _not_found(request)
    if qr_token_used(token):
        return _already_rated(request)
    if check.status == "expired":
        return _message(
            request,
            status=410,
            heading=_("The rating period has ended"),
            text=_("This transaction can no longer be rated with this code. Thank you for your interest."),
            kind="error",
        )
    txn = transaction_for_rating(check.number)
    if txn is None:
        return _not_found(request)
    form = RatingForm(request.POST or None, options=options)
    if request.method == "POST":
        if not ratelimit.allow_token(token_digest(token)):
            return _too_many(request)
        if form.is_valid():
            try:
                evaluation = transaction_rating_submit(
                    actor=qr_actor(), token=token, number=txn.number, rating=form.rating()
                )
            except QrTokenAlreadyUsed:
                return _already_rated(request)
            except ValidationError as exc:
                form.add_intake_errors(exc.message_dict)
            else:
                return _thanks(request, evaluation, options)
    return render(
        request,
        "channels/rate.html",
        {
            "form": form,
            "options": options,
            "window": txn.window,
            "hall": txn.unit,
            "fixed_item": txn.item,
            "transaction": txn,
            "searchable": False,
            "bad_chosen": form.is_bad_level_chosen,
        },
        status=400 if request.method == "POST" else 200,
    )


# --- staff: QR posters per window -------------------------------------------------------------------------
POSTER_FORMATS = {
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
    "png": "image/png",
}


def window_qr_url(request, window) -> str:
    return request.build_absolute_uri(reverse("channels-window-rate", args=[window_token(window.pk)]))


def _poster(request, window) -> qr.Poster:
    theme = theme_for_tenant(getattr(request, "tenant", None))
    options = rating_options()
    return qr.Poster(
        url=window_qr_url(request, window),
        organisation=theme.display_name,
        heading=_("Scan to rate our service"),
        title=window.name,
        subtitle=window.parent.name if window.parent else "",
        scale_line=" · ".join(lv.word for lv in options.levels),
        footer=_("Rating is voluntary. Government service evaluation (好差评)."),
        color=theme.primary_color,
        on_color=theme.on_primary_color,
    )


@permission_required(Perm.MANAGE_ORGANISATION)
def poster_list(request):
    """Every active window with its poster QR in three printable formats."""
    windows = windows_for_posters()
    return render(
        request,
        "channels/posters.html",
        {
            "windows": [(w, window_qr_url(request, w)) for w in windows],
            "png_has_text": qr.cjk_font_path() is not None,
        },
    )


@permission_required(Perm.MANAGE_ORGANISATION)
def poster_download(request, pk: int, fmt: str):
    window = window_for_poster(pk)
    if window is None or fmt not in POSTER_FORMATS:
        raise Http404
    poster = _poster(request, window)
    if fmt == "svg":
        body = qr.poster_svg(poster)
    elif fmt == "pdf":
        body = qr.poster_pdf(poster)
    else:
        body, _with_text = qr.poster_png(poster)
    response = HttpResponse(body, content_type=POSTER_FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="qr-window-{window.pk}.{fmt}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- the online widget -------------------------------------------------------------------------------------
@lru_cache(maxsize=4)
def _static_source(name: str) -> str:
    return (STATIC_DIR / name).read_text(encoding="utf-8")


def _static_text(name: str) -> str:
    return (STATIC_DIR / name).read_text(encoding="utf-8") if settings.DEBUG else _static_source(name)


WIDGET_PLACEHOLDER = "/*__HCP_CONFIG__*/null"


def _js_json(value) -> str:
    """JSON safe to embed in a script (no closing tags, no line separators)."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def widget_source(request, *, theme, options) -> str:
    """The widget script for a theme and the rating options (the theme preview passes a draft theme)."""
    config = {
        "origin": request.build_absolute_uri("/").rstrip("/"),
        "submitPath": reverse("api-widget-evaluations"),
        "organisation": theme.display_name,
        "color": theme.primary_color,
        "onColor": theme.on_primary_color,
        "textColor": theme.text_color,
        "background": theme.background_color,
        "font": theme.font_stack,
        "levels": [{"level": lv.level, "word": lv.word, "bad": lv.is_bad} for lv in options.levels],
        "tags": [{"code": t.code, "label": t.label} for t in options.tags],
        "commentMax": options.comment_max_length,
        "strings": {
            "title": _("How satisfied are you with this service?"),
            "group": _("Rate this service"),
            "reasons": _("What went wrong? Choose at least one reason."),
            "comment": _("Anything else you want to tell us (optional)"),
            "publish": str(PUBLISH_CONSENT),
            "submit": _("Submit rating"),
            "sending": _("Sending…"),
            "thanks": _("Thank you for your rating!"),
            "thanksBad": _("Thank you. Your feedback will be followed up."),
            "chooseReason": _("Choose at least one reason."),
            "failed": _("The rating could not be sent. Please try again."),
            "refused": _("The rating was not accepted: %(detail)s"),
            "misconfigured": _(
                "Rating widget: give data-key and data-transaction (or data-item and data-unit)."
            ),
        },
    }
    return _static_text("widget.js").replace(WIDGET_PLACEHOLDER, _js_json(config), 1)


@require_GET
def widget_js(request):
    """The embeddable rating widget, with this tenant's host, theme, scale words and reasons baked in."""
    theme = theme_for_tenant(getattr(request, "tenant", None))
    source = widget_source(request, theme=theme, options=rating_options())
    response = HttpResponse(source, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response
