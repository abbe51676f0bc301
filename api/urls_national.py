from django.urls import path

from api.views.api_keys import ApiKeyListCreateView, ApiKeyRevokeView
from api.views.common import MeView
from api.views.national_feed import FeedView, ReconciliationView
from api.views.tenants import TenantDetailView, TenantListCreateView

urlpatterns = [
    path("me", MeView.as_view(), name="national-me"),
    path("api-keys", ApiKeyListCreateView.as_view(), name="national-api-keys"),
    path("api-keys/<int:pk>/revoke", ApiKeyRevokeView.as_view(), name="national-api-key-revoke"),
    path("tenants", TenantListCreateView.as_view(), name="national-tenants"),
    path("tenants/<str:slug>", TenantDetailView.as_view(), name="national-tenant"),
    path("feed", FeedView.as_view(), name="national-feed"),
    path("reconciliation", ReconciliationView.as_view(), name="national-reconciliation"),
]
