"""The effective theme: built-in defaults → platform default → reseller → tenant, each field taken from the
nearest level that sets it. `theme_for_tenant` is what every surface calls (pages through the context
processor, posters, widget, PDFs, e-mails); it is cached.

The cache entry of a tenant is keyed by the versions of all three levels. A publish bumps its theme's version
and stores it under a small "generation" key; every tenant below then computes a new key, so a platform or
reseller change reaches all of its tenants at once without listing them.
"""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass, field

from django.core.cache import cache
from django.db.models import Q
from django.utils.translation import gettext as _
from django_redis.client.default import CacheKey

from themes.models import ASSETS, FONT_STACKS, TEXT_FIELDS, Font, Theme, ThemeDraft, ThemeScope

PLATFORM_NAME = "好差评 Cloud"
PLATFORM_COLOR = "#1d4ed8"
DEFAULT_MUTED = "#374151"
BUILTIN = {
    "display_name": PLATFORM_NAME,
    "primary_color": PLATFORM_COLOR,
    "on_primary_color": "#ffffff",
    "text_color": "#111827",
    "background_color": "#ffffff",
    "font": Font.CJK_SANS.value,
    "footer_text": "",
    "contact_phone": "",
    "contact_email": "",
    "email_sender_name": "",
}
CACHE_SECONDS = 300
DEFER = ("logo", "favicon")  # the bytes are read only by the asset views


@dataclass(frozen=True)
class Layer:
    """One level of the chain: where it comes from and what it sets (empty = not set)."""

    source: str  # "platform" | "reseller" | "tenant"
    values: dict
    assets: dict  # kind → (content type, ("theme"|"draft", pk), version tag), only for the assets it sets
    version: int = 0


@dataclass(frozen=True)
class ThemeView:
    """The effective theme and, in `sources`, which level each value came from ("default", "platform",
    "reseller", "tenant", or "organisation" for a tenant's own name)."""

    display_name: str
    product_name: str  # the platform's or reseller's name: "powered by" lines, e-mail footers
    primary_color: str
    on_primary_color: str
    text_color: str
    background_color: str
    font: str
    footer_text: str
    contact_phone: str
    contact_email: str
    email_sender_name: str
    logo_type: str = ""
    favicon_type: str = ""
    logo_source: tuple | None = None  # ("theme" | "draft", pk)
    favicon_source: tuple | None = None
    asset_tag: str = ""  # changes whenever an asset changes: cache-busting query string
    sources: dict = field(default_factory=dict)
    asset_base: str = "/theme/"  # drafts are served from their editor's preview URLs

    @property
    def font_stack(self) -> str:
        return FONT_STACKS.get(self.font, FONT_STACKS[Font.CJK_SANS])

    @property
    def has_logo(self) -> bool:
        return self.logo_source is not None

    @property
    def logo_url(self) -> str:
        return f"{self.asset_base}logo?v={self.asset_tag}" if self.logo_source else ""

    @property
    def favicon_url(self) -> str:
        return f"{self.asset_base}favicon?v={self.asset_tag}" if self.favicon_source else ""

    @property
    def muted_color(self) -> str:
        """Secondary text: the default grey only on the default page colours, else the text colour itself (a
        grey is not checked against a custom background)."""
        default = (self.text_color, self.background_color) == (
            BUILTIN["text_color"],
            BUILTIN["background_color"],
        )
        return DEFAULT_MUTED if default else self.text_color

    @property
    def contact_line(self) -> str:
        return " · ".join(filter(None, [self.contact_phone, self.contact_email]))


def resolve(
    layers: list[Layer], *, organisation_name: str | None = None, asset_base: str = "/theme/"
) -> ThemeView:
    """Merge the layers (lowest first) over the built-in defaults. With `organisation_name` (a tenant), the
    display name is the tenant's own override or else the organisation's name: a reseller's or the platform's
    name never replaces the name of the government body on its citizens' pages; it becomes `product_name`."""
    values, sources = dict(BUILTIN), dict.fromkeys(BUILTIN, "default")
    product, product_source = BUILTIN["display_name"], "default"
    assets: dict = {}
    for layer in layers:
        for name in TEXT_FIELDS:
            if layer.values.get(name):
                values[name], sources[name] = layer.values[name], layer.source
        if layer.source != "tenant" and layer.values.get("display_name"):
            product, product_source = layer.values["display_name"], layer.source
        for kind, asset in layer.assets.items():
            assets[kind] = (*asset, layer.source)
    if organisation_name is not None and sources["display_name"] != "tenant":
        values["display_name"], sources["display_name"] = organisation_name, "organisation"
    if not values["email_sender_name"]:
        values["email_sender_name"], sources["email_sender_name"] = values["display_name"], "display_name"
    for kind in ASSETS:
        sources[kind] = assets[kind][3] if kind in assets else "default"
    sources["product_name"] = product_source
    tag = ".".join(f"{assets[k][2]}" for k in ASSETS if k in assets)
    return ThemeView(
        **values,
        product_name=product,
        logo_type=assets["logo"][0] if "logo" in assets else "",
        favicon_type=assets["favicon"][0] if "favicon" in assets else "",
        logo_source=tuple(assets["logo"][1]) if "logo" in assets else None,
        favicon_source=tuple(assets["favicon"][1]) if "favicon" in assets else None,
        asset_tag=tag,
        sources=sources,
        asset_base=asset_base,
    )


