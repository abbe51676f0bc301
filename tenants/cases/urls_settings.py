from django.urls import path

from tenants.cases import views_settings

urlpatterns = [
    path("", views_settings.case_settings_page, name="case-settings"),
]
