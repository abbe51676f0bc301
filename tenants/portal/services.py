"""Writes for the public portal: its settings (audited)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from billing.entitlements import entitlement_check
from tenants.accounts.actors import Actor
from tenants.accounts.services import audit_record
from tenants.portal.models import MIN_GROUP_SIZE_LIMITS, PortalSettings

INTRO_MAX_LENGTH = 2000
FIELDS = ("enabled", "min_group_size", "show_comments", "intro")


@transaction.atomic
def portal_settings_set(
    *, actor: Actor, enabled: bool, min_group_size: int, show_comments: bool, intro: str = ""
) -> PortalSettings:
    """Publish or withdraw the portal, set the smallest group shown on its own, whether consented comments
    appear, and the introduction. Raises ValidationError (per field)."""
    low, high = MIN_GROUP_SIZE_LIMITS
    intro = (intro or "").strip()
    errors: dict[str, list[str]] = {}
    if (
        not isinstance(min_group_size, int)
        or isinstance(min_group_size, bool)
        or not low <= min_group_size <= high
    ):
        errors["min_group_size"] = [
            _("Enter a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}
        ]
    if len(intro) > INTRO_MAX_LENGTH:
        errors["intro"] = [_("The introduction is at most %(n)d characters.") % {"n": INTRO_MAX_LENGTH}]
    if errors:
        raise ValidationError(errors)
    settings = PortalSettings.objects.select_for_update().order_by("pk").first() or PortalSettings()
    if enabled and not settings.enabled:
        entitlement_check(feature="portal")  # publishing needs a plan with the portal; other changes do not
    before = {name: getattr(settings, name) for name in FIELDS}
    after = {"enabled": bool(enabled), "min_group_size": min_group_size, "show_comments": bool(show_comments)}
    after["intro"] = intro
    for name, value in after.items():
        setattr(settings, name, value)
    settings.save()
    if before != after:
        audit_record(
            actor=actor, action="portal.settings", target=settings, data={"before": before, "after": after}
        )
    return settings
