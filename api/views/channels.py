"""API for the rating channels: what a window device shows, one-time QR codes for window systems, and the
cross-origin submit endpoint of the embeddable widget.

Decisions (see also tenants/channels):
- `GET /device` and `POST /widget/evaluations` accept API keys only (no session): a window clerk's signed-in
  browser can never rate through the device page or the widget, whatever it sends.
- The per-transaction QR is a GET (the token is signed, not stored: issuing changes nothing) open to keys
  that register transactions or submit ratings, so a window system can print it on the receipt and a device
  can show it on screen. `/qr` answers JSON (the link and its expiry), `/qr.svg` and `/qr.png` the image.
- CORS is answered here, for the widget endpoint only, by a small decorator (no global middleware): any
  origin, no credentials, the key travels in the Authorization header.
"""

import functools
import hashlib
from datetime import timedelta

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import ApiKeyAuthentication
from api.exceptions import PROBLEM_CONTENT_TYPE
from api.permissions import require
from api.schema import ProblemSerializer
from tenants.accounts.roles import Perm, has_permission
from tenants.channels import qr
from tenants.channels.selectors import device_for_api_key, rating_options
from tenants.channels.tokens import transaction_token
from tenants.evaluations.models import SCALE_WORDS, Channel, Stage, Transaction
from tenants.evaluations.selectors import intake_config
from tenants.evaluations.services import EvaluationInput, evaluation_submit
from themes.services import theme_for_tenant