def _layer(row: Theme | ThemeDraft, source: str, *, kind: str, version: int) -> Layer:
    assets = {}
    for asset in ASSETS:
        content_type = getattr(row, f"{asset}_content_type")
        if content_type:
            assets[asset] = (content_type, (kind, row.pk), f"{kind[0]}{row.pk}-{version}")
    return Layer(
        source=source, values={n: getattr(row, n) for n in TEXT_FIELDS}, assets=assets, version=version
    )


def _published_layers(*, reseller_id: int | None, tenant_id: int | None) -> list[Layer]:
    owners = Q(scope=ThemeScope.PLATFORM)
    if reseller_id:
        owners |= Q(scope=ThemeScope.RESELLER, reseller_id=reseller_id)
    if tenant_id:
        owners |= Q(scope=ThemeScope.TENANT, tenant_id=tenant_id)
    rows = {row.scope: row for row in Theme.objects.filter(owners).defer(*DEFER)}
    return [
        _layer(rows[scope], scope, kind="theme", version=rows[scope].version)
        for scope in (ThemeScope.PLATFORM, ThemeScope.RESELLER, ThemeScope.TENANT)
        if scope in rows
    ]


# --- cache -------------------------------------------------------------------------------------------------
def _shared_key(name: str) -> CacheKey:
    """The same key whichever schema the connection is on (the default key function prefixes the schema):
    a platform change made on the control plane must be seen from every tenant's schema. Shaped like
    django_tenants.cache.make_key's key for the public schema, so the "*theme:*" sweep of the tests clears it."""
    return CacheKey(f"public:{cache.key_prefix}:{cache.version}:theme:{name}")


def _gen_name(scope: str, pk: int | None) -> str:
    return f"gen:{scope[0]}{pk or ''}"


def _gen_value(version: int, *, committed: bool) -> str:
    # "c": read from committed rows. Entries cached while a publish was still uncommitted carry the bare
    # version, which no reader uses once the publish has committed.
    return f"{version}c" if committed else str(version)


def generation_set(theme: Theme, *, committed: bool = False) -> None:
    """After a publish: the new version becomes part of every key below this theme."""
    owner = theme.tenant_id or theme.reseller_id
    cache.set(
        _shared_key(_gen_name(theme.scope, owner)), _gen_value(theme.version, committed=committed), None
    )


def _generations(*, reseller_id: int | None, tenant_id: int | None) -> str:
    wanted = {_gen_name(ThemeScope.PLATFORM, None): (ThemeScope.PLATFORM, None)}
    if reseller_id:
        wanted[_gen_name(ThemeScope.RESELLER, reseller_id)] = (ThemeScope.RESELLER, reseller_id)
    if tenant_id:
        wanted[_gen_name(ThemeScope.TENANT, tenant_id)] = (ThemeScope.TENANT, tenant_id)
    keys = {name: _shared_key(name) for name in wanted}
    found = cache.get_many(list(keys.values()))
    gens = {name: found.get(key) for name, key in keys.items()}
    missing = [name for name, value in gens.items() if value is None]
    if missing:  # evicted or never published: read the versions once and remember them
        owners = Q()
        for name in missing:
            scope, pk = wanted[name]
            owners |= Q(scope=scope, **{f"{scope}_id": pk} if pk else {})
        versions = {
            _gen_name(scope, tenant or reseller): version
            for scope, tenant, reseller, version in Theme.objects.filter(owners).values_list(
                "scope", "tenant_id", "reseller_id", "version"
            )
        }
        for name in missing:
            gens[name] = _gen_value(versions.get(name, 0), committed=True)
            cache.set(keys[name], gens[name], None)
    return "-".join(f"{name[4:]}{gens[name]}" for name in sorted(gens))


def _cached(name: str, build) -> ThemeView:
    key = _shared_key(name)
    cached = cache.get(key)
    if cached is not None:
        return ThemeView(**cached)
    view = build()
    cache.set(key, asdict(view), CACHE_SECONDS)
    return view


