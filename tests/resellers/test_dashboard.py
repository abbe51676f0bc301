"""The dashboard: the reseller's tenants with status, plan, subscription and ratings this and last month from the
national daily rollups (TenantDayStats), with totals; its cost does not grow with the number of tenants."""

from datetime import timedelta

from control_plane.models import TenantDayStats
from django.utils import timezone

from billing.models import Plan, Subscription
from tenants.models import Tenant


def _day_stats(tenant, day, ratings: int) -> None:
    TenantDayStats.objects.create(tenant=tenant, day=day, revision=1, ratings=ratings)


def test_ratings_this_and_last_month_and_totals(side_a, side_b, alpha, beta):
    # given ratings in this month, last month and the month before, for A's alpha and B's beta
    first = timezone.localdate().replace(day=1)
    last_month = first - timedelta(days=1)
    _day_stats(alpha.tenant, first, 7)
    _day_stats(alpha.tenant, last_month, 5)
    _day_stats(alpha.tenant, last_month.replace(day=1), 4)
    _day_stats(alpha.tenant, last_month.replace(day=1) - timedelta(days=1), 1000)  # two months ago
    _day_stats(beta.tenant, first, 99)
    # when A's staff open the dashboard
    response = side_a.client.get("/reseller/")
    # then alpha's figures, and only A's in the totals
    board = response.context["board"]
    ((row,),) = [[r for r in board.rows if r.tenant.slug == "alpha"]]
    assert (row.ratings_this_month, row.ratings_last_month) == (7, 9)
    assert (board.ratings_this_month, board.ratings_last_month) == (7, 9)
    html = response.content.decode()
    assert 'id="total-this-month">7<' in html and 'id="total-last-month">9<' in html
    assert row.subscription.plan.code == Subscription.objects.get(tenant=alpha.tenant).plan.code
    assert 'href="http://alpha.localhost/"' in html


def test_the_dashboard_costs_the_same_whatever_the_number_of_tenants(side_a, django_assert_max_num_queries):
    def add(start: int, n: int) -> None:
        for i in range(start, start + n):
            tenant = Tenant.objects.create(
                schema_name=f"t{i}x",
                slug=f"t{i}x",
                name=f"县{i}",
                kind="county",
                region_code="440305",
                reseller=side_a.reseller,
            )
            Subscription.objects.create(tenant=tenant, plan=Plan.objects.get(code="standard"))

    add(0, 2)
    with django_assert_max_num_queries(14) as few:
        side_a.client.get("/reseller/")
    add(2, 10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = side_a.client.get("/reseller/")
    assert len(response.context["board"].rows) == 13


def test_every_console_page_is_served_in_chinese_by_default(side_a, alpha, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client = side_a.client
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    for path in (
        "/reseller/",
        "/reseller/tenants/new/",
        f"/reseller/tenants/{alpha.tenant.pk}/",
        "/reseller/plans/",
        "/reseller/signups/",
        "/reseller/statements/?month=2026-01",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert '<html lang="zh-hans">' in response.content.decode(), path
