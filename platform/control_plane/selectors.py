from tenants.models import Tenant
from tenants.services import tenant_domain_name


def tenant_overview() -> list[dict]:
    return [
        {"tenant": tenant, "domain": tenant_domain_name(tenant.slug)}
        for tenant in Tenant.objects.exclude(schema_name="public").select_related("parent").order_by("slug")
    ]
