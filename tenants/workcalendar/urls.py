from django.urls import path

from tenants.workcalendar import views

urlpatterns = [
    path("", views.calendar_page, name="workcalendar"),
    path("overrides/", views.override_add, name="workcalendar-override-add"),
    path("overrides/<str:day>/delete", views.override_delete, name="workcalendar-override-delete"),
]
