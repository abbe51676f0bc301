"""Tenant registry (public schema). Each tenant owns one PostgreSQL schema named after its slug."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from tenants.validators import validate_region_code, validate_slug


class TenantKind(models.TextChoices):
    NATIONAL = "national", _("National")
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County")
    AGENCY = "agency", _("Agency")


class TenantStatus(models.TextChoices):
    TRIAL = "trial", _("Trial")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    ARCHIVED = "archived", _("Archived")


class Tenant(TenantMixin):
    name = models.CharField(_("name"), max_length=200)
    slug = models.CharField(_("subdomain"), max_length=30, unique=True, validators=[validate_slug])
    kind = models.CharField(_("kind"), max_length=16, choices=TenantKind.choices)
    region_code = models.CharField(_("region code"), max_length=6, validators=[validate_region_code])
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=TenantStatus.choices, default=TenantStatus.TRIAL
    )
    reseller = models.ForeignKey(
        "billing.Reseller",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tenants",
        verbose_name=_("reseller"),
    )
    require_admin_mfa = models.BooleanField(_("require two-factor sign-in for administrators"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Schemas are created by tenants.services.tenant_provision (cloned from the template), never on save().
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"

    @property
    def is_control_plane(self) -> bool:
        return self.schema_name == "public"


class Domain(DomainMixin):
    pass


class TemplateSnapshot(models.Model):
    """The migrated template schema as SQL, keyed by its migration state (see tenants/template.py)."""

    state = models.CharField(max_length=64, unique=True)
    script = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"template snapshot {self.state[:12]}"
