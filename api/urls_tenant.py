from django.urls import path

from api.views.api_keys import ApiKeyListCreateView, ApiKeyRevokeView
from api.views.common import MeView

urlpatterns = [
    path("me", MeView.as_view(), name="api-me"),
    path("api-keys", ApiKeyListCreateView.as_view(), name="api-keys"),
    path("api-keys/<int:pk>/revoke", ApiKeyRevokeView.as_view(), name="api-key-revoke"),
]
