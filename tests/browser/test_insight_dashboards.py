"""The staff dashboards in a real Chromium against gunicorn: a supervisor signs in and opens the overview, a
breakdown by window and the coverage page; every chart is drawn by ECharts from the embedded JSON (series, a
painted canvas), its data table sits next to it, the trend switches between days, weeks and months, the pages
fit a phone's width, and the browser logs no error."""

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent, User
from tenants.accounts.roles import Role
from tenants.accounts.services import user_create
from tenants.catalog.models import GuideVersion, ServiceItem
from tenants.evaluations.models import Evaluation, Transaction
from tenants.evaluations.services import EvaluationInput, evaluations_submit
from tenants.insight.services import rollups_drain, rollups_rebuild
from tenants.organisation.models import Staff, Unit, UnitKind
from tests.channels import browser_support as support
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db]

ACTOR = Actor.system("dashboard browser tests")
# (days ago, hour, level, channel, window index)
RATINGS = [
    (2, 9, 1, "device", 0),
    (2, 10, 2, "device", 0),
    (3, 15, 1, "qr", 1),
    (9, 11, 3, "web", 1),
    (9, 16, 4, "device", 0),
    (12, 8, 1, "device", 1),
]


@dataclass
class World:
    schema: str
    tag: str
    email: str
    window_names: list[str]
    start: str
    end: str


def _unit(code, name, kind, parent=None) -> Unit:
    unit = Unit.objects.create(code=code, name=name, kind=kind, parent=parent)
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.save(update_fields=["path"])
    return unit


def build(schema: str) -> World:
    tag = uuid.uuid4().hex[:6].upper()
    today = timezone.localdate()
    with schema_context(schema):
        email = f"supervisor-{tag.lower()}@alpha.example"
        user_create(actor=ACTOR, email=email, role=Role.SUPERVISOR, password=PASSWORD, display_name="周督查")
        department = _unit(f"DD-{tag}", "看板测试局", UnitKind.DEPARTMENT)
        hall = _unit(f"DH-{tag}", "看板测试大厅", UnitKind.HALL, department)
        windows = [_unit(f"DW{i}-{tag}", f"D{tag} 窗口{i}", UnitKind.WINDOW, hall) for i in (1, 2)]
        staff = Staff.objects.create(staff_no=f"DS-{tag}", name="刘看板", unit=hall)
        item = ServiceItem.objects.create(code=f"DITEM-{tag}", name="看板测试事项", item_type="licensing",
                                          status="published")  # fmt: skip
        item.current_guide = GuideVersion.objects.create(item=item, version=1, published_at=timezone.now())
        item.save(update_fields=["current_guide"])
        inputs = []
        for i, (days, hour, level, channel, w) in enumerate(RATINGS):
            rated = timezone.make_aware(datetime.combine(today - timedelta(days=days), time(hour, 5)))
            Transaction.objects.create(
                number=f"DT-{tag}-{i}", item=item, guide_version=item.current_guide, unit=hall, window=windows[w],
                staff=staff, channel=channel, status="finished", finished_at=rated - timedelta(minutes=2),
            )  # fmt: skip
            inputs.append(
                EvaluationInput(
                    transaction=f"DT-{tag}-{i}",
                    level=level,
                    channel=channel,
                    rated_at=rated,
                    reason_tags=["attitude"] if level >= 4 else [],
                )
            )
        outcomes = evaluations_submit(actor=ACTOR, items=inputs)
        assert all(o.status == "created" for o in outcomes), [o.errors for o in outcomes]
        rollups_drain()
    return World(
        schema=schema,
        tag=tag,
        email=email,
        window_names=[w.name for w in windows],
        start=(today - timedelta(days=20)).isoformat(),
        end=today.isoformat(),
    )


def tear_down(world: World) -> None:
    from tenants.cases.models import Case

    with schema_context(world.schema):
        item = ServiceItem.objects.get(code=f"DITEM-{world.tag}")
        Case.objects.filter(transaction__item=item).delete()
        Evaluation.objects.filter(transaction__item=item).delete()
        Transaction.objects.filter(item=item).delete()
        Staff.objects.filter(staff_no=f"DS-{world.tag}").delete()
        item.current_guide = None
        item.save(update_fields=["current_guide"])
        GuideVersion.objects.filter(item=item).delete()
        item.delete()
        for prefix in ("DW1", "DW2", "DH", "DD"):
            Unit.objects.filter(code=f"{prefix}-{world.tag}").delete()
        User.objects.filter(email=world.email).delete()
        AuditEvent.objects.filter(actor_label__in=[ACTOR.label, world.email]).delete()
        rollups_rebuild()  # the rollups forget what was deleted (deletes have no triggers)


