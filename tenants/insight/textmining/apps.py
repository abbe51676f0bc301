from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightTextConfig(AppConfig):
    name = "tenants.insight.textmining"
    label = "insight_text"
    verbose_name = _("Comment analysis")
