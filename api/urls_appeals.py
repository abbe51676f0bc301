"""Appeal endpoints (申诉复核) under /api/v1/."""

from django.urls import path

from api.views import appeals

urlpatterns = [
    path("appeals", appeals.AppealListCreateView.as_view(), name="api-appeals"),
    path("appeals/<int:pk>/decision", appeals.AppealDecisionView.as_view(), name="api-appeal-decision"),
]
