from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightExportsConfig(AppConfig):
    name = "tenants.insight.exports"
    label = "insight_exports"
    verbose_name = _("Exports")
