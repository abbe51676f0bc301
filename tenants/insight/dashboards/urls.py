"""Staff dashboards at /insight/ on a tenant's host."""

from django.urls import path

from tenants.insight.dashboards import views

urlpatterns = [
    path("", views.overview_page, name="insight-overview"),
    path("breakdown/", views.breakdown_page, name="insight-breakdown"),
    path("coverage/", views.coverage_page, name="insight-coverage"),
]
