"""Theme writes: save a draft (checked: contrast, uploads), publish it, discard it. Every write is audited in the
schema it is made from (the tenant's own trail for a tenant, the control plane's for the platform and
resellers).

`theme_for_tenant` (themes/selectors.py) is re-exported here: other apps import it from this module.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.accounts.actors import Actor
from tenants.accounts.services import audit_record
from tenants.validators import control_characters_message, has_control_characters
from themes.contrast import AA_TEXT, contrast_ratio, ratio_label
from themes.models import (
    ASSETS,
    COLOUR_FIELDS,
    SINGLE_LINE_FIELDS,
    TEXT_FIELDS,
    Theme,
    ThemeDraft,
    ThemeScope,
)
from themes.selectors import (  # noqa: F401 (re-exported: the one lookup every surface uses)
    PLATFORM_COLOR,
    PLATFORM_NAME,
    Layer,
    ThemeView,
    draft_layers,
    generation_set,
    resolve,
    theme_for_tenant,
    theme_preview,
)
from themes.uploads import asset_clean

LOGO_MAX_BYTES = 200 * 1024


@dataclass(frozen=True)
class ThemeOwner:
    """Whose theme: the platform default, one reseller or one tenant."""

    scope: str
    tenant: object = None
    reseller: object = None

    @classmethod
    def platform(cls) -> ThemeOwner:
        return cls(ThemeScope.PLATFORM)

    @classmethod
    def for_tenant(cls, tenant) -> ThemeOwner:
        return cls(ThemeScope.TENANT, tenant=tenant)

    @classmethod
    def for_reseller(cls, reseller) -> ThemeOwner:
        return cls(ThemeScope.RESELLER, reseller=reseller)

    @property
    def lookup(self) -> dict:
        return {"scope": self.scope, "tenant": self.tenant, "reseller": self.reseller}


def theme_and_draft(owner: ThemeOwner) -> tuple[Theme, ThemeDraft | None]:
    """The owner's published theme (unsaved and empty when it never published) and its draft, if any."""
    theme = Theme.objects.filter(**owner.lookup).first() or Theme(**owner.lookup)
    draft = ThemeDraft.objects.filter(theme=theme).first() if theme.pk else None
    return theme, draft


# Colour pairs that carry text, each checked on the effective theme (inherited colours included).
CONTRAST_PAIRS = (
    ("text_color", "background_color", "Text on the background"),
    ("on_primary_color", "primary_color", "Text on buttons and the header (on the primary colour)"),
    ("primary_color", "background_color", "Links (the primary colour on the background)"),
)


def pair_label(key: str) -> str:
    return {
        "Text on the background": _("Text on the background"),
        "Text on buttons and the header (on the primary colour)": _(
            "Text on buttons and the header (on the primary colour)"
        ),
        "Links (the primary colour on the background)": _("Links (the primary colour on the background)"),
    }[key]


def contrast_problems(view: ThemeView, *, changed: set[str]) -> dict[str, list[str]]:
    """Field → refusal messages for each pair under WCAG AA (4.5:1), with the measured ratio. The message goes
    on the field this edit changed (the foreground when both or neither)."""
    problems: dict[str, list[str]] = {}
    for foreground, background, label in CONTRAST_PAIRS:
        ratio = contrast_ratio(getattr(view, foreground), getattr(view, background))
        if ratio >= AA_TEXT:
            continue
        target = background if background in changed and foreground not in changed else foreground
        problems.setdefault(target, []).append(
            _("%(what)s: contrast %(ratio)s:1, at least %(minimum)s:1 is needed.")
            % {"what": pair_label(label), "ratio": ratio_label(ratio), "minimum": AA_TEXT}
        )
    return problems


BELOW_NAMED = 5  # organisations named in a refusal


def _colour_layer(source: str, row: dict) -> Layer:
    return Layer(source=source, values={name: row[name] for name in COLOUR_FIELDS}, assets={})


