from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api.permissions import require
from api.serializers import TenantCreatedSerializer, TenantCreateSerializer, TenantSerializer
from tenants.accounts.roles import Perm
from tenants.models import Tenant
from tenants.services import tenant_provision


class TenantListCreateView(generics.ListAPIView):
    """Tenants in the registry (national staff)."""

    permission_classes = [require(Perm.MANAGE_TENANTS)]
    serializer_class = TenantSerializer
    queryset = Tenant.objects.exclude(schema_name="public").select_related("parent")

    @extend_schema(
        request=TenantCreateSerializer,
        responses={201: TenantCreatedSerializer, 200: TenantCreatedSerializer},
        operation_id="tenants_provision",
    )
    def post(self, request):
        data = TenantCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        parent_slug = values.pop("parent", None)
        parent = None
        if parent_slug:
            parent = Tenant.objects.exclude(schema_name="public").filter(slug=parent_slug).first()
            if parent is None:
                raise ValidationError({"parent": [f"No tenant with slug “{parent_slug}”."]})
        result = tenant_provision(actor=request.user.actor, parent=parent, **values)
        result.tenant.admin_email, result.tenant.admin_password = result.admin_email, result.admin_password
        return Response(
            TenantCreatedSerializer(result.tenant).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


class TenantDetailView(generics.RetrieveAPIView):
    permission_classes = [require(Perm.MANAGE_TENANTS)]
    serializer_class = TenantSerializer

    def get_object(self):
        return get_object_or_404(Tenant.objects.exclude(schema_name="public"), slug=self.kwargs["slug"])
