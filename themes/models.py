from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #1f5fbf."))


class Theme(models.Model):
    """A tenant's branding. The logo is stored in the database so that every web replica can serve it."""

    tenant = models.OneToOneField("tenants.Tenant", on_delete=models.CASCADE, related_name="theme")
    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    primary_color = models.CharField(
        _("primary colour"), max_length=7, default="#1d4ed8", validators=[hex_colour]
    )
    logo = models.BinaryField(_("logo"), blank=True, default=b"")
    logo_content_type = models.CharField(max_length=50, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.display_name or str(self.tenant)