# --- device info -------------------------------------------------------------------------------------------
class _CodeName(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class _LevelSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    word = serializers.CharField()
    is_bad = serializers.BooleanField()


class _TagSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class DeviceInfoSerializer(serializers.Serializer):
    tenant = inline_serializer("DeviceTenant", {"name": serializers.CharField()})
    device = _CodeName()
    window = _CodeName()
    hall = _CodeName(allow_null=True)
    scale = serializers.CharField(help_text="good_bad or satisfaction")
    levels = _LevelSerializer(many=True, help_text="Best first; levels 4–5 are bad reviews.")
    reason_tags = _TagSerializer(many=True, help_text="Active bad-review reasons; a bad review needs one.")


def _code_name(obj) -> dict | None:
    return {"code": obj.code, "name": obj.name} if obj is not None else None


class DeviceInfoView(APIView):
    """What a window's rating device shows: its window and hall, the tenant's scale words and reasons."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [require(Perm.SUBMIT_EVALUATIONS)]

    @extend_schema(
        responses={
            200: DeviceInfoSerializer,
            (404, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                ProblemSerializer, description="No device behind the key"
            ),
        },
        operation_id="device_retrieve",
    )
    def get(self, request):
        device = device_for_api_key(request.user.api_key)
        if device is None:
            raise NotFound("No rating device is bound to this key.")
        options = rating_options()
        body = {
            "tenant": {"name": theme_for_tenant(getattr(request, "tenant", None)).display_name},
            "device": _code_name(device),
            "window": _code_name(device.window),
            "hall": _code_name(device.window.parent),
            "scale": options.scale,
            "levels": [{"level": lv.level, "word": lv.word, "is_bad": lv.is_bad} for lv in options.levels],
            "reason_tags": [{"code": t.code, "label": t.label} for t in options.tags],
        }
        return Response(DeviceInfoSerializer(body).data)


# --- per-transaction QR ----------------------------------------------------------------------------------
def require_any(*perms: str) -> type[BasePermission]:
    class AnyRolePermission(BasePermission):
        message = f"Your role lacks one of the permissions {', '.join(perms)}."

        def has_permission(self, request, view) -> bool:
            user = request.user
            role = getattr(user, "role", None)
            return bool(user and user.is_authenticated and any(has_permission(role, p) for p in perms))

    AnyRolePermission.__name__ = f"RequireAny[{','.join(perms)}]"
    return AnyRolePermission


class TransactionQrSerializer(serializers.Serializer):
    transaction = serializers.CharField()
    url = serializers.URLField(help_text="The one-time rating link the QR code holds.")
    expires_at = serializers.DateTimeField(help_text="After this the link shows 'rating period ended'.")
    svg = serializers.URLField()
    png = serializers.URLField()


QR_IMAGE_TYPES = {"svg": "image/svg+xml", "png": "image/png"}


class TransactionQrView(APIView):
    """A one-time rating QR for a registered transaction: one rating, within the supplementary period."""

    permission_classes = [require_any(Perm.REGISTER_TRANSACTIONS, Perm.SUBMIT_EVALUATIONS)]

    def _link(self, request, number: str) -> tuple[Transaction, str, object]:
        txn = get_object_or_404(Transaction.objects.only("number", "finished_at"), number=number)
        token = transaction_token(txn.number)
        url = request.build_absolute_uri(reverse("channels-transaction-rate", args=[token]))
        days = rating_options().supplementary_days
        expires = timezone.now() + timedelta(days=max(days, 1))
        if txn.finished_at is not None:
            expires = min(expires, txn.finished_at + timedelta(days=days))
        return txn, url, expires

    @extend_schema(responses={200: TransactionQrSerializer}, operation_id="transactions_qr_retrieve")
    def get(self, request, number: str):
        txn, url, expires = self._link(request, number)
        body = {
            "transaction": txn.number,
            "url": url,
            "expires_at": expires,
            "svg": request.build_absolute_uri(reverse("api-transaction-qr-image", args=[number, "svg"])),
            "png": request.build_absolute_uri(reverse("api-transaction-qr-image", args=[number, "png"])),
        }
        return Response(TransactionQrSerializer(body).data)


class TransactionQrImageView(TransactionQrView):
    @extend_schema(
        responses={
            (200, "image/svg+xml"): OpenApiResponse(OpenApiTypes.BINARY, description="SVG (fmt=svg)"),
            (200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description="PNG (fmt=png)"),
        },
        operation_id="transactions_qr_image",
    )
    def get(self, request, number: str, fmt: str):
        if fmt not in QR_IMAGE_TYPES:
            raise NotFound("Use qr.svg or qr.png.")
        txn, url, _expires = self._link(request, number)
        body = qr.qr_svg(url, title=txn.number) if fmt == "svg" else qr.qr_png(url)
        response = HttpResponse(body, content_type=QR_IMAGE_TYPES[fmt])
        response["Cache-Control"] = "private, no-store"
        return response


# --- the widget's cross-origin submit ----------------------------------------------------------------------
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, Idempotency-Key",
    "Access-Control-Expose-Headers": "Idempotent-Replayed",
    "Access-Control-Max-Age": "600",
}


def cors(view):
    """Answer the preflight and mark every answer (errors included) readable by any origin. No cookies are
    involved (the widget sends credentials: "omit"), so a wildcard origin is safe."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = HttpResponse(status=204) if request.method == "OPTIONS" else view(request, *args, **kwargs)
        for name, value in CORS_HEADERS.items():
            response[name] = value
        return response

    # For code outside the view that answers on its behalf (the idempotency middleware's replays).
    wrapped.cors_headers = dict(CORS_HEADERS)
    return wrapped


class WidgetEvaluationSerializer(serializers.Serializer):
    transaction = serializers.CharField(max_length=64, help_text="Transaction number (办件编号).")
    level = serializers.IntegerField(min_value=1, max_value=5)
    reason_tags = serializers.ListField(
        child=serializers.CharField(max_length=32), max_length=10, default=list
    )
    comment = serializers.CharField(allow_blank=True, default="", max_length=5000)
    comment_public = serializers.BooleanField(
        default=False, help_text="The evaluator agreed to show the comment on the public portal."
    )
    stage = serializers.ChoiceField(choices=Stage.choices, default=Stage.FINISHED)
    item_code = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    unit_code = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    platform_code = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class WidgetEvaluationResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    transaction = serializers.CharField()
    level = serializers.IntegerField()
    level_word = serializers.CharField()
    is_bad = serializers.BooleanField()
    created = serializers.BooleanField(help_text="False when this Idempotency-Key had already rated.")


def _idempotency_key(request) -> str | None:
    key = (request.headers.get("Idempotency-Key") or "").strip()
    if not key:
        return None
    # Rating keys are at most 100 characters; longer header values are folded, not refused.
    return key if len(key) <= 100 else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


class WidgetEvaluationView(APIView):
    """The widget's rating (channel web), from any origin, with an integration key. Send Idempotency-Key:
    a retry returns the first rating instead of rating twice."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [require(Perm.SUBMIT_EVALUATIONS)]

    @extend_schema(
        request=WidgetEvaluationSerializer,
        responses={201: WidgetEvaluationResultSerializer, 200: WidgetEvaluationResultSerializer},
        operation_id="widget_evaluations_create",
    )
    def post(self, request):
        data = WidgetEvaluationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = evaluation_submit(
            actor=request.user.actor,
            data=EvaluationInput(
                **data.validated_data, channel=Channel.WEB, idempotency_key=_idempotency_key(request)
            ),
        )
        evaluation = result.evaluation
        body = {
            "id": evaluation.pk,
            "transaction": data.validated_data["transaction"],
            "level": evaluation.level,
            "level_word": SCALE_WORDS[intake_config().scale][evaluation.level - 1],
            "is_bad": evaluation.is_bad,
            "created": result.created,
        }
        return Response(
            WidgetEvaluationResultSerializer(body).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


widget_evaluations = cors(WidgetEvaluationView.as_view())
