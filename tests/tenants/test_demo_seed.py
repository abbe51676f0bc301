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
    demo_seed(with_content=False)  # the content has its own test
    gd, sz, bjtax = (Tenant.objects.get(slug=s) for s in ("gd", "sz", "bjtax"))
    assert (gd.kind, gd.region_code, gd.name) == ("province", "440000", "广东省政务服务和数据管理局")
    assert (sz.kind, sz.region_code, sz.parent) == ("city", "440300", gd)
    assert (bjtax.kind, bjtax.region_code) == ("agency", "110000")
    client = host_client("sz.localhost")
    response = client.post("/accounts/login/", {"login": demo_admin_email("sz"), "password": DEMO_PASSWORD})
    assert response.status_code == 302


def test_demo_tenants_have_content_to_show(tenant_pair, db):
    from tenants.catalog.models import ServiceItem
    from tenants.evaluations.models import Evaluation
    from tenants.organisation.models import Device, Staff, Unit

    demo_seed()
    with schema_context("gd"):
        assert ServiceItem.objects.filter(status="published").count() >= 20
        assert Unit.objects.filter(kind="window").count() >= 10 and Staff.objects.count() >= 10
        assert Device.objects.count() >= 5
        assert Evaluation.objects.count() >= 2000
        assert Evaluation.objects.filter(is_bad=True).exclude(reason_tags=[]).exists()
        assert Evaluation.objects.filter(anonymous=False).exists()
        # every department serves in a hall of its own: departments and halls can be ranked
        assert Unit.objects.filter(kind="hall").values("parent").distinct().count() == 6
    with schema_context("gd"):
        from tenants.insight.models import RatingRollup
        from tenants.insight.reports.models import Report

        assert sum(RatingRollup.objects.values_list("count", flat=True)) >= 3000  # rollups built by the seed
        assert Report.objects.filter(published=True, status="done").exists()
