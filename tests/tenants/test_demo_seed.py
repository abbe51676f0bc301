"""The demo seed is complete and idempotent."""

from django_tenants.utils import schema_context

from tenants.accounts.models import AuditEvent, User
from tenants.demo import DEMO_PASSWORD, demo_admin_email, demo_seed
from tenants.models import Domain, Tenant
from tests.conftest import host_client


def snapshot() -> tuple:
    counts = [
        Tenant.objects.count(),
        Domain.objects.count(),
        User.objects.count(),
        AuditEvent.objects.count(),
    ]
    for slug in ("gd", "sz", "bjtax"):
        with schema_context(slug):
            counts += [User.objects.count(), AuditEvent.objects.count()]
    return tuple(counts)


def test_demo_seed_twice_changes_nothing(tenant_pair, db):
    demo_seed()
    first = snapshot()
    demo_seed()
    assert snapshot() == first


def test_demo_tenants_and_logins(tenant_pair, db):
    demo_seed()
    gd, sz, bjtax = (Tenant.objects.get(slug=s) for s in ("gd", "sz", "bjtax"))
    assert (gd.kind, gd.region_code, gd.name) == ("province", "440000", "广东省政务服务和数据管理局")
    assert (sz.kind, sz.region_code, sz.parent) == ("city", "440300", gd)
    assert (bjtax.kind, bjtax.region_code) == ("agency", "110000")
    client = host_client("sz.localhost")
    response = client.post("/accounts/login/", {"login": demo_admin_email("sz"), "password": DEMO_PASSWORD})
    assert response.status_code == 302
