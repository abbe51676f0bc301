"""SMS rating endpoints under /api/v1/ (tenant hosts)."""

from django.urls import path

from api.views.assisted import SmsInboundView, SmsInvitationCreateView

urlpatterns = [
    path("sms/invitations", SmsInvitationCreateView.as_view(), name="api-sms-invitations"),
    path("sms/inbound", SmsInboundView.as_view(), name="api-sms-inbound"),
]
