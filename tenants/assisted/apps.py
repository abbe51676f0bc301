from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistedConfig(AppConfig):
    """Channels where a person or a gateway relays the rating: paper forms, SMS replies, social comments."""

    name = "tenants.assisted"
    label = "assisted"
    verbose_name = _("Assisted channels")
