from rest_framework import serializers

from tenants.accounts.models import ApiKey
from tenants.accounts.roles import Role
from tenants.models import Tenant, TenantKind


class TenantBriefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=TenantKind.choices)
    region_code = serializers.CharField()


class MeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["user", "api_key"])
    label = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)
    permissions = serializers.ListField(child=serializers.CharField())
    tenant = TenantBriefSerializer()


class ApiKeySerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiKey
        fields = ["id", "name", "role", "prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
        read_only_fields = fields


class ApiKeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    role = serializers.ChoiceField(choices=Role.choices)


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(help_text="The secret. Shown only in this response; store it now.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
        read_only_fields = fields


class TenantSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    domain = serializers.SerializerMethodField()

    class Meta:
        model = Tenant
        fields = [
            "slug",
            "name",
            "kind",
            "region_code",
            "parent",
            "status",
            "domain",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_domain(self, tenant: Tenant) -> str:
        from tenants.services import tenant_domain_name

        return tenant_domain_name(tenant.slug)


class TenantCreateSerializer(serializers.Serializer):
    slug = serializers.CharField(max_length=30)
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=TenantKind.choices)
    region_code = serializers.CharField(max_length=6)
    parent = serializers.CharField(max_length=30, required=False, allow_null=True)
    admin_email = serializers.EmailField()


class TenantCreatedSerializer(TenantSerializer):
    admin_email = serializers.EmailField()
    admin_password = serializers.CharField(allow_null=True, help_text="Generated first password, shown once.")

    class Meta(TenantSerializer.Meta):
        fields = [*TenantSerializer.Meta.fields, "admin_email", "admin_password"]
        read_only_fields = fields
