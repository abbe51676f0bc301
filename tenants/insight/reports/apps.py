from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightReportsConfig(AppConfig):
    name = "tenants.insight.reports"
    label = "insight_reports"
    verbose_name = _("Reports")
