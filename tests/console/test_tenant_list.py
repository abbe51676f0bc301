"""The console's tenant list: its columns (plan, usage, storage, feed health), filters, pages, the same few
queries with 1,000 tenants, and who may see it."""

from datetime import date, datetime, timedelta

from control_plane.console.models import TenantActivity, TenantStorage
from control_plane.console.selectors import tenant_plan_label, tenant_rows, tenants_filtered
from control_plane.console.services import activity_refresh, storage_measure
from control_plane.feed import feed_sweep
from control_plane.models import FeedRecord, TenantDayStats
from django.db.models import Max
from django.utils import timezone

from tenants.models import Tenant
from tests.conftest import host_client
from tests.console.conftest import public_client
from tests.supervision.conftest import rate_transactions

NOW = timezone.make_aware(datetime(2026, 5, 20, 10, 0))


def make_tenants(
    n: int, *, prefix: str = "bulk", status: str = "active", kind: str = "city", region: str = "130100"
):
    parent = Tenant.objects.get(slug="alpha")
    return Tenant.objects.bulk_create(
        [
            Tenant(
                schema_name=f"{prefix}{i:04d}", slug=f"{prefix}{i:04d}", name=f"测试市{prefix}{i:04d}", kind=kind,
                region_code=region, status=status, parent=parent,
            )
            for i in range(n)
        ]
    )  # fmt: skip


