"""Case pages (差评整改) at /cases/ on a tenant's host."""

from django.urls import path

from tenants.cases.views import boards, cases

urlpatterns = [
    path("", cases.case_list, name="cases"),
    path("overdue/", boards.overdue_board, name="cases-overdue"),
    path("spot-checks/", boards.spot_checks, name="cases-spot-checks"),
    path("<int:pk>/", cases.case_view, name="cases-detail"),
    path("<int:pk>/reveal", cases.case_reveal, name="cases-reveal"),
    path("<int:pk>/act/<slug:action>", cases.case_act, name="cases-action"),
]
