"""URLs served on every host: sign-in, language switch, theme assets and the API schema."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from themes.views import favicon, logo


def common_urlpatterns(*, schema_urlconf: str) -> list:
    return [
        path("accounts/", include("allauth.urls")),
        path("i18n/", include("django.conf.urls.i18n")),
        path("theme/logo", logo, name="theme-logo"),
        path("theme/favicon", favicon, name="theme-favicon"),
        path("api/schema/", SpectacularAPIView.as_view(urlconf=schema_urlconf), name="api-schema"),
        path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    ]