def test_anonymous_is_sent_to_sign_in(tenant_pair, db):
    response = public_client().get("/console/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_tenant_user_has_no_console_on_a_tenant_host(alpha):
    # /console/ exists on the control plane only
    assert host_client(alpha.host).get("/console/").status_code == 404


def test_national_staff_see_every_tenant_with_its_columns(national, alpha, beta):
    TenantDayStats.objects.bulk_create(
        [
            TenantDayStats(tenant=alpha.tenant, day=date(2026, 5, 2), revision=1, ratings=7),
            TenantDayStats(tenant=alpha.tenant, day=date(2026, 5, 19), revision=1, ratings=5),
            TenantDayStats(tenant=alpha.tenant, day=date(2026, 4, 30), revision=1, ratings=11),
            TenantDayStats(tenant=alpha.tenant, day=date(2026, 3, 31), revision=1, ratings=1000),  # too old
            TenantDayStats(tenant=beta.tenant, day=date(2026, 5, 1), revision=1, ratings=3),
        ]
    )
    # a real beat in another test may have measured the tenants already (committed): start from none
    TenantStorage.objects.all().delete()
    TenantStorage.objects.create(tenant=alpha.tenant, bytes=3 * 1024 * 1024, measured_at=NOW)
    rows = {r.tenant.slug: r for r in tenant_rows(list(tenants_filtered()), now=NOW)}
    assert (rows["alpha"].ratings_this_month, rows["alpha"].ratings_last_month) == (12, 11)
    assert (rows["beta"].ratings_this_month, rows["beta"].ratings_last_month) == (3, 0)
    assert rows["alpha"].storage_bytes == 3 * 1024 * 1024 and rows["beta"].storage_bytes is None
    assert rows["alpha"].plan == tenant_plan_label(alpha.tenant) == "旗舰版 (billing disabled)"
    assert rows["alpha"].health == "none" and rows["alpha"].domain == "alpha.localhost"

    html = national.get("/console/").content.decode()
    assert 'data-tenant="alpha"' in html and 'data-tenant="beta"' in html and "甲省政务服务管理局" in html
    assert "3.0\xa0MB" in html and "旗舰版 (billing disabled)" in html
    assert 'data-tenant="public"' not in html  # the control plane is not a tenant of the list


def test_reseller_staff_see_neither_the_list_nor_a_tenant(viewer, alpha):
    # VIEW_TENANTS is not enough: the console shows every tenant (national staff only, VIEW_NATIONAL)
    for path in ["/console/", f"/console/tenants/{alpha.tenant.pk}/"]:
        response = viewer.get(path)
        assert response.status_code == 403, path
        assert "甲省政务服务管理局" not in response.content.decode()


def test_filters_by_status_kind_and_search(national, tenant_pair):
    make_tenants(3, prefix="susp", status="suspended")
    make_tenants(2, prefix="cnty", kind="county", region="130102")
    page = national.get("/console/", {"status": "suspended"}).content.decode()
    assert page.count('data-tenant="susp') == 3 and 'data-tenant="cnty' not in page
    page = national.get("/console/", {"kind": "county"}).content.decode()
    assert page.count('data-tenant="cnty') == 2 and 'data-tenant="alpha"' not in page
    assert national.get("/console/", {"q": "乙省"}).content.decode().count("data-tenant=") == 1  # by name
    assert national.get("/console/", {"q": "susp0001"}).content.decode().count("data-tenant=") == 1  # slug
    assert national.get("/console/", {"q": "130102"}).content.decode().count("data-tenant=") == 2  # region
    assert "No tenant matches." in national.get("/console/", {"q": "nothing-like-it"}).content.decode()


def test_a_thousand_tenants_take_the_same_few_queries(national, tenant_pair, django_assert_max_num_queries):
    tenants = make_tenants(1000)
    TenantDayStats.objects.bulk_create(
        [TenantDayStats(tenant=t, day=timezone.localdate() - timedelta(days=d), revision=1, ratings=d + 1)
         for t in tenants for d in (0, 40)]
    )  # fmt: skip
    TenantStorage.objects.bulk_create(
        [TenantStorage(tenant=t, bytes=10_000, measured_at=NOW) for t in tenants]
    )
    TenantActivity.objects.bulk_create(
        [TenantActivity(tenant=t, last_rating_at=NOW, last_appended_at=NOW, last_lag=timedelta(seconds=1)) for t in tenants]
    )  # fmt: skip
    national.get("/console/")  # warm: session, content types
    # search path, session, user; count, page (parent, storage, activity joined), usage, activity cursor
    with django_assert_max_num_queries(7):
        first = national.get("/console/")
    with django_assert_max_num_queries(7):
        last = national.get("/console/", {"page": 21})
    assert first.status_code == 200 and first.content.decode().count("data-tenant=") == 50
    assert "1002 tenants" in first.content.decode() and "Page 1 of 21" in first.content.decode()
    assert last.content.decode().count("data-tenant=") == 2


def test_storage_is_measured_for_every_schema_in_one_query(alpha, beta, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):  # search path, tenants, sizes, upsert
        measured = storage_measure()
    assert measured >= 2
    sizes = dict(TenantStorage.objects.values_list("tenant__slug", "bytes"))
    assert sizes["alpha"] > 100_000 and sizes["beta"] > 100_000


def test_health_follows_the_feed(national, world):
    # given ratings relayed into the national feed
    rate_transactions(world, 3, start=timezone.now() - timedelta(hours=1), level=1, prefix="H")
    feed_sweep()
    records = FeedRecord.objects.filter(tenant=world.info.tenant, kind="evaluation")
    newest = records.aggregate(m=Max("occurred_at"))["m"]
    # when the activity is folded in
    assert activity_refresh() >= 3
    # then the list shows the last rating, the feed lag and the last append
    activity = TenantActivity.objects.get(tenant=world.info.tenant)
    last = records.order_by("-cursor").first()
    assert activity.last_rating_at == newest and activity.last_lag == last.appended_at - last.occurred_at
    row = next(r for r in tenant_rows(list(tenants_filtered(q="alpha"))))
    assert row.health == "ok" and row.last_rating_at == newest
    html = national.get("/console/", {"q": "alpha"}).content.decode()
    assert "Receiving" in html and "feed lag" in html
    assert activity_refresh() == 0  # nothing new: nothing read


def test_activity_folds_only_new_records(world):
    rate_transactions(world, 2, start=timezone.now() - timedelta(hours=3), level=1, prefix="A")
    feed_sweep()
    activity_refresh()
    first = TenantActivity.objects.get(tenant=world.info.tenant)
    rate_transactions(world, 1, start=timezone.now() - timedelta(hours=2), level=5, prefix="B")
    feed_sweep()
    folded = activity_refresh(chunk=1)  # one record per transaction: still complete
    second = TenantActivity.objects.get(tenant=world.info.tenant)
    assert folded >= 1 and second.last_cursor > first.last_cursor
    assert second.last_rating_at >= first.last_rating_at
