from django.urls import path

from tenants.evaluations import views_staff

urlpatterns = [
    path("", views_staff.evaluation_index, name="evaluations"),
    path("export.csv", views_staff.evaluation_export, name="evaluations-export"),
    path("<int:pk>/reveal", views_staff.evaluation_reveal, name="evaluation-reveal"),
]
