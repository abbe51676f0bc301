"""URLs on the control-plane host (localhost)."""

from control_plane import views
from django.urls import include, path

from config.urls_common import common_urlpatterns

urlpatterns = [
    path("", views.home, name="home"),
    path("console/", include("control_plane.console.urls")),
    path("benchmarking/", include("control_plane.benchmarking.urls")),
    path("billing/", include("billing.urls_public")),  # Stripe webhook, national staff billing views
    path("reseller/", include("billing.resellers.urls")),  # the reseller console
    path("themes/", include("themes.urls_public")),  # platform and reseller themes, previews
    path("", include("control_plane.onboarding.urls")),  # the public site's sign-up and progress pages
    path("api/national/v1/", include("api.urls_national")),
    *common_urlpatterns(schema_urlconf="config.urls_public"),
]
