"""Theme pages. The same views serve three editors, told apart by the `scope` of their URL:
- a tenant's administrator at /settings/theme/ on the tenant's host (Perm.MANAGE_BRANDING),
- reseller staff at /themes/reseller/ on the control plane (their own reseller, from ResellerMembership),
- national staff at /themes/platform/ on the control plane (Perm.MANAGE_TENANTS): the platform default.
Each edits a draft, previews it on every surface and publishes it. The owner always comes from the signed-in
person and the host, never from the URL, so nobody can reach another owner's theme or draft.

Published logos and favicons are served on every host at /theme/logo and /theme/favicon (the host's
effective theme)."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from tenants.accounts.roles import Perm, has_permission
from tenants.accounts.views import add_service_errors
from themes.contrast import AA_TEXT, contrast_ratio, ratio_label
from themes.forms import COLOUR_PATTERN, ThemeForm
from themes.models import ASSETS, TEXT_FIELDS, Font, ThemeScope
from themes.selectors import asset_bytes, console_reseller_id, inherited_view, theme_for_request
from themes.services import (
    CONTRAST_PAIRS,
    ThemeOwner,
    pair_label,
    theme_and_draft,
    theme_draft_discard,
    theme_draft_save,
    theme_preview,
    theme_publish,
)
from themes.surfaces import SURFACES, asset_response, sample_email
from themes.uploads import RULES

URL_NAMES = {
    ThemeScope.TENANT: "theme",
    ThemeScope.PLATFORM: "platform-theme",
    ThemeScope.RESELLER: "reseller-theme",
}
SOURCE_LABELS = {
    "default": gettext_lazy("the built-in default"),
    "platform": gettext_lazy("from the platform default"),
    "reseller": gettext_lazy("from your reseller"),
    "tenant": gettext_lazy("from this theme"),
    "organisation": gettext_lazy("the organisation's name"),
    "display_name": gettext_lazy("the display name"),
}


# --- published assets, on every host ------------------------------------------------------------------------
def _published_asset(request, kind: str):
    found = asset_bytes(getattr(theme_for_request(request), f"{kind}_source"), kind)
    if found is None:
        raise Http404
    return asset_response(*found, cache_control="public, max-age=300")


@require_GET
def logo(request):
    return _published_asset(request, "logo")


@require_GET
def favicon(request):
    return _published_asset(request, "favicon")


def branding(request):
    """The former branding page: its place is the theme page now."""
    return redirect("theme-edit")


# --- editors ------------------------------------------------------------------------------------------------
def _owner(request, scope: str) -> ThemeOwner:
    role = request.user.role
    if scope == ThemeScope.TENANT:
        if not has_permission(role, Perm.MANAGE_BRANDING):
            raise PermissionDenied
        return ThemeOwner.for_tenant(request.tenant)
    if scope == ThemeScope.PLATFORM:
        if not has_permission(role, Perm.MANAGE_TENANTS):
            raise PermissionDenied
        return ThemeOwner.platform()
    reseller_id = console_reseller_id(request)
    if reseller_id is None:
        raise PermissionDenied
    from billing.models import Reseller

    return ThemeOwner.for_reseller(Reseller.objects.get(pk=reseller_id))


def _urls(scope: str) -> dict:
    prefix = URL_NAMES[scope]
    urls = {name: reverse(f"{prefix}-{name}") for name in ("edit", "preview", "publish", "discard")}
    urls["surface"] = urls["preview"]  # surfaces and draft assets live under the preview: preview/<surface>
    return urls


def _title(owner: ThemeOwner) -> str:
    if owner.scope == ThemeScope.PLATFORM:
        return _("Platform default theme")
    if owner.scope == ThemeScope.RESELLER:
        return _("Theme of %(name)s") % {"name": owner.reseller.name}
    return _("Theme")


def _verified_domains(owner: ThemeOwner) -> list[str]:
    if owner.scope != ThemeScope.TENANT:
        return []
    from themes.domains.models import DomainClaim

    return list(
        DomainClaim.objects.filter(tenant=owner.tenant, verified_at__isnull=False)
        .order_by("domain")
        .values_list("domain", flat=True)
    )


def _swatch(value, inherited: str) -> str:
    """The colour shown beside a colour field: the typed one only once it is a valid colour (a refused value
    must not reach a style attribute), else the inherited one."""
    for colour in (value, inherited):
        if isinstance(colour, str) and re.fullmatch(COLOUR_PATTERN, colour):
            return colour
    return ""


@login_required
def edit(request, scope: str):
    """The theme's fields; saving stores a draft and opens its preview."""
    owner = _owner(request, scope)
    urls = _urls(scope)
    theme, draft = theme_and_draft(owner)
    current = draft or theme
    form = ThemeForm(
        request.POST or None,
        request.FILES or None,
        initial={name: getattr(current, name) for name in TEXT_FIELDS},
    )
    if request.method == "POST" and form.is_valid():
        uploads = {
            kind: upload.read(RULES[kind].max_bytes + 1)  # one byte over is enough to refuse it
            for kind in ASSETS
            if (upload := form.cleaned_data.get(kind))
        }
        try:
            theme_draft_save(
                actor=request.user.actor,
                owner=owner,
                values={name: form.cleaned_data[name] for name in TEXT_FIELDS},
                uploads=uploads,
                clear={kind for kind in ASSETS if form.cleaned_data.get(f"clear_{kind}")},
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Draft saved. Check it on every surface, then publish it."))
            return redirect(urls["preview"])
    inherited = inherited_view(theme)
    for name in TEXT_FIELDS:  # the inherited value shows, greyed, in each empty field
        if name != "font":
            form.fields[name].widget.attrs["placeholder"] = getattr(inherited, name)
    rows = [
        {
            "field": form[name],
            "inherited": Font(inherited.font).label if name == "font" else getattr(inherited, name),
            "from": SOURCE_LABELS.get(inherited.sources.get(name, "default"), ""),
            "colour": name.endswith("_color"),
            "swatch": _swatch(form[name].value(), getattr(inherited, name))
            if name.endswith("_color")
            else "",
        }
        for name in TEXT_FIELDS
    ]
    return render(
        request,
        "themes/edit.html",
        {
            "form": form,
            "rows": rows,
            "urls": urls,
            "title": _title(owner),
            "scope": scope,
            "draft": draft,
            "assets": [
                (kind, form[kind], form[f"clear_{kind}"], bool(getattr(current, f"{kind}_content_type")))
                for kind in ASSETS
            ],
            "inherited": inherited,
            "domains": _verified_domains(owner),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def preview(request, scope: str):
    """Every surface with the draft (or, without one, the published theme), and the buttons to publish."""
    owner = _owner(request, scope)
    urls = _urls(scope)
    theme, draft = theme_and_draft(owner)
    console, view = theme_preview(theme, draft, asset_base=urls["surface"])
    pairs = [
        {
            "label": pair_label(label),
            "ratio": ratio_label(contrast_ratio(getattr(view, fg), getattr(view, bg))),
            "ok": contrast_ratio(getattr(view, fg), getattr(view, bg)) >= AA_TEXT,
            "fg": getattr(view, fg),
            "bg": getattr(view, bg),
        }
        for fg, bg, label in CONTRAST_PAIRS
    ]
    return render(
        request,
        "themes/preview.html",
        {
            "urls": urls,
            "title": _title(owner),
            "scope": scope,
            "draft": draft,
            "preview_theme": view,
            "console_theme": console,
            "pairs": pairs,
            "minimum": AA_TEXT,
            "mail": sample_email(view),
        },
    )


@xframe_options_sameorigin  # the preview page shows the surfaces in frames
@login_required
def surface(request, scope: str, surface: str):
    owner = _owner(request, scope)
    build = SURFACES.get(surface)
    if build is None:
        raise Http404
    theme, draft = theme_and_draft(owner)
    console, view = theme_preview(theme, draft, asset_base=_urls(scope)["surface"])
    response = build(request, console, view)
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@login_required
def publish(request, scope: str):
    owner = _owner(request, scope)
    try:
        theme_publish(actor=request.user.actor, owner=owner)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(_urls(scope)["preview"])
    messages.success(request, _("The theme is published."))
    return redirect(_urls(scope)["edit"])


@require_POST
@login_required
def discard(request, scope: str):
    owner = _owner(request, scope)
    if theme_draft_discard(actor=request.user.actor, owner=owner):
        messages.success(request, _("The draft is discarded; the published theme is unchanged."))
    return redirect(_urls(scope)["edit"])
