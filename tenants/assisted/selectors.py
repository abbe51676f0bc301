"""Reads for the assisted channels: the tag list as printed, windows and their halls, entries and comments."""

import re

from django.db.models import Q, QuerySet

from tenants.assisted.models import PaperEntry, SocialComment
from tenants.catalog.models import ServiceItem
from tenants.evaluations.models import ReasonTag
from tenants.organisation.models import Platform, Staff, Unit, UnitKind
from tenants.privacy.crypto import decrypt
from tenants.privacy.masking import mask_name, mask_phone

SITE_KINDS = (UnitKind.HALL, UnitKind.CENTRE, UnitKind.STATION, UnitKind.SERVICE_POINT)


def active_tags() -> list[tuple[str, str]]:
    """The tenant's active reason tags as (code, label), in the order forms and SMS number them (1, 2, …)."""
    return list(
        ReasonTag.objects.filter(active=True).order_by("position", "code").values_list("code", "label")
    )


def site_of(unit: Unit) -> Unit | None:
    """The hall, centre, station or service point a window belongs to (nearest such ancestor)."""
    ids = [int(p) for p in unit.path.strip("/").split("/") if p.isdigit() and int(p) != unit.pk]
    if not ids:
        ids = [unit.parent_id] if unit.parent_id else []
    ancestors = {u.pk: u for u in Unit.objects.filter(pk__in=ids, kind__in=SITE_KINDS)}
    return next((ancestors[i] for i in reversed(ids) if i in ancestors), None)


def window_list(*, query: str = "") -> QuerySet[Unit]:
    windows = Unit.objects.filter(kind=UnitKind.WINDOW, active=True).select_related("parent")
    if query:
        windows = windows.filter(Q(code__icontains=query) | Q(name__icontains=query))
    return windows.order_by("code")


def paper_entry_list() -> QuerySet[PaperEntry]:
    return PaperEntry.objects.select_related(
        "evaluation__transaction__window", "evaluation__transaction__item", "entered_by", "scan"
    ).defer("scan__data")


def social_comment_list(*, source_kind: str = "") -> QuerySet[SocialComment]:
    comments = SocialComment.objects.select_related("unit", "window", "staff", "item", "platform")
    return comments.filter(source_kind=source_kind) if source_kind else comments


def mask_contact(value: str) -> str:
    """A phone, e-mail address or name, masked for display."""
    value = (value or "").strip()
    if "@" in value:
        local, _at, domain = value.rpartition("@")
        return f"{local[:1]}***@{domain}"
    if sum(c.isdigit() for c in value) >= 7:
        return mask_phone(value)
    return mask_name(value)


def social_comment_row(comment: SocialComment) -> dict:
    objects = [comment.window, comment.unit, comment.staff, comment.item, comment.platform]
    return {
        "id": comment.pk,
        "received_at": comment.received_at,
        "source": comment.get_source_kind_display(),
        "subject": comment.subject,
        "text": comment.text,
        "objects": [str(o) for o in objects if o is not None],
        "contact": mask_contact(decrypt(comment.contact)),
    }


# Codes are ASCII letters, digits and inner hyphens/underscores ("W01", "ITEM-001", "11440000MB000123").
_CODE_TOKEN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_\-]*[A-Za-z0-9])?")
MAX_TOKENS = 500


def _tokens(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for token in _CODE_TOKEN.findall(text or ""):
        # A bare short number ("3", "2024") is far likelier a count or a year than a code.
        if len(token) >= 2 and (not token.isdigit() or len(token) >= 6):
            seen.setdefault(token, None)
        if len(seen) >= MAX_TOKENS:
            break
    return list(seen)


def objects_named_in(text: str) -> dict[str, str]:
    """Codes of known objects the text names, first mention of each kind wins:
    {"window_code", "unit_code", "staff_no", "item_code", "platform_code"} (absent when none)."""
    tokens = _tokens(text)
    if not tokens:
        return {}
    wanted = set(tokens) | {t.upper() for t in tokens}
    order = {t: i for i, t in enumerate(tokens)}

    def rank(code: str) -> int:
        return min(order.get(code, MAX_TOKENS), *(order[t] for t in tokens if t.upper() == code.upper()))

    found: dict[str, str] = {}
    candidates = [
        (
            "window_code",
            Unit.objects.filter(code__in=wanted, kind=UnitKind.WINDOW).values_list("code", flat=True),
        ),
        (
            "unit_code",
            Unit.objects.filter(code__in=wanted).exclude(kind=UnitKind.WINDOW).values_list("code", flat=True),
        ),
        ("staff_no", Staff.objects.filter(staff_no__in=wanted).values_list("staff_no", flat=True)),
        ("item_code", ServiceItem.objects.filter(code__in=wanted).values_list("code", flat=True)),
        ("platform_code", Platform.objects.filter(code__in=wanted).values_list("code", flat=True)),
    ]
    for key, codes in candidates:
        codes = list(codes)
        if codes:
            found[key] = min(codes, key=rank)
    return found
