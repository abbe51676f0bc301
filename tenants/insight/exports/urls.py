from django.urls import path

from tenants.insight.exports import views

urlpatterns = [
    path("", views.exports_page, name="insight-exports"),
    path("<int:pk>/status", views.export_job_status, name="insight-export-status"),
    path("<int:pk>/download", views.export_job_download, name="insight-export-download"),
]
