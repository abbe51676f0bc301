"""/themes/ on the control plane: the platform default (national staff) and a reseller's theme (its staff)."""

from django.urls import include, path

from themes.models import ThemeScope
from themes.routes import theme_urlpatterns

urlpatterns = [
    path("platform/", include(theme_urlpatterns(ThemeScope.PLATFORM))),
    path("reseller/", include(theme_urlpatterns(ThemeScope.RESELLER))),
]
