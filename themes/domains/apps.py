from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DomainsConfig(AppConfig):
    name = "themes.domains"
    label = "theme_domains"
    verbose_name = _("Custom domains")
