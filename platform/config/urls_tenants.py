"""URLs on a tenant's host (<slug>.localhost)."""

from django.urls import include, path

from config.urls_common import common_urlpatterns
from tenants.accounts import views as account_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("api/v1/", include("api.urls_tenant")),
    *common_urlpatterns(schema_urlconf="config.urls_tenants"),
]
