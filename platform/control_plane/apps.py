from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ControlPlaneConfig(AppConfig):
    name = "control_plane"
    verbose_name = _("Control plane")
