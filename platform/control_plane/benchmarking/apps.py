from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BenchmarkingConfig(AppConfig):
    name = "control_plane.benchmarking"
    label = "benchmarking"
    verbose_name = _("Cross-tenant benchmarking")
