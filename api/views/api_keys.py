from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import require
from api.serializers import ApiKeyCreatedSerializer, ApiKeyCreateSerializer, ApiKeySerializer
from tenants.accounts.models import ApiKey
from tenants.accounts.roles import Perm
from tenants.accounts.services import api_key_create, api_key_revoke


class ApiKeyListCreateView(generics.ListAPIView):
    """API keys of this tenant (or of the control plane on its host)."""

    permission_classes = [require(Perm.MANAGE_API_KEYS)]
    serializer_class = ApiKeySerializer
    queryset = ApiKey.objects.all()

    @extend_schema(
        request=ApiKeyCreateSerializer,
        responses={201: ApiKeyCreatedSerializer},
        operation_id="api_keys_create",
    )
    def post(self, request):
        data = ApiKeyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key, plaintext = api_key_create(actor=request.user.actor, **data.validated_data)
        key.key = plaintext
        return Response(ApiKeyCreatedSerializer(key).data, status=status.HTTP_201_CREATED)


class ApiKeyRevokeView(APIView):
    permission_classes = [require(Perm.MANAGE_API_KEYS)]

    @extend_schema(request=None, responses=ApiKeySerializer, operation_id="api_keys_revoke")
    def post(self, request, pk: int):
        key = api_key_revoke(actor=request.user.actor, api_key=get_object_or_404(ApiKey, pk=pk))
        return Response(ApiKeySerializer(key).data)
