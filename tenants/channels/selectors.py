"""Reads for the rating channels: what a device, a QR page or the widget needs to show."""

from dataclasses import dataclass

from django.db.models import Q

from tenants.catalog.models import ItemStatus, ServiceItem
from tenants.channels.models import QrTokenUse
from tenants.channels.tokens import token_digest, window_id_from_token
from tenants.evaluations.models import BAD_LEVELS, SCALE_WORDS, ReasonTag, Transaction
from tenants.evaluations.selectors import intake_config
from tenants.organisation.models import Device, Unit, UnitKind

ITEM_LIST_LIMIT = 20


@dataclass(frozen=True)
class Level:
    level: int
    word: str
    is_bad: bool


@dataclass(frozen=True)
class Tag:
    code: str
    label: str


@dataclass(frozen=True)
class RatingOptions:
    """The tenant's scale wording (best first), its active bad-review reasons and the comment limit."""

    scale: str
    levels: tuple[Level, ...]
    tags: tuple[Tag, ...]
    comment_max_length: int
    supplementary_days: int

    def word(self, level: int) -> str:
        return self.levels[level - 1].word


def rating_options() -> RatingOptions:
    config = intake_config()
    words = SCALE_WORDS[config.scale]
    return RatingOptions(
        scale=config.scale,
        levels=tuple(Level(i, word, i in BAD_LEVELS) for i, word in enumerate(words, start=1)),
        tags=tuple(
            Tag(code, label)
            for code, label in ReasonTag.objects.filter(active=True).values_list("code", "label")
        ),
        comment_max_length=config.comment_max_length,
        supplementary_days=config.supplementary_days,
    )


def device_for_api_key(api_key) -> Device | None:
    """The rating device bound to a key, with its window and the window's hall."""
    if api_key is None:
        return None
    return Device.objects.select_related("window__parent").filter(api_key=api_key).first()


def window_for_token(token: str) -> Unit | None:
    """The active window a poster's token names, in the current tenant; None for anything else."""
    window_id = window_id_from_token(token)
    return None if window_id is None else window_for_poster(window_id)


def windows_for_posters() -> list[Unit]:
    return list(Unit.objects.select_related("parent").filter(kind=UnitKind.WINDOW, active=True))


def window_for_poster(window_id: int) -> Unit | None:
    """An active window of this tenant by id."""
    return (
        Unit.objects.select_related("parent").filter(pk=window_id, kind=UnitKind.WINDOW, active=True).first()
    )


def published_items(*, query: str = "", limit: int = ITEM_LIST_LIMIT) -> list[ServiceItem]:
    """A short list a citizen can pick from: published items whose name or code contains the query."""
    items = ServiceItem.objects.filter(status=ItemStatus.PUBLISHED).only("code", "name")
    query = (query or "").strip()[:50]
    if query:
        items = items.filter(Q(name__icontains=query) | Q(code__icontains=query))
    return list(items.order_by("name", "code")[:limit])


def published_item(code: str) -> ServiceItem | None:
    if not code or len(code) > 64:
        return None
    return ServiceItem.objects.filter(code=code, status=ItemStatus.PUBLISHED).only("code", "name").first()


def transaction_for_rating(number: str) -> Transaction | None:
    return Transaction.objects.select_related("item", "window", "unit").filter(number=number).first()


def qr_token_used(token: str) -> bool:
    return QrTokenUse.objects.filter(digest=token_digest(token)).exists()
