"""Insight API: the DOMAIN.md §10 indicators for a period, from the rollups (for integrators and portals)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import require
from tenants.accounts.roles import Perm
from tenants.insight.forms import ScopeForm
from tenants.insight.selectors import INDICATORS, indicators


class IndicatorSerializer(serializers.Serializer):
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField()
    value = serializers.FloatField(allow_null=True, help_text="numerator ÷ denominator; null when it is 0")


IndicatorsSerializer = type(
    "IndicatorsSerializer", (serializers.Serializer,), {key: IndicatorSerializer() for key in INDICATORS}
)


def _scope_from(request):
    form = ScopeForm(request.query_params, dates_required=True)
    if not form.is_valid():
        raise ValidationError({name: [str(m) for m in messages] for name, messages in form.errors.items()})
    return form.scope()


class IndicatorsView(APIView):
    """Every indicator keyed by id, each with numerator, denominator and value. Excluded ratings never count;
    figures follow writes within seconds (rollups)."""

    permission_classes = [require(Perm.READ_INDICATORS)]

    @extend_schema(
        operation_id="indicators",
        parameters=[
            OpenApiParameter("from", str, required=True, description="first day, YYYY-MM-DD (local date)"),
            OpenApiParameter("to", str, required=True, description="last day, YYYY-MM-DD, included"),
            OpenApiParameter("unit", str, description="unit code: the unit and everything below it"),
            OpenApiParameter("item", str, description="service item code"),
            OpenApiParameter("channel", str, description="rating channel"),
        ],
        responses=IndicatorsSerializer,
    )
    def get(self, request):
        figures = indicators(_scope_from(request))
        return Response(IndicatorsSerializer(figures).data)
