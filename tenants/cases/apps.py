from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "tenants.cases"
    label = "cases"
    verbose_name = _("Bad-review cases (差评整改)")