def below_contrast_problems(theme: Theme, draft: ThemeDraft | None) -> list[str]:
    """For a platform or reseller theme: the resellers and tenants below it whose own colours would fall under
    AA with the draft, one line each (the worst pair), at most BELOW_NAMED and a count of the rest. Only owners
    that set a colour of their own can differ from the sample tenant checked on the owner's chain: one query
    for them (and, for the platform, one for the resellers' colours), whatever the number of tenants."""
    if theme.scope == ThemeScope.TENANT:
        return []
    above = draft_layers(theme, draft)
    own_colours = Q()
    for name in COLOUR_FIELDS:
        own_colours |= ~Q(**{name: ""})
    resellers: dict = {}
    if theme.scope == ThemeScope.PLATFORM:
        resellers = {
            row["reseller_id"]: row
            for row in Theme.objects.filter(own_colours, scope=ThemeScope.RESELLER)
            .order_by("reseller__name")
            .values("reseller_id", "reseller__name", *COLOUR_FIELDS)
        }
    tenants = Theme.objects.filter(own_colours, scope=ThemeScope.TENANT)
    if theme.scope == ThemeScope.RESELLER:
        tenants = tenants.filter(tenant__reseller_id=theme.reseller_id)
    below = [(row["reseller__name"], [*above, _colour_layer("reseller", row)]) for row in resellers.values()]
    for row in tenants.order_by("tenant__name").values("tenant__name", "tenant__reseller_id", *COLOUR_FIELDS):
        reseller = resellers.get(row["tenant__reseller_id"])
        middle = [_colour_layer("reseller", reseller)] if reseller else []
        below.append((row["tenant__name"], [*above, *middle, _colour_layer("tenant", row)]))
    lines = []
    for name, layers in below:
        view = resolve(layers)
        ratio, label = min(
            (contrast_ratio(getattr(view, fg), getattr(view, bg)), label) for fg, bg, label in CONTRAST_PAIRS
        )
        if ratio < AA_TEXT:
            lines.append(
                _("%(name)s — %(what)s: %(ratio)s:1")
                % {"name": name, "what": pair_label(label), "ratio": ratio_label(ratio)}
            )
    if not lines:
        return []
    problems = [
        _(
            "With this theme, colours that organisations below it set themselves would fall under %(minimum)s:1. "
            "Change the theme, or ask them to change their colours first:"
        )
        % {"minimum": AA_TEXT},
        *lines[:BELOW_NAMED],
    ]
    if len(lines) > BELOW_NAMED:
        problems.append(_("… and %(count)s more.") % {"count": len(lines) - BELOW_NAMED})
    return problems


def _new_draft(theme: Theme) -> ThemeDraft:
    draft = ThemeDraft(theme=theme)
    for name in (*TEXT_FIELDS, *ASSETS, *(f"{a}_content_type" for a in ASSETS)):
        setattr(draft, name, getattr(theme, name))
    return draft