def theme_for_tenant(tenant) -> ThemeView:
    """The effective published theme of a tenant; the platform's for None or the control plane."""
    if tenant is None or tenant.is_control_plane:
        gens = _generations(reseller_id=None, tenant_id=None)
        return _cached(f"v2:cp:{gens}", lambda: resolve(_published_layers(reseller_id=None, tenant_id=None)))
    gens = _generations(reseller_id=tenant.reseller_id, tenant_id=tenant.pk)
    name_tag = zlib.crc32(tenant.name.encode())
    return _cached(
        f"v2:t{tenant.pk}:{name_tag}:{gens}",
        lambda: resolve(
            _published_layers(reseller_id=tenant.reseller_id, tenant_id=tenant.pk),
            organisation_name=tenant.name,
        ),
    )


def theme_for_reseller(reseller_id: int) -> ThemeView:
    """A reseller's console on the control-plane host: platform default → the reseller."""
    gens = _generations(reseller_id=reseller_id, tenant_id=None)
    return _cached(
        f"v2:r{reseller_id}:{gens}",
        lambda: resolve(_published_layers(reseller_id=reseller_id, tenant_id=None)),
    )


def console_reseller_id(request) -> int | None:
    """The reseller a signed-in control-plane user works for (reseller staff), else None."""
    if not hasattr(request, "_theme_reseller_id"):
        from billing.models import ResellerMembership
        from tenants.accounts.roles import Role

        user = getattr(request, "user", None)
        reseller_id = None
        if user is not None and user.is_authenticated and getattr(user, "role", "") == Role.RESELLER_STAFF:
            reseller_id = (
                ResellerMembership.objects.filter(user=user, reseller__is_active=True)
                .values_list("reseller_id", flat=True)
                .first()
            )
        request._theme_reseller_id = reseller_id
    return request._theme_reseller_id


def theme_for_request(request) -> ThemeView:
    """What a page on this host wears: the tenant's theme on a tenant host; on the control plane the reseller's
    for its staff, else the platform default."""
    tenant = getattr(request, "tenant", None)
    if tenant is not None and not tenant.is_control_plane:
        return theme_for_tenant(tenant)
    reseller_id = console_reseller_id(request)
    return theme_for_reseller(reseller_id) if reseller_id else theme_for_tenant(None)


def asset_bytes(source: tuple | None, kind: str) -> tuple[bytes, str] | None:
    """(bytes, content type) of an asset named by a ThemeView's `logo_source` / `favicon_source`."""
    if not source:
        return None
    model = Theme if source[0] == "theme" else ThemeDraft
    row = model.objects.filter(pk=source[1]).values_list(kind, f"{kind}_content_type").first()
    if row is None or not row[1]:
        return None
    return bytes(row[0]), row[1]


# --- drafts and previews -----------------------------------------------------------------------------------
def sample_organisation_name() -> str:
    return _("Example government service centre")


def draft_layers(theme: Theme, draft: ThemeDraft | None) -> list[Layer]:
    """The published chain of `theme`'s owner with the owner's own level replaced by its draft."""
    layers = _published_layers(reseller_id=theme.reseller_id, tenant_id=theme.tenant_id)
    mine = [layer for layer in layers if layer.source != theme.scope]
    row = draft or theme
    own = _layer(
        row,
        theme.scope,
        kind="draft" if draft else "theme",
        version=int(row.updated_at.timestamp()) if row.updated_at else 0,
    )
    return [*mine, own]


def theme_preview(theme: Theme, draft: ThemeDraft | None, *, asset_base: str) -> tuple[ThemeView, ThemeView]:
    """(the owner's own pages, a tenant's surfaces) as they will look once the draft is published. A tenant
    owner sees its own pages twice; the platform and resellers see their console and an example tenant below."""
    layers = draft_layers(theme, draft)
    if theme.scope == ThemeScope.TENANT:
        view = resolve(layers, organisation_name=theme.tenant.name, asset_base=asset_base)
        return view, view
    console = resolve(layers, asset_base=asset_base)
    return console, resolve(layers, organisation_name=sample_organisation_name(), asset_base=asset_base)


def raster_logo(view: ThemeView) -> bytes | None:
    """The logo's bytes for PDFs (PNG or JPEG); None without a logo or for an SVG one, which reportlab cannot draw."""
    if view.logo_type not in ("image/png", "image/jpeg"):
        return None
    found = asset_bytes(view.logo_source, "logo")
    return found[0] if found else None


def inherited_view(theme: Theme) -> ThemeView:
    """What the owner of `theme` gets for each field it leaves empty: the chain above it."""
    layers = [
        layer
        for layer in _published_layers(reseller_id=theme.reseller_id, tenant_id=theme.tenant_id)
        if layer.source != theme.scope
    ]
    name = theme.tenant.name if theme.scope == ThemeScope.TENANT else None
    return resolve(layers, organisation_name=name)
