from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    """Citizen-facing rating channels: the window device page, QR codes, the mobile page and the widget."""

    name = "tenants.channels"
    label = "channels"
    verbose_name = _("Rating channels")
