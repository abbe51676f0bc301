"""The public portal on a phone (390×844) in a real Chromium against gunicorn: the home page draws its trend
chart in the tenant's own brand colour (alpha and beta differ), fits the screen, sets no cookie, and a
screenshot of each is kept."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.cases.models import Case
from tenants.evaluations.services import EvaluationInput, evaluations_submit
from tenants.insight.services import rollups_drain, rollups_rebuild
from tests.channels import browser_support as support
from themes.models import Theme
from themes.services import theme_update

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db]

ACTOR = Actor.system("browser tests")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
COLOURS = {"alpha": ("#0f766e", "rgb(15, 118, 110)"), "beta": ("#9d174d", "rgb(157, 23, 77)")}
PHONE = {"width": 390, "height": 844}


@dataclass
class Branded:
    world: support.BrowserWorld
    tenant: object
    had_theme: bool
    old_colour: str


def build(info, colour: str) -> Branded:
    world = support.build(info.schema)
    had = Theme.objects.filter(tenant=info.tenant).first()
    with schema_context(info.schema):
        theme_update(actor=ACTOR, tenant=info.tenant, primary_color=colour)
        now = timezone.now()
        items = []
        # three months of ratings, one in four bad: the chart has points to draw
        for n in range(24):
            rated_at = now - timedelta(days=(n % 3) * 31, minutes=n + 5)
            items.append(
                EvaluationInput(
                    transaction=f"BP-{world.tag}-{n}",
                    level=5 if n % 4 == 0 else 1,
                    channel="device",
                    reason_tags=["attitude"] if n % 4 == 0 else [],
                    rated_at=rated_at,
                    item_code=world.item_code,
                    unit_code=world.unit_code,
                )
            )
        outcomes = evaluations_submit(actor=ACTOR, items=items, now=now)
        assert all(o.status == "created" for o in outcomes), [o.errors for o in outcomes]
        rollups_drain()
    return Branded(
        world=world,
        tenant=info.tenant,
        had_theme=had is not None,
        old_colour=had.primary_color if had else "",
    )


def tear_down(made: Branded) -> None:
    schema = made.world.schema
    with schema_context(schema):
        Case.objects.filter(transaction__item__code=made.world.item_code).delete()
    support.tear_down(made.world)
    with schema_context(schema):
        rollups_rebuild()  # no trace of these ratings in the rollups (there is no delete trigger)
        if made.had_theme:
            Theme.objects.filter(tenant=made.tenant).update(primary_color=made.old_colour)
        else:
            Theme.objects.filter(tenant=made.tenant).delete()
        cache.delete_pattern("*theme:*")


@pytest.fixture
def branded(tenant_pair, django_db_blocker):
    made = {}
    try:
        for slug in ("alpha", "beta"):
            info = tenant_pair[slug]
            made[slug] = support.in_thread(django_db_blocker, lambda i=info, s=slug: build(i, COLOURS[s][0]))
        yield made
    finally:
        for item in made.values():
            support.in_thread(django_db_blocker, lambda m=item: tear_down(m))


def test_the_portal_home_draws_its_chart_on_a_phone_in_each_tenants_colour(
    live_url, branded, browser, tmp_path
):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(30_000)
    try:
        for slug, (hex_colour, rgb) in COLOURS.items():
            page = context.new_page()
            response = page.goto(live_url(slug, "/portal/"))
            assert response.status == 200
            assert "max-age=60" in response.headers["cache-control"]
            chart = page.locator('#portal-chart[data-rendered="true"]')
            chart.wait_for()
            assert chart.get_attribute("data-color") == hex_colour
            box = chart.locator("canvas").first.bounding_box()
            assert box["width"] > 300 and box["height"] > 200
            option = page.evaluate(
                "() => { const o = echarts.getInstanceByDom(document.getElementById('portal-chart')).getOption();"
                " return {data: o.series[0].data, color: o.color[0], months: o.xAxis[0].data}; }"
            )
            assert len(option["months"]) == 12 and option["color"] == hex_colour
            assert sum(1 for v in option["data"] if v is not None) >= 3  # three months of ratings
            # the header carries the brand colour; nothing wider than the phone
            header = page.evaluate(
                "() => getComputedStyle(document.querySelector('.site-header')).backgroundColor"
            )
            assert header == rgb
            assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
            assert page.evaluate(  # the table fits without scrolling sideways
                "() => { const s = document.querySelector('#trend-table').parentElement;"
                " return s.scrollWidth <= s.clientWidth; }"
            )
            # the figures are in the table too (the chart's text alternative)
            assert page.locator("#trend-table tbody tr").count() == 12
            shot = tmp_path / f"portal-{slug}.png"
            page.screenshot(path=str(shot), full_page=True)
            data = shot.read_bytes()
            assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000
            page.close()
        # the other pages fit the phone too
        page = context.new_page()
        for path, name in (("/portal/results/", "results"), ("/portal/bad-reviews/", "bad-reviews")):
            assert page.goto(live_url("alpha", path)).status == 200
            assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"], path
            page.screenshot(path=str(tmp_path / f"portal-alpha-{name}.png"), full_page=True)
        assert page.locator("li.review").count() >= 1
        assert context.cookies() == []
    finally:
        context.close()
