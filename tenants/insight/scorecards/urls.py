"""Scorecards and rankings at /insight/scorecards/ on a tenant's host."""

from django.urls import path

from tenants.insight.scorecards import views

urlpatterns = [
    path("", views.rankings_page, name="scorecards"),
    path("candidates/", views.candidates_page, name="scorecards-candidates"),
    path("warnings/", views.warnings_page, name="scorecards-warnings"),
    path("staff/<int:pk>/", views.staff_page, name="scorecards-staff"),
    path("window/<int:pk>/", views.window_page, name="scorecards-window"),
]
