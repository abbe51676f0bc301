"""Catalogue API: an item's published guide versions (办事指南), for portals and apps that show the guide."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import require
from tenants.accounts.roles import Perm
from tenants.catalog.models import ServiceItem


class GuideVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    in_force = serializers.BooleanField()
    published_at = serializers.DateTimeField()
    accepting_unit = serializers.CharField()
    channels = serializers.ListField(child=serializers.CharField())
    conditions = serializers.CharField()
    materials = serializers.ListField(child=serializers.CharField())
    steps = serializers.ListField(child=serializers.CharField())
    time_limit_days = serializers.IntegerField()
    promise_type = serializers.CharField()
    fee_basis = serializers.CharField()
    fee_standard = serializers.CharField()
    evaluation_channels = serializers.ListField(child=serializers.CharField())


class ItemGuidesSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    status = serializers.CharField()
    versions = GuideVersionSerializer(many=True)


class ItemGuidesView(APIView):
    """Published versions of an item's guide, newest first; `in_force` marks the one new ratings record.
    Drafts are internal and never shown here."""

    permission_classes = [require(Perm.READ_CATALOG)]

    @extend_schema(responses=ItemGuidesSerializer, operation_id="items_guides")
    def get(self, request, code: str):
        item = get_object_or_404(ServiceItem.objects.exclude(status="draft"), code=code)
        versions = item.guides.filter(published_at__isnull=False).order_by("-version")
        for guide in versions:
            guide.in_force = guide.pk == item.current_guide_id
        return Response(
            ItemGuidesSerializer(
                {"code": item.code, "name": item.name, "status": item.status, "versions": versions}
            ).data
        )
