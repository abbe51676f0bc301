"""Channel endpoints: device info, one-time transaction QR codes, the widget's cross-origin submit."""

from django.urls import path

from api.views import channels

urlpatterns = [
    path("device", channels.DeviceInfoView.as_view(), name="api-device"),
    path("transactions/<str:number>/qr", channels.TransactionQrView.as_view(), name="api-transaction-qr"),
    path(
        "transactions/<str:number>/qr.<str:fmt>",
        channels.TransactionQrImageView.as_view(),
        name="api-transaction-qr-image",
    ),
    path("widget/evaluations", channels.widget_evaluations, name="api-widget-evaluations"),
]
