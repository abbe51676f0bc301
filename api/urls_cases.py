"""Case endpoints (差评整改) under /api/v1/: list, detail, one POST per transition;
GET …/verify recomputes the case's hash chain (POST …/verify is the verification transition)."""

from django.urls import path

from api.views import cases

urlpatterns = [
    path("cases", cases.CaseListView.as_view(), name="api-cases"),
    path("cases/<int:pk>", cases.CaseDetailView.as_view(), name="api-case"),
    path("cases/<int:pk>/verify", cases.VerifyView.as_view(), name="api-case-verify"),
    path("cases/<int:pk>/assign", cases.AssignView.as_view(), name="api-case-assign"),
    path("cases/<int:pk>/reassign", cases.ReassignView.as_view(), name="api-case-reassign"),
    path("cases/<int:pk>/contact", cases.ContactView.as_view(), name="api-case-contact"),
    path("cases/<int:pk>/resolve", cases.ResolveView.as_view(), name="api-case-resolve"),
    path(
        "cases/<int:pk>/milestones/<int:milestone>/done",
        cases.MilestoneDoneView.as_view(),
        name="api-case-milestone-done",
    ),
    path(
        "cases/<int:pk>/complete-ledger", cases.CompleteLedgerView.as_view(), name="api-case-complete-ledger"
    ),
    path(
        "cases/<int:pk>/confirm-not-adopted",
        cases.ConfirmNotAdoptedView.as_view(),
        name="api-case-confirm-not-adopted",
    ),
    path("cases/<int:pk>/feedback", cases.FeedbackView.as_view(), name="api-case-feedback"),
    path("cases/<int:pk>/opinion", cases.OpinionView.as_view(), name="api-case-opinion"),
    path("cases/<int:pk>/close", cases.CloseView.as_view(), name="api-case-close"),
    path("cases/<int:pk>/reopen", cases.ReopenView.as_view(), name="api-case-reopen"),
    path("cases/<int:pk>/spot-check", cases.SpotCheckView.as_view(), name="api-case-spot-check"),
]
