from django.urls import include, path

from api.views import capture
from api.views.api_keys import ApiKeyListCreateView, ApiKeyRevokeView
from api.views.common import MeView
from api.views.insight import IndicatorsView

urlpatterns = [
    path("me", MeView.as_view(), name="api-me"),
    path("api-keys", ApiKeyListCreateView.as_view(), name="api-keys"),
    path("api-keys/<int:pk>/revoke", ApiKeyRevokeView.as_view(), name="api-key-revoke"),
    path("evaluations", capture.EvaluationCreateView.as_view(), name="api-evaluations"),
    path("evaluations/bulk", capture.EvaluationBulkView.as_view(), name="api-evaluations-bulk"),
    path("transactions", capture.TransactionCreateView.as_view(), name="api-transactions"),
    path("transactions/bulk", capture.TransactionBulkView.as_view(), name="api-transactions-bulk"),
    path("transactions/<str:number>", capture.TransactionDetailView.as_view(), name="api-transaction"),
    path("items", capture.ItemListView.as_view(), name="api-items"),
    path("units", capture.UnitListView.as_view(), name="api-units"),
    path("staff", capture.StaffListView.as_view(), name="api-staff"),
    path("indicators", IndicatorsView.as_view(), name="api-indicators"),
    path("", include("api.urls_catalog")),
    path("", include("api.urls_channels")),
    path("", include("api.urls_assisted")),
    path("", include("api.urls_supervision")),
    path("", include("api.urls_appeals")),
    path("", include("api.urls_cases")),
]
