"""/settings/portal/: the tenant administrator's portal settings."""

from django.urls import path

from tenants.portal import views

urlpatterns = [
    path("", views.settings_page, name="portal-settings"),
]
