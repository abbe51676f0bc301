from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from api.serializers import MeSerializer
from tenants.accounts.roles import ROLE_PERMISSIONS


class MeView(APIView):
    """Who the caller is on this host: person or key, role, permissions and tenant."""

    @extend_schema(responses=MeSerializer, operation_id="me")
    def get(self, request):
        user, tenant = request.user, request.tenant
        actor = user.actor
        return Response(
            MeSerializer(
                {
                    "kind": actor.kind,
                    "label": actor.label,
                    "role": actor.role,
                    "permissions": sorted(ROLE_PERMISSIONS.get(actor.role, ())),
                    "tenant": {
                        "slug": tenant.slug,
                        "name": tenant.name,
                        "kind": tenant.kind,
                        "region_code": tenant.region_code,
                    },
                }
            ).data
        )
