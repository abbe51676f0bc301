"""Citizen-facing URLs at the root of a tenant's host. Short paths keep the QR codes small."""

from django.urls import path

from tenants.channels import views

urlpatterns = [
    path("device/", views.device_page, name="channels-device"),
    path("device/setup", views.device_setup, name="channels-device-setup"),
    path("device/sw.js", views.device_service_worker, name="channels-device-sw"),
    path("q/<str:token>/", views.window_rate, name="channels-window-rate"),
    path("r/<str:token>/", views.transaction_rate, name="channels-transaction-rate"),
    path("widget.js", views.widget_js, name="channels-widget-js"),
    path("channels/windows/", views.poster_list, name="channels-posters"),
    path(
        "channels/windows/<int:pk>/poster.<str:fmt>",
        views.poster_download,
        name="channels-poster",
    ),
]
