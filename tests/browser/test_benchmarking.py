"""National benchmarking in a real Chromium against gunicorn: national staff sign in on the control-plane
host, open a county league table whose four charts (trend, distribution, movers, the map of China) are drawn
beside their tables, drill down to a tenant, publish the ranking, and an anonymous visitor reads it."""

import re
import uuid
from datetime import date

import pytest

from tenants.accounts.models import AuditEvent
from tests.channels import browser_support as support
from tests.conftest import NATIONAL_EMAIL, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db]

# (region code, March ratings, good, February ratings, good)
COUNTIES = [
    ("130102", 400, 392, 380, 350),
    ("320105", 900, 890, 800, 790),
    ("440305", 300, 270, 320, 318),
    ("510104", 120, 119, 100, 90),
    ("650102", 20, 20, 10, 10),  # too small to rank
    ("110101", 640, 600, 600, 560),
]
QUERY = "group=county&indicator=good_rate&from=2026-03-01&to=2026-03-31"
CHART_IDS = ("trend-chart", "distribution-chart", "movers-chart", "regions-chart")


def build() -> dict:
    from control_plane.benchmarking.services import month_stats_refresh
    from control_plane.models import TenantDayStats

    from tenants.models import Tenant

    tag = uuid.uuid4().hex[:6]
    slugs = []
    for i, (region, ratings, good, before, before_good) in enumerate(COUNTIES):
        slug = f"bm{tag}{i}"
        tenant = Tenant.objects.create(
            schema_name=slug,
            slug=slug,
            name=f"测试县{i}（{tag}）",
            kind="county",
            region_code=region,
            status="active",
        )
        days = [
            TenantDayStats(tenant=tenant, day=date(2026, 3, 12), revision=1, ratings=ratings, good=good,
                           bad=ratings - good, given=ratings, given_good=good, transactions=ratings + 10,
                           immediate=ratings // 3, channels={"device": ratings - 5, "web": 5}),
            TenantDayStats(tenant=tenant, day=date(2026, 2, 12), revision=1, ratings=before, good=before_good,
                           bad=before - before_good, given=before, given_good=before_good),
        ]  # fmt: skip
        TenantDayStats.objects.bulk_create(days)
        month_stats_refresh(tenant=tenant, days=[d.day for d in days])
        slugs.append(slug)
    return {"tag": tag, "slugs": slugs}


def tear_down(made: dict) -> None:
    from control_plane.benchmarking.models import PublishedRanking

    from tenants.models import Tenant

    published = PublishedRanking.objects.filter(title__contains=made["tag"])
    AuditEvent.objects.filter(
        target_type="PublishedRanking", target_id__in=[str(p.pk) for p in published]
    ).delete()
    published.delete()
    Tenant.objects.filter(slug__in=made["slugs"]).delete()  # day and month rows go with them


@pytest.fixture
def counties(tenant_pair, django_db_blocker):
    made = support.in_thread(django_db_blocker, build)
    yield made
    support.in_thread(django_db_blocker, lambda: tear_down(made))


CHARTS_DRAWN = """(ids) => ids.every((id) => {
  const el = document.getElementById(id);
  if (!el || el.getAttribute('data-drawn') !== '1' || typeof echarts === 'undefined') return false;
  const chart = echarts.getInstanceByDom(el);
  return chart && chart.getOption().series.length > 0 && el.querySelectorAll('svg path').length > 0;
})"""


def test_national_staff_compare_counties_drill_down_and_publish(
    live_url, counties, context, browser, tmp_path
):
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # the browser's own favicon request is no page's error
    page.on(
        "console",
        lambda m: (
            errors.append(f"{m.text} {m.location}")
            if m.type == "error" and "favicon" not in str(m.location)
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}") if r.status >= 400 and "favicon" not in r.url else None
        ),
    )

    page.goto(live_url(None, f"/benchmarking/?{QUERY}"))
    assert "/accounts/login/" in page.url  # sign-in first
    page.get_by_label("电子邮件").fill(NATIONAL_EMAIL)
    password = page.get_by_label("密码")
    password.fill(PASSWORD)
    password.press("Enter")
    page.wait_for_url(re.compile(r".*/benchmarking/\?.*group=county.*"))

    # --- the league table: ranked by the Wilson lower bound, with n and interval; the small one apart --------
    ranked = page.locator("#league-table tbody tr")
    assert ranked.count() == 5
    first = ranked.nth(0)
    assert (
        first.get_attribute("data-rank") == "1" and first.get_attribute("data-slug") == counties["slugs"][1]
    )
    assert "890" in first.inner_text() and "900" in first.inner_text() and "–" in first.inner_text()
    assert page.locator("#unranked-table tbody tr").count() == 1
    assert counties["slugs"][4] in page.locator("#unranked-table").inner_html()

    # --- four charts drawn, each with its table ----------------------------------------------------------------
    page.wait_for_function(CHARTS_DRAWN, arg=list(CHART_IDS))
    assert page.locator("#regions-chart").get_attribute("data-map") == "china"
    assert page.locator("#regions-chart svg path").count() > 30  # the provinces' outlines
    for table in ("trend-table", "distribution-table", "movers-table", "regions-table"):
        assert page.locator(f"#{table} caption").is_visible()
    assert page.locator("#regions-table tbody tr").count() == 6
    assert page.locator("#trend-table tbody tr").count() == 12
    page.screenshot(path=str(tmp_path / "league.png"), full_page=True)

    # --- drill down to a tenant: its portal link and its league row by month ------------------------------------
    page.locator("#league-table tbody tr").nth(0).get_by_role("link").click()
    page.wait_for_url(re.compile(rf".*/benchmarking/tenants/{counties['slugs'][1]}/.*"))
    page.wait_for_function(CHARTS_DRAWN, arg=["history-chart"])
    portal = page.get_by_role("link", name=re.compile("门户|portal", re.I))
    assert portal.get_attribute("href").endswith(
        f"{counties['slugs'][1]}.localhost:{live_url(None).split(':')[-1].strip('/')}/portal/"
    )
    page.screenshot(path=str(tmp_path / "tenant.png"), full_page=True)
    history = page.locator("#history-table").inner_text()
    assert "2026-03" in history and "2026-02" in history
    page.go_back()

    # --- publish, then an anonymous visitor reads the snapshot ---------------------------------------------------
    page.wait_for_function(CHARTS_DRAWN, arg=list(CHART_IDS))
    page.locator("#id_title").fill(f"县级好评率 {counties['tag']}")
    page.locator("form.publish button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/benchmarking/public/\d+/$"))
    public_url = page.url

    visitor = browser.new_context(locale="zh-CN")
    try:
        public = visitor.new_page()
        response = public.goto(public_url)
        assert response.status == 200
        assert public.get_by_role("heading", level=1).inner_text() == f"县级好评率 {counties['tag']}"
        rows = public.locator("#public-table tbody tr")
        assert rows.count() == 5 and rows.nth(0).locator("td.rank").inner_text() == "1"
        assert "测试县1" in rows.nth(0).inner_text()
        assert not visitor.cookies()  # no session, no CSRF cookie for readers
        public.goto(live_url(None, "/benchmarking/public/"))
        assert public.get_by_role("link", name=f"县级好评率 {counties['tag']}").is_visible()
    finally:
        visitor.close()
    assert not errors, errors
