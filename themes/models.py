"""Themes: the platform default, each reseller's and each tenant's. Every field left empty inherits from the
level above (platform default → reseller → tenant); themes/selectors.py resolves the chain.

Edits go to a ThemeDraft first; publishing copies the draft onto the Theme (themes/services.py). Logos and
favicons are stored in the database so that every web replica can serve them.
"""

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #1f5fbf."))


class ThemeScope(models.TextChoices):
    PLATFORM = "platform", _("Platform default")
    RESELLER = "reseller", _("Reseller")
    TENANT = "tenant", _("Tenant")


class Font(models.TextChoices):
    CJK_SANS = "cjk_sans", _("Sans-serif (黑体), the clearest for Chinese on screens")
    CJK_SERIF = "cjk_serif", _("Serif (宋体), formal")
    CJK_KAI = "cjk_kai", _("Kai (楷体), handwritten style")
    SYSTEM = "system", _("The device's own interface font")


# Stacks of fonts that ship with the systems our users have (no web font is downloaded). Each ends with a CJK
# face and a generic family, so Chinese always renders.
FONT_STACKS = {
    Font.CJK_SANS: '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", '
    '"WenQuanYi Micro Hei", system-ui, sans-serif',
    Font.CJK_SERIF: '"Songti SC", "SimSun", "Noto Serif CJK SC", "Source Han Serif SC", serif',
    Font.CJK_KAI: '"Kaiti SC", "STKaiti", "KaiTi", "AR PL UKai CN", "Noto Serif CJK SC", serif',
    Font.SYSTEM: 'system-ui, -apple-system, "Segoe UI", Roboto, "PingFang SC", "Microsoft YaHei", '
    '"Noto Sans CJK SC", sans-serif',
}


class ThemeFields(models.Model):
    """What a theme can set. Empty means "inherit from the level above"."""

    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    logo = models.BinaryField(_("logo"), blank=True, default=b"")
    logo_content_type = models.CharField(max_length=50, blank=True)
    favicon = models.BinaryField(_("favicon"), blank=True, default=b"")
    favicon_content_type = models.CharField(max_length=50, blank=True)
    primary_color = models.CharField(_("primary colour"), max_length=7, blank=True, validators=[hex_colour])
    on_primary_color = models.CharField(
        _("text colour on the primary colour"), max_length=7, blank=True, validators=[hex_colour]
    )
    text_color = models.CharField(_("text colour"), max_length=7, blank=True, validators=[hex_colour])
    background_color = models.CharField(
        _("background colour"), max_length=7, blank=True, validators=[hex_colour]
    )
    font = models.CharField(_("font"), max_length=16, blank=True, choices=Font.choices)
    footer_text = models.CharField(_("footer text"), max_length=300, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    email_sender_name = models.CharField(_("e-mail sender name"), max_length=100, blank=True)

    class Meta:
        abstract = True


# The text fields a theme sets (the assets, logo and favicon, are handled apart).
TEXT_FIELDS = (
    "display_name",
    "primary_color",
    "on_primary_color",
    "text_color",
    "background_color",
    "font",
    "footer_text",
    "contact_phone",
    "contact_email",
    "email_sender_name",
)
ASSETS = ("logo", "favicon")
COLOUR_FIELDS = ("primary_color", "on_primary_color", "text_color", "background_color")
# The text fields that must stay on one line (the name and sender go into e-mail headers; all of them into
# headers and footers of pages and PDFs).
SINGLE_LINE_FIELDS = ("display_name", "footer_text", "contact_phone", "contact_email", "email_sender_name")


class Theme(ThemeFields):
    """The published theme of one owner: the platform (one row), a reseller or a tenant."""

    scope = models.CharField(_("scope"), max_length=16, choices=ThemeScope.choices)
    tenant = models.OneToOneField(
        "tenants.Tenant", null=True, blank=True, on_delete=models.CASCADE, related_name="theme"
    )
    reseller = models.OneToOneField(
        "billing.Reseller", null=True, blank=True, on_delete=models.CASCADE, related_name="theme"
    )
    version = models.PositiveIntegerField(default=0)  # bumped on every publish: part of the cache keys
    published_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="themes_theme_one_owner",
                condition=(
                    Q(scope=ThemeScope.PLATFORM, tenant__isnull=True, reseller__isnull=True)
                    | Q(scope=ThemeScope.RESELLER, tenant__isnull=True, reseller__isnull=False)
                    | Q(scope=ThemeScope.TENANT, tenant__isnull=False, reseller__isnull=True)
                ),
            ),
            models.UniqueConstraint(
                fields=["scope"], condition=Q(scope=ThemeScope.PLATFORM), name="themes_one_platform_theme"
            ),
        ]

    def __str__(self) -> str:
        owner = self.tenant or self.reseller or _("platform")
        return f"{self.get_scope_display()}: {owner}"


class ThemeDraft(ThemeFields):
    """Edits not yet published: the preview shows them on every surface; publishing applies them."""

    theme = models.OneToOneField(Theme, on_delete=models.CASCADE, related_name="draft")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.CharField(max_length=254, blank=True)

    def __str__(self) -> str:
        return f"{self.theme} (draft)"
