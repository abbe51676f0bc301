"""The demo: the control plane with a national staff login and three tenants, each with an admin login."""

from control_plane.onboarding.demo import onboarding_demo_seed
from django.conf import settings
from django.db import transaction
from django_tenants.utils import schema_context

from billing.resellers.demo import commerce_demo_seed
from tenants.accounts.actors import Actor
from tenants.accounts.roles import Role
from tenants.accounts.services import user_create
from tenants.demo_data import demo_content_seed
from tenants.models import Tenant, TenantStatus
from tenants.services import control_plane_ensure, tenant_provision

DEMO_PASSWORD = "haochaping-demo-2026"  # noqa: S105 (printed by `make run`, documented in the README)
NATIONAL_LOGIN = "national@demo.haochaping.cn"
DEMO_TENANTS = [
    {
        "slug": "gd",
        "name": "广东省政务服务和数据管理局",
        "kind": "province",
        "region_code": "440000",
        "parent": None,
    },
    {
        "slug": "sz",
        "name": "深圳市政务服务和数据管理局",
        "kind": "city",
        "region_code": "440300",
        "parent": "gd",
    },
    {
        "slug": "bjtax",
        "name": "国家税务总局北京市税务局",
        "kind": "agency",
        "region_code": "110000",
        "parent": None,
    },
]


def demo_admin_email(slug: str) -> str:
    return f"admin@{slug}.demo.haochaping.cn"


def demo_seed(*, with_content: bool = True) -> list[Tenant]:
    """Idempotent: a second run changes nothing."""
    actor = Actor.system("demo-seed")
    with transaction.atomic():
        control_plane_ensure()
        with schema_context("public"):
            user_create(
                actor=actor,
                email=NATIONAL_LOGIN,
                role=Role.NATIONAL_STAFF,
                password=DEMO_PASSWORD,
                display_name="国家政务服务平台管理员",
            )
    onboarding_demo_seed(actor=actor, password=DEMO_PASSWORD)  # one application waiting for review
    tenants = []
    for spec in DEMO_TENANTS:
        parent = Tenant.objects.get(slug=spec["parent"]) if spec["parent"] else None
        result = tenant_provision(
            actor=actor,
            slug=spec["slug"],
            name=spec["name"],
            kind=spec["kind"],
            region_code=spec["region_code"],
            parent=parent,
            admin_email=demo_admin_email(spec["slug"]),
            admin_password=DEMO_PASSWORD,
            status=TenantStatus.ACTIVE,
        )
        tenants.append(result.tenant)
        if with_content:
            demo_content_seed(slug=spec["slug"], region_code=spec["region_code"])
    # a reseller selling 深圳 under its own brand; 广东's own colour (billing/resellers/demo.py)
    commerce_demo_seed(
        actor=actor, password=DEMO_PASSWORD, site_url=f"http://{settings.BASE_DOMAIN}:{settings.PORT}"
    )
    return tenants
