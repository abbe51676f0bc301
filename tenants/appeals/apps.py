from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppealsConfig(AppConfig):
    name = "tenants.appeals"
    label = "appeals"
    verbose_name = _("Appeals (申诉复核)")
