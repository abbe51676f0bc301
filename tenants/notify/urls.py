from django.urls import path

from tenants.notify import views

urlpatterns = [
    path("", views.notification_list, name="notify-list"),
    path("<int:pk>/retry", views.notification_retry_view, name="notify-retry"),
]
