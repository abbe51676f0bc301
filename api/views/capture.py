"""Evaluation capture API: ratings (single and bulk), transactions, and the reads integrators need."""

import json
import threading
import time

from django.core.exceptions import ValidationError as DomainValidationError
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import KEYWORD, ApiKeyPrincipal
from api.intake_parse import rating_from_json
from api.permissions import require
from api.serializers_capture import (
    BULK_MAX_ITEMS,
    BulkEvaluationItemSerializer,
    BulkEvaluationSerializer,
    BulkItemResultSerializer,
    BulkResultSerializer,
    EvaluationCreatedSerializer,
    EvaluationCreateSerializer,
    ItemSerializer,
    StaffSerializer,
    TransactionCreateSerializer,
    TransactionSerializer,
    UnitSerializer,
)
from tenants.accounts.roles import Perm, Role, has_permission
from tenants.accounts.services import api_key_authenticate
from tenants.cases.selectors import case_ids_for_evaluations
from tenants.catalog.models import ServiceItem
from tenants.evaluations.models import SCALE_WORDS, Transaction
from tenants.evaluations.selectors import intake_config
from tenants.evaluations.services import (
    EvaluationInput,
    TransactionInput,
    evaluation_submit,
    evaluations_submit,
    transaction_register,
    transactions_register,
)
from tenants.organisation.models import Device, Staff, Unit

DEVICE_CACHE_SECONDS = 5.0  # as the key itself (tenants.accounts.services.KEY_CACHE_SECONDS)
_device_cache: dict[tuple[str, int], tuple[float, Device | None]] = {}


def _device_of(request) -> Device | None:
    """The rating device bound to the calling key (with its window and hall), if it is a device key."""
    return _device_of_key(getattr(request.user, "api_key", None))


def _device_of_key(api_key) -> Device | None:
    if api_key is None or api_key.role != Role.DEVICE:
        return None
    cache_key = (connection.schema_name, api_key.pk)
    cached = _device_cache.get(cache_key)
    if cached is not None and time.monotonic() - cached[0] < DEVICE_CACHE_SECONDS:
        return cached[1]
    device = Device.objects.select_related("window__parent").filter(api_key=api_key).first()
    if len(_device_cache) > 10_000:
        _device_cache.clear()
    _device_cache[cache_key] = (time.monotonic(), device)
    return device


def _created_body(evaluation, supersedes, transaction_number: str, case_id: int | None = None) -> dict:
    words = SCALE_WORDS[intake_config().scale]
    return {
        "id": evaluation.pk,
        "transaction": transaction_number,
        "stage": evaluation.stage,
        "revision": evaluation.revision,
        "supersedes": supersedes,
        "level": evaluation.level,
        "level_word": words[evaluation.level - 1],
        "is_bad": evaluation.is_bad,
        "is_supplementary": evaluation.is_supplementary,
        "case_id": case_id,
        "rated_at": evaluation.rated_at,
    }


_RATED_AT = serializers.DateTimeField()  # as EvaluationCreatedSerializer writes it
QUICK_MAX_BODY_BYTES = 16 * 1024  # a plain rating is a few hundred bytes; anything bigger takes DRF's path


class EvaluationCreateView(APIView):
    """Accept one rating. 201 is sent only after the row is committed.

    Most ratings are a machine key posting a plain, valid rating; `_quick` serves those without DRF's request
    wrapping, content negotiation and serializers (they cost more than storing the rating) — same key check,
    permission, throttle, parsing (api.intake_parse), service and response body. Whatever it does not take
    completely (no key, another content type, a body the quick reader does not accept, a refused rating) goes
    through DRF as before, which words every error; nothing is written before it hands over."""

    permission_classes = [require(Perm.SUBMIT_EVALUATIONS)]

    def dispatch(self, request, *args, **kwargs):
        response = self._quick(request) if request.method == "POST" else None
        return response if response is not None else super().dispatch(request, *args, **kwargs)

    def _quick(self, request) -> HttpResponse | None:
        header = request.headers.get("Authorization", "")
        length = request.META.get("CONTENT_LENGTH", "")
        accept = request.META.get("HTTP_ACCEPT", "*/*")
        if (
            not header.startswith(KEYWORD + " ")
            or request.content_type != "application/json"
            or not (length.isdigit() and int(length) <= QUICK_MAX_BODY_BYTES)
            or not ("json" in accept or "*/*" in accept)
        ):
            return None
        key = api_key_authenticate(header[len(KEYWORD) + 1 :].strip())
        if key is None or not has_permission(key.role, Perm.SUBMIT_EVALUATIONS):
            return None
        request.user = principal = ApiKeyPrincipal(api_key=key)
        if not all(throttle().allow_request(request, self) for throttle in self.throttle_classes):
            return None  # DRF's path answers 429 (this request is counted twice: it is over the limit anyway)
        try:
            data = rating_from_json(json.loads(request.body), keyed=False)
        except ValueError:
            return None
        if data is None:
            return None
        try:
            result = evaluation_submit(actor=principal.actor, data=data, device=_device_of_key(key))
        except DomainValidationError:
            return None  # refused before anything was written; DRF's path words the problem
        body = _created_result_body(result, data)
        body["rated_at"] = _RATED_AT.to_representation(body["rated_at"])  # all else is plain values already
        return HttpResponse(
            json.dumps(body, ensure_ascii=False, separators=(",", ":")),
            status=status.HTTP_201_CREATED,
            content_type="application/json",
        )

    @extend_schema(
        request=EvaluationCreateSerializer,
        responses={201: EvaluationCreatedSerializer},
        operation_id="evaluations_create",
    )
    def post(self, request):
        single = _serializers()
        data = rating_from_json(request.data, keyed=False)
        if data is None:
            data = EvaluationInput(**single.create_in.run_validation(request.data))
        result = evaluation_submit(actor=request.user.actor, data=data, device=_device_of(request))
        body = _created_result_body(result, data)
        return Response(single.created_out.to_representation(body), status=status.HTTP_201_CREATED)


