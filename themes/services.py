"""Theme writes and the per-tenant cached lookup used on every page."""

from dataclasses import asdict, dataclass

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tenants.accounts.actors import Actor
from tenants.accounts.services import audit_record
from themes.models import Theme

PLATFORM_NAME = "好差评 Cloud"
PLATFORM_COLOR = "#1d4ed8"
LOGO_MAX_BYTES = 200 * 1024
LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


@dataclass(frozen=True)
class ThemeView:
    display_name: str
    primary_color: str
    has_logo: bool
    updated: int


def _cache_key(tenant) -> str:
    return f"theme:v1:{tenant.schema_name if tenant else '-'}"


def theme_for_tenant(tenant) -> ThemeView:
    cached = cache.get(_cache_key(tenant))
    if cached is not None:
        return ThemeView(**cached)
    theme = (
        Theme.objects.filter(tenant=tenant)
        .only("display_name", "primary_color", "logo_content_type", "updated_at")
        .first()
        if tenant
        else None
    )
    default_name = tenant.name if tenant and not tenant.is_control_plane else PLATFORM_NAME
    view = ThemeView(
        display_name=(theme.display_name if theme and theme.display_name else default_name),
        primary_color=theme.primary_color if theme else PLATFORM_COLOR,
        has_logo=bool(theme and theme.logo_content_type),
        updated=int(theme.updated_at.timestamp()) if theme else 0,
    )
    cache.set(_cache_key(tenant), asdict(view), 300)
    return view


def _logo_type(data: bytes) -> str:
    for magic, content_type in LOGO_TYPES.items():
        if data.startswith(magic):
            return content_type
    raise ValidationError({"logo": [_("Upload a PNG or JPEG image.")]})


@transaction.atomic
def theme_update(
    *,
    actor: Actor,
    tenant,
    display_name: str | None = None,
    primary_color: str | None = None,
    logo: bytes | None = None,
) -> Theme:
    theme, _created = Theme.objects.get_or_create(tenant=tenant)
    if display_name is not None:
        theme.display_name = display_name.strip()[:200]
    if primary_color is not None:
        theme.primary_color = primary_color
    if logo is not None:
        if len(logo) > LOGO_MAX_BYTES:
            raise ValidationError({"logo": [_("The logo must be at most 200 KB.")]})
        theme.logo_content_type = _logo_type(logo)
        theme.logo = logo
    theme.full_clean(exclude=["tenant", "logo"])
    theme.save()
    audit_record(
        actor=actor,
        action="theme.update",
        target=theme,
        data={"display_name": theme.display_name, "primary_color": theme.primary_color},
    )
    # Now for this transaction's own reads, and again after commit for anyone who read in between.
    cache.delete(_cache_key(tenant))
    transaction.on_commit(lambda: cache.delete(_cache_key(tenant)))
    return theme
