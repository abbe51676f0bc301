from django.db import models
from django.utils.translation import gettext_lazy as _


class Reseller(models.Model):
    """A vendor that provisions and supports tenants for local governments under its own brand."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