def _created_result_body(result, data) -> dict:
    case_id = result.case_id
    if not result.created and case_id is None:  # a retry: the case the first submission opened
        case_id = case_ids_for_evaluations([result.evaluation]).get(result.evaluation.pk)
    return _created_body(result.evaluation, result.supersedes, data.transaction, case_id)


_per_thread = threading.local()


def _serializers():
    """Serializers without per-request state, built once per thread: building one deep-copies all its fields,
    which costs more than validating a rating."""
    if not hasattr(_per_thread, "create_in"):
        _per_thread.create_in = EvaluationCreateSerializer()
        _per_thread.created_out = EvaluationCreatedSerializer()
    return _per_thread


class EvaluationBulkView(APIView):
    """Up to 1,000 ratings (offline devices, back-fills). Each item carries its own idempotency key; a retry of
    the same batch creates nothing twice. Each item's outcome is reported; valid items go in even when others
    are refused."""

    permission_classes = [require(Perm.SUBMIT_EVALUATIONS)]

    @extend_schema(
        request=BulkEvaluationSerializer,
        responses={200: BulkResultSerializer},
        operation_id="evaluations_bulk",
    )
    def post(self, request):
        raw_items = _bulk_items(request.data)
        parsed, results = [], [None] * len(raw_items)
        # One serializer for every item: building one copies all its fields, which costs more than validating.
        item = BulkEvaluationItemSerializer()
        for index, raw in enumerate(raw_items):
            quick = rating_from_json(raw)
            if quick is not None:
                parsed.append((index, quick))
                continue
            try:
                parsed.append((index, EvaluationInput(**item.run_validation(raw))))
            except ValidationError as exc:
                results[index] = {
                    "index": index,
                    "idempotency_key": raw.get("idempotency_key"),
                    "status": "error",
                    "id": None,
                    "errors": _field_errors(exc.detail),
                }
        outcomes = evaluations_submit(
            actor=request.user.actor, items=[data for _i, data in parsed], device=_device_of(request)
        )
        retried = case_ids_for_evaluations([o.evaluation for o in outcomes if o.status == "duplicate"])
        for (index, data), outcome in zip(parsed, outcomes, strict=True):
            evaluation_id = outcome.evaluation.pk if outcome.evaluation is not None else None
            results[index] = {
                "index": index,
                "idempotency_key": data.idempotency_key,
                "status": outcome.status,
                "id": evaluation_id,
                "case_id": outcome.case_id or retried.get(evaluation_id),
                **({"errors": _field_errors(outcome.errors)} if outcome.errors else {}),
            }
        counts = {s: sum(r["status"] == s for r in results) for s in ("created", "duplicate", "error")}
        body = {
            "created": counts["created"],
            "duplicates": counts["duplicate"],
            "errors": counts["error"],
            "results": results,
        }
        return Response(body)  # plain values already; BulkResultSerializer documents the shape


def _bulk_items(data) -> list:
    """The batch's items; the envelope serializer words the error when the shape is wrong (its DictField
    copies every item, so a well-formed batch skips it)."""
    items = data.get("items") if isinstance(data, dict) else None
    if type(items) is list and 1 <= len(items) <= BULK_MAX_ITEMS and all(type(i) is dict for i in items):
        return items
    envelope = BulkEvaluationSerializer(data=data)
    envelope.is_valid(raise_exception=True)
    return envelope.validated_data["items"]


