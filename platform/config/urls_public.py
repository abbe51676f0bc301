"""URLs on the control-plane host (localhost)."""

from control_plane import views
from django.urls import include, path

from config.urls_common import common_urlpatterns

urlpatterns = [
    path("", views.home, name="home"),
    path("console/", views.console, name="console"),
    path("api/national/v1/", include("api.urls_national")),
    *common_urlpatterns(schema_urlconf="config.urls_public"),
]