@pytest.fixture
def dashboards(tenant_pair, django_db_blocker):
    made = support.in_thread(django_db_blocker, lambda: build(tenant_pair["alpha"].schema))
    yield made
    support.in_thread(django_db_blocker, lambda: tear_down(made))


# every [data-chart] has an ECharts instance with series and a canvas with painted pixels
CHARTS_DRAWN = """() => {
  const els = [...document.querySelectorAll('[data-chart]')];
  if (!els.length || typeof echarts === 'undefined') return false;
  return els.every((el) => {
    const chart = echarts.getInstanceByDom(el);
    const canvas = el.querySelector('canvas');
    if (!chart || !canvas || !canvas.width || !canvas.height) return false;
    if (!(chart.getOption().series.length > 0)) return false;
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
    return false;
  });
}"""
TREND_POINTS = (
    "() => echarts.getInstanceByDom(document.getElementById('chart-trend')).getOption().xAxis[0].data.length"
)


def charts_drawn(page) -> int:
    page.wait_for_function(CHARTS_DRAWN)
    return page.locator("[data-chart]").count()


def shot(page, path) -> None:
    page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes().startswith(b"\x89PNG")


def test_a_supervisor_reads_the_dashboards(live_url, dashboards, context, tmp_path):
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"{m.text} {m.location}") if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    page.goto(live_url("alpha", "/accounts/login/"))
    page.get_by_label("电子邮件").fill(dashboards.email)
    password = page.get_by_label("密码")
    password.fill(PASSWORD)
    password.press("Enter")
    page.wait_for_url(live_url("alpha", "/"))

    # --- the overview: KPI cards, four charts with their tables ---------------------------------------------
    period = f"from={dashboards.start}&to={dashboards.end}"
    page.goto(live_url("alpha", f"/insight/?{period}"))
    assert charts_drawn(page) == 4
    assert page.locator('[data-kpi="good_rate"]').is_visible()
    assert int(page.locator('[data-kpi="volume"] .value').inner_text()) >= len(RATINGS)
    for name in ("trend", "channels", "hours", "rectification"):
        assert page.locator(f"#chart-{name}").get_attribute("aria-label")
        assert page.locator(f"#table-{name} caption").is_visible()
    assert page.locator("#table-trend tbody tr").count() == 21
    assert page.evaluate(TREND_POINTS) == 21
    shot(page, tmp_path / "overview.png")

    # --- the trend per week, then per month ----------------------------------------------------------------
    page.locator('a[data-granularity="week"]').click()
    page.wait_for_url("**granularity=week**")
    charts_drawn(page)
    weeks = page.evaluate(TREND_POINTS)
    assert 3 <= weeks <= 4 and page.locator("#table-trend tbody tr").count() == weeks
    assert page.locator('a[data-granularity="week"]').get_attribute("aria-current") == "true"
    page.locator('a[data-granularity="month"]').click()
    page.wait_for_url("**granularity=month**")
    charts_drawn(page)
    assert 1 <= page.evaluate(TREND_POINTS) <= 2

    # --- a phone's width: nothing sticks out sideways, the charts are redrawn --------------------------------
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_function("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate("() => document.getElementById('chart-trend').getBoundingClientRect().width") <= 390
    shot(page, tmp_path / "overview-phone.png")
    page.set_viewport_size({"width": 1280, "height": 800})

    # --- breakdown by window ---------------------------------------------------------------------------------
    page.goto(live_url("alpha", f"/insight/breakdown/?{period}&by=window"))
    assert charts_drawn(page) == 1
    table = page.locator("#table-by-window")
    for name in dashboards.window_names:
        assert table.locator("th[scope=row]", has_text=name).count() == 1
    categories = page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('chart-by-window')).getOption().yAxis[0].data"
    )
    assert set(dashboards.window_names) <= set(categories)
    shot(page, tmp_path / "breakdown.png")

    # --- coverage ----------------------------------------------------------------------------------------------
    page.locator('nav[aria-label] a[href^="/insight/coverage/"]').click()
    page.wait_for_url("**/insight/coverage/**")
    assert charts_drawn(page) == 1
    assert page.locator("#table-coverage tbody tr").count() == 4
    assert page.locator("#table-uncovered-channels").is_visible()
    shot(page, tmp_path / "coverage.png")

    # the site has no favicon (base.html, not these pages): Chromium's own request for one is not our error
    assert [e for e in errors if "/favicon.ico" not in e] == []
