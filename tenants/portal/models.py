"""The public disclosure portal's settings (以公开为常态、不公开为例外): one row per tenant schema."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

MIN_GROUP_SIZE_LIMITS = (1, 1000)


class PortalSettings(models.Model):
    enabled = models.BooleanField(_("publish the portal"), default=True)
    # A group (department, hall, unit of a bad review) with fewer counted ratings in the month is not shown
    # on its own: small groups can point at single people.
    min_group_size = models.PositiveSmallIntegerField(
        _("smallest group shown on its own (ratings)"),
        default=5,
        validators=[MinValueValidator(MIN_GROUP_SIZE_LIMITS[0]), MaxValueValidator(MIN_GROUP_SIZE_LIMITS[1])],
    )
    show_comments = models.BooleanField(_("show comments the evaluator agreed to publish"), default=True)
    intro = models.TextField(_("introduction"), blank=True, max_length=2000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("portal settings")
        verbose_name_plural = _("portal settings")

    def __str__(self) -> str:
        return f"portal ({'on' if self.enabled else 'off'}, groups ≥ {self.min_group_size})"
