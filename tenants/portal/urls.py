"""/portal/: public, no sign-in, no personal data."""

from django.urls import path

from tenants.portal import views

urlpatterns = [
    path("", views.home, name="portal-home"),
    path("results/", views.results, name="portal-results"),
    path("rankings/", views.rankings, name="portal-rankings"),
    path("bad-reviews/", views.bad_reviews, name="portal-bad-reviews"),
    path("reports/", views.reports, name="portal-reports"),
    path("reports/<int:pk>.pdf", views.report_pdf, name="portal-report-pdf"),
]