@transaction.atomic
def theme_draft_save(
    *,
    actor: Actor,
    owner: ThemeOwner,
    values: dict[str, str],
    uploads: dict[str, bytes] | None = None,
    clear: frozenset[str] | set[str] = frozenset(),
) -> ThemeDraft:
    """Change the owner's draft (created from the published theme on first edit). `values` holds text fields
    (empty = inherit), `uploads` new logo/favicon bytes, `clear` the assets to inherit again. Nothing is saved
    when anything is refused; the published theme is untouched until `theme_publish`."""
    theme, _created = Theme.objects.get_or_create(**owner.lookup)
    theme = Theme.objects.select_for_update().get(pk=theme.pk)
    draft = ThemeDraft.objects.filter(theme=theme).first() or _new_draft(theme)
    changed = set()
    for name in TEXT_FIELDS:
        if name in values:
            value = (values[name] or "").strip()
            if name.endswith("_color"):
                value = value.lower()
            if value != getattr(draft, name):
                changed.add(name)
            setattr(draft, name, value)
    errors: dict[str, list[str]] = {}
    for name in SINGLE_LINE_FIELDS:  # system callers too (the form refuses them first)
        if has_control_characters(getattr(draft, name)):
            errors[name] = [control_characters_message(ThemeDraft._meta.get_field(name).verbose_name)]
    for kind, data in (uploads or {}).items():
        try:
            content_type, data = asset_clean(data, kind)  # an SVG as written out from its checked tree
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)
            continue
        setattr(draft, kind, data)
        setattr(draft, f"{kind}_content_type", content_type)
        changed.add(kind)
    for kind in set(clear) - set(uploads or {}):
        if getattr(draft, f"{kind}_content_type"):
            changed.add(kind)
        setattr(draft, kind, b"")
        setattr(draft, f"{kind}_content_type", "")
    try:
        draft.full_clean(exclude=["theme", *ASSETS])
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if not any(name.endswith("_color") for name in errors):
        _console, view = theme_preview(theme, draft, asset_base="")
        for key, messages in contrast_problems(view, changed=changed).items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    draft.updated_by = actor.label[:254]
    draft.save()
    audit_record(
        actor=actor,
        action="theme.draft_save",
        target=theme,
        data={"scope": theme.scope, "changed": sorted(changed)},
    )
    return draft


@transaction.atomic
def theme_publish(*, actor: Actor, owner: ThemeOwner) -> Theme:
    """Apply the draft: every surface of the owner (and, for the platform or a reseller, of every tenant that
    inherits from it) shows it from the next request."""
    theme = Theme.objects.select_for_update().filter(**owner.lookup).first()
    draft = ThemeDraft.objects.filter(theme=theme).first() if theme else None
    if draft is None:
        raise ValidationError(_("There is no draft to publish."), code="no_draft")
    # The levels above may have changed since the draft was saved: check the pairs again.
    _console, view = theme_preview(theme, draft, asset_base="")
    problems = contrast_problems(view, changed=set())
    if problems:
        raise ValidationError(problems)
    below = below_contrast_problems(theme, draft)
    if below:
        raise ValidationError(below, code="contrast_below")
    changes = {
        name: [getattr(theme, name), getattr(draft, name)]
        for name in TEXT_FIELDS
        if getattr(theme, name) != getattr(draft, name)
    }
    for kind in ASSETS:
        if bytes(getattr(theme, kind) or b"") != bytes(getattr(draft, kind) or b""):
            changes[kind] = [getattr(theme, f"{kind}_content_type"), getattr(draft, f"{kind}_content_type")]
    for name in (*TEXT_FIELDS, *ASSETS, *(f"{a}_content_type" for a in ASSETS)):
        setattr(theme, name, getattr(draft, name))
    theme.version += 1
    theme.published_at = timezone.now()
    theme.save()
    draft.delete()
    audit_record(
        actor=actor, action="theme.publish", target=theme, data={"scope": theme.scope, "changes": changes}
    )
    _generation_bump(theme)
    return theme


def _generation_bump(theme: Theme) -> None:
    # Now for this transaction's own reads; after commit again under a new tag, so that an entry another
    # process cached from the old rows in between is never read again.
    generation_set(theme)
    transaction.on_commit(lambda: generation_set(theme, committed=True))


@transaction.atomic
def theme_draft_discard(*, actor: Actor, owner: ThemeOwner) -> bool:
    theme = Theme.objects.filter(**owner.lookup).first()
    deleted, _rows = ThemeDraft.objects.filter(theme=theme).delete() if theme else (0, None)
    if deleted:
        audit_record(actor=actor, action="theme.draft_discard", target=theme, data={"scope": theme.scope})
    return bool(deleted)


def theme_update(*, actor: Actor, tenant, logo: bytes | None = None, **values: str) -> Theme:
    """Set fields of a tenant's theme and publish at once (system callers, demo data and tests)."""
    owner = ThemeOwner.for_tenant(tenant)
    with transaction.atomic():
        theme_draft_save(actor=actor, owner=owner, values=values, uploads={"logo": logo} if logo else None)
        return theme_publish(actor=actor, owner=owner)