def _field_errors(errors: dict) -> list[dict]:
    from api.exceptions import _flatten

    return [{**e, "field": e["field"]} for e in _flatten(errors)]


class TransactionCreateView(APIView):
    """Register a transaction (办件); its deadline is computed on the tenant's working-day calendar."""

    permission_classes = [require(Perm.REGISTER_TRANSACTIONS)]

    @extend_schema(
        request=TransactionCreateSerializer,
        responses={201: TransactionSerializer},
        operation_id="transactions_create",
    )
    def post(self, request):
        data = TransactionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        txn = transaction_register(actor=request.user.actor, data=TransactionInput(**data.validated_data))
        return Response(TransactionSerializer(txn).data, status=status.HTTP_201_CREATED)


class TransactionBulkSerializer(serializers.Serializer):
    items = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=1000)


class TransactionBulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    errors = serializers.IntegerField()
    results = BulkItemResultSerializer(many=True)


class TransactionBulkView(APIView):
    """Back-fill up to 1,000 transactions; an already registered number is reported as a duplicate."""

    permission_classes = [require(Perm.REGISTER_TRANSACTIONS)]

    @extend_schema(
        request=TransactionBulkSerializer,
        responses={200: TransactionBulkResultSerializer},
        operation_id="transactions_bulk",
    )
    def post(self, request):
        envelope = TransactionBulkSerializer(data=request.data)
        envelope.is_valid(raise_exception=True)
        results, parsed = [], []
        for index, raw in enumerate(envelope.validated_data["items"]):
            item = TransactionCreateSerializer(data=raw)
            if item.is_valid():
                parsed.append((index, TransactionInput(**item.validated_data)))
            else:
                results.append(
                    {
                        "index": index,
                        "idempotency_key": raw.get("number"),
                        "status": "error",
                        "id": None,
                        "errors": _field_errors(item.errors),
                    }
                )
        outcomes = transactions_register(actor=request.user.actor, items=[data for _i, data in parsed])
        for (index, data), (status_, value) in zip(parsed, outcomes, strict=True):
            results.append(
                {
                    "index": index,
                    "idempotency_key": data.number,
                    "status": status_,
                    "id": value.pk if status_ != "error" else None,
                    **({"errors": _field_errors(value)} if status_ == "error" else {}),
                }
            )
        results.sort(key=lambda r: r["index"])
        body = {
            "created": sum(r["status"] == "created" for r in results),
            "duplicates": sum(r["status"] == "duplicate" for r in results),
            "errors": sum(r["status"] == "error" for r in results),
            "results": results,
        }
        return Response(TransactionBulkResultSerializer(body).data)


class TransactionDetailView(APIView):
    permission_classes = [require(Perm.READ_CATALOG)]

    @extend_schema(responses=TransactionSerializer, operation_id="transactions_retrieve")
    def get(self, request, number: str):
        txn = get_object_or_404(
            Transaction.objects.select_related(
                "item", "guide_version", "unit", "window", "staff", "platform"
            ),
            number=number,
        )
        return Response(TransactionSerializer(txn).data)


_CODE_FILTER = [OpenApiParameter("code", str, description="Exact code (repeat for several)", many=True)]


class _CodeFilteredList(generics.ListAPIView):
    permission_classes = [require(Perm.READ_CATALOG)]
    code_field = "code"

    def get_queryset(self):
        queryset = super().get_queryset()
        codes = self.request.query_params.getlist("code")
        if any(len(c) > 64 for c in codes) or len(codes) > 100:
            raise ValidationError({"code": ["Give at most 100 codes of at most 64 characters."]})
        return queryset.filter(**{f"{self.code_field}__in": codes}) if codes else queryset


@extend_schema(parameters=_CODE_FILTER)
class ItemListView(_CodeFilteredList):
    """Service items with their published guide version."""

    serializer_class = ItemSerializer
    queryset = ServiceItem.objects.select_related("current_guide").exclude(status="draft")


@extend_schema(parameters=_CODE_FILTER)
class UnitListView(_CodeFilteredList):
    """The organisation tree: units with their parent, including halls and windows."""

    serializer_class = UnitSerializer
    queryset = Unit.objects.select_related("parent").filter(active=True)


@extend_schema(parameters=_CODE_FILTER)
class StaffListView(_CodeFilteredList):
    """Staff: 工号, name and unit, nothing more."""

    serializer_class = StaffSerializer
    queryset = Staff.objects.select_related("unit").filter(active=True)
    code_field = "staff_no"
