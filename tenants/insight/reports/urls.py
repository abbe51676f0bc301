from django.urls import path

from tenants.insight.reports import views

urlpatterns = [
    path("", views.report_list, name="insight-reports"),
    path("new", views.report_new, name="insight-report-new"),
    path("schedules/", views.schedules, name="insight-report-schedules"),
    path("schedules/<int:pk>", views.schedule_change, name="insight-report-schedule-change"),
    path("<int:pk>/progress", views.report_progress, name="insight-report-progress"),
    path("<int:pk>/publish", views.report_publish_view, name="insight-report-publish"),
    path("<int:pk>/pdf", views.report_download, {"fmt": "pdf"}, name="insight-report-pdf"),
    path("<int:pk>/xlsx", views.report_download, {"fmt": "xlsx"}, name="insight-report-xlsx"),
]
