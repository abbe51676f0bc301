"""The editor's URLs, the same for each scope (a tenant's, a reseller's, the platform default)."""

from django.urls import path

from themes import views


def theme_urlpatterns(scope: str) -> list:
    prefix = views.URL_NAMES[scope]
    scoped = {"scope": scope}
    return [
        path("", views.edit, scoped, name=f"{prefix}-edit"),
        path("preview/", views.preview, scoped, name=f"{prefix}-preview"),
        path("preview/<str:surface>", views.surface, scoped, name=f"{prefix}-surface"),
        path("publish", views.publish, scoped, name=f"{prefix}-publish"),
        path("discard", views.discard, scoped, name=f"{prefix}-discard"),
    ]
