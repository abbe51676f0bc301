"""SMS rating API: invitations (business systems) and inbound replies (the SMS gateway)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.exceptions import problem_response
from api.permissions import require
from api.schema import ProblemSerializer
from tenants.accounts.roles import Perm
from tenants.assisted.models import SmsOutcome
from tenants.assisted.services.sms import sms_inbound_receive, sms_invitation_send
from tenants.assisted.sms_providers import SmsSendError
from tenants.privacy.crypto import decrypt
from tenants.privacy.masking import mask_phone
from themes.services import theme_for_tenant


class SmsInvitationCreateSerializer(serializers.Serializer):
    transaction = serializers.CharField(max_length=64, help_text="Transaction number (办件编号)")
    phone = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        help_text="Mobile number to invite; defaults to the applicant's phone on the transaction.",
    )


class SmsInvitationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    transaction = serializers.CharField()
    phone = serializers.CharField(help_text="Masked")
    text = serializers.CharField()
    sent_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class SmsInboundSerializer(serializers.Serializer):
    message_id = serializers.CharField(
        max_length=100, help_text="The gateway's id of the message (de-duplication)"
    )
    phone = serializers.CharField(max_length=20, help_text="Sender's mobile number, with or without +86")
    text = serializers.CharField(max_length=1000, allow_blank=True, trim_whitespace=False)
    received_at = serializers.DateTimeField(
        required=False, help_text="When the gateway received it; default now"
    )


class SmsInboundResultSerializer(serializers.Serializer):
    message_id = serializers.CharField()
    outcome = serializers.ChoiceField(choices=SmsOutcome.values)
    duplicate = serializers.BooleanField(help_text="True when this message id was handled before")
    reply = serializers.CharField(allow_blank=True, help_text="The answer to the sender")
    reply_sent = serializers.BooleanField(help_text="True when the answer was handed to the SMS provider now")
    transaction = serializers.CharField(allow_null=True)
    evaluation_id = serializers.IntegerField(allow_null=True)


class SmsInvitationCreateView(APIView):
    """Invite an applicant to rate a transaction by SMS reply ("回复1-5"). The message goes out through the
    configured SMS provider; 502 when the provider refuses it (nothing is recorded then)."""

    permission_classes = [require(Perm.REGISTER_TRANSACTIONS)]

    @extend_schema(
        request=SmsInvitationCreateSerializer,
        responses={
            201: SmsInvitationSerializer,
            (502, "application/problem+json"): OpenApiResponse(
                ProblemSerializer, description="The SMS provider refused the message; nothing was recorded."
            ),
        },
        operation_id="sms_invitations_create",
    )
    def post(self, request):
        data = SmsInvitationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            invitation = sms_invitation_send(
                actor=request.user.actor,
                transaction_number=data.validated_data["transaction"],
                phone=data.validated_data.get("phone", ""),
                sender=theme_for_tenant(request.tenant).display_name,
            )
        except SmsSendError as exc:
            return problem_response(
                status_code=status.HTTP_502_BAD_GATEWAY,
                title="SMS provider refused the message",
                detail=str(exc),
                code="sms_provider",
            )
        body = {
            "id": invitation.pk,
            "transaction": invitation.transaction.number,
            "phone": mask_phone(decrypt(invitation.phone)),
            "text": invitation.text,
            "sent_at": invitation.sent_at,
            "expires_at": invitation.expires_at,
        }
        return Response(SmsInvitationSerializer(body).data, status=status.HTTP_201_CREATED)


class SmsInboundView(APIView):
    """A message the SMS gateway received. Answers 200 with the outcome and the reply for every message it
    could handle (a reply it could not read included: the gateway must not retry those); a replayed
    message id changes nothing and returns the first outcome with duplicate=true.

    Replies understood: a level 1 (best) … 5 (worst) as a digit (full-width too) or a scale word (很好 … 很差,
    非常满意 … 非常不满意); then reason numbers, counted from 1 in the order the invitation printed them (the
    tenant's active reason tags by position, snapshotted when the invitation was sent): "2 3 5", "4，2";
    then, after a separator, free text kept as the comment. A reply answers the newest open invitation of
    the phone; a second reply revises the rating.

    For the gateway's key only: role sms_gateway (relays replies only, on every plan), or integration."""

    permission_classes = [require(Perm.RELAY_SMS)]

    @extend_schema(
        request=SmsInboundSerializer,
        responses={200: SmsInboundResultSerializer},
        operation_id="sms_inbound_create",
    )
    def post(self, request):
        data = SmsInboundSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        result = sms_inbound_receive(
            actor=request.user.actor,
            phone=v["phone"],
            text=v["text"],
            gateway_message_id=v["message_id"],
            received_at=v.get("received_at"),
        )
        inbound = result.inbound
        body = {
            "message_id": inbound.gateway_message_id,
            "outcome": inbound.outcome,
            "duplicate": result.duplicate,
            "reply": inbound.reply,
            "reply_sent": result.reply_sent,
            "transaction": inbound.invitation.transaction.number if inbound.invitation else None,
            "evaluation_id": inbound.evaluation_id,
        }
        return Response(SmsInboundResultSerializer(body).data)
