"""The national feed API (control-plane host, national keys): records after a cursor as NDJSON, and the
per-day reconciliation of a tenant's feed against its own rollups."""

import json
from datetime import date

from control_plane.feed import feed_read, reconciliation
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import require
from tenants.accounts.roles import Perm
from tenants.models import Tenant

FEED_MAX_LIMIT = 10_000


class FeedQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(min_value=0, default=0)
    limit = serializers.IntegerField(min_value=1, max_value=FEED_MAX_LIMIT, default=1000)


def _line(record) -> str:
    tenant = record.tenant
    body = {
        **record.payload,  # first: the record's envelope below always wins over a payload field
        "cursor": record.cursor,
        "kind": record.kind,
        "tenant": tenant.slug,
        "region_code": tenant.region_code,
        "id": record.ref_id,
        "revision": record.revision,
        "day": record.day.isoformat(),
        "occurred_at": record.occurred_at.isoformat(),
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n"


class FeedView(APIView):
    """Records after `after` (a cursor; 0 from the start), oldest first, at most `limit`, one JSON object per
    line (NDJSON). Pass the last line's `cursor` as `after` to continue: no record is skipped or repeated.
    No evaluator identity: a keyed hash where de-duplication needs one."""

    permission_classes = [require(Perm.READ_NATIONAL_FEED)]

    @extend_schema(
        operation_id="national_feed",
        parameters=[
            OpenApiParameter("after", int, description="the last cursor you have (0 to start)"),
            OpenApiParameter(
                "limit", int, description=f"records to return, 1–{FEED_MAX_LIMIT} (default 1000)"
            ),
        ],
        responses={200: OpenApiResponse(OpenApiTypes.STR, description="application/x-ndjson")},
    )
    def get(self, request):
        query = FeedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        records = feed_read(**query.validated_data)
        response = StreamingHttpResponse((_line(r) for r in records), content_type="application/x-ndjson")
        response["X-Feed-Count"] = str(len(records))
        if records:
            response["X-Feed-Last-Cursor"] = str(records[-1].cursor)
        return response


class ReconciliationQuerySerializer(serializers.Serializer):
    tenant = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()

    def to_internal_value(self, data):
        data = {"tenant": data.get("tenant"), "start": data.get("from"), "end": data.get("to")}
        try:
            return super().to_internal_value({k: v for k, v in data.items() if v is not None})
        except ValidationError as exc:
            names = {"start": "from", "end": "to"}
            raise ValidationError({names.get(k, k): v for k, v in exc.detail.items()}) from exc

    def validate(self, attrs):
        if attrs["end"] < attrs["start"]:
            raise ValidationError({"to": ["The end of the period is before its start."]})
        if (attrs["end"] - attrs["start"]).days > 366:
            raise ValidationError({"to": ["At most one year per request."]})
        return attrs


class ReconciliationDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    feed_ratings = serializers.IntegerField(help_text="counted ratings according to the feed's records")
    rollup_ratings = serializers.IntegerField(help_text="counted ratings in the tenant's own rollups")
    missing = serializers.IntegerField(help_text="rollup − feed: 0 when the feed is complete")


class ReconciliationView(APIView):
    """Per day of [from, to]: counted ratings as the feed's evaluation records tell it (latest revision of each
    transaction and stage, exclusions applied) beside the tenant's own rollups; `missing` must be 0."""

    permission_classes = [require(Perm.READ_NATIONAL_FEED)]

    @extend_schema(
        operation_id="national_reconciliation",
        parameters=[
            OpenApiParameter("tenant", str, required=True, description="tenant slug"),
            OpenApiParameter("from", date, required=True),
            OpenApiParameter("to", date, required=True),
        ],
        responses=ReconciliationDaySerializer(many=True),
    )
    def get(self, request):
        query = ReconciliationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        values = query.validated_data
        tenant = get_object_or_404(Tenant.objects.exclude(schema_name="public"), slug=values["tenant"])
        rows = reconciliation(tenant, values["start"], values["end"])
        return Response(ReconciliationDaySerializer(rows, many=True).data)
