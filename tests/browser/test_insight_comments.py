"""Comment analysis in a real Chromium against gunicorn: a supervisor opens /insight/comments/ for a hall, the
keyword chart is drawn by ECharts from the embedded JSON next to its table, the rising complaint is turned into
a ledger entry and resolved from the ledger; the page fits a phone and the browser logs no error."""

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
from tenants.insight.textmining.models import ProblemLedgerEntry
from tenants.organisation.models import Unit, UnitKind
from tests.channels import browser_support as support
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db]

ACTOR = Actor.system("comments browser tests")
COMMENTS = [
    (5, "叫号系统故障，排了一上午队"),
    (5, "叫号屏坏了，不知道排到哪个号"),
    (4, "取号后叫号系统故障，等了两个小时"),
    (5, "叫号系统故障，问窗口也说不清楚"),
    (1, "网上预约很方便，不用排队"),
]


@dataclass
class World:
    schema: str
    tag: str
    email: str
    hall_code: str


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
        department = _unit(f"CD-{tag}", "评论测试局", UnitKind.DEPARTMENT)
        hall = _unit(f"CH-{tag}", "评论测试大厅", UnitKind.HALL, department)
        window = _unit(f"CW-{tag}", f"C{tag} 窗口", UnitKind.WINDOW, hall)
        item = ServiceItem.objects.create(code=f"CITEM-{tag}", name="评论测试事项", item_type="licensing",
                                          status="published")  # fmt: skip
        item.current_guide = GuideVersion.objects.create(item=item, version=1, published_at=timezone.now())
        item.save(update_fields=["current_guide"])
        inputs = []
        for i, (level, comment) in enumerate(COMMENTS):
            rated = timezone.make_aware(datetime.combine(today - timedelta(days=i % 3), time(9, 5 + i)))
            Transaction.objects.create(
                number=f"CT-{tag}-{i}", item=item, guide_version=item.current_guide, unit=hall, window=window,
                channel="device", status="finished", finished_at=rated - timedelta(minutes=2),
            )  # fmt: skip
            inputs.append(
                EvaluationInput(
                    transaction=f"CT-{tag}-{i}",
                    level=level,
                    channel="device",
                    rated_at=rated,
                    comment=comment,
                    reason_tags=["long_wait"] if level >= 4 else [],
                )
            )
        outcomes = evaluations_submit(actor=ACTOR, items=inputs)
        assert all(o.status == "created" for o in outcomes), [o.errors for o in outcomes]
        rollups_drain()
    return World(schema=schema, tag=tag, email=email, hall_code=hall.code)


def tear_down(world: World) -> None:
    from tenants.cases.models import Case

    with schema_context(world.schema):
        item = ServiceItem.objects.get(code=f"CITEM-{world.tag}")
        ProblemLedgerEntry.objects.filter(unit__code=world.hall_code).delete()
        Case.objects.filter(transaction__item=item).delete()
        Evaluation.objects.filter(transaction__item=item).delete()
        Transaction.objects.filter(item=item).delete()
        item.current_guide = None
        item.save(update_fields=["current_guide"])
        GuideVersion.objects.filter(item=item).delete()
        item.delete()
        for prefix in ("CW", "CH", "CD"):
            Unit.objects.filter(code=f"{prefix}-{world.tag}").delete()
        User.objects.filter(email=world.email).delete()
        AuditEvent.objects.filter(actor_label__in=[ACTOR.label, world.email]).delete()
        rollups_rebuild()  # the rollups and comment terms forget what was deleted


@pytest.fixture
def comments(tenant_pair, django_db_blocker):
    made = support.in_thread(django_db_blocker, lambda: build(tenant_pair["alpha"].schema))
    yield made
    support.in_thread(django_db_blocker, lambda: tear_down(made))


CHART_DRAWN = """() => {
  const el = document.getElementById('chart-keywords');
  if (!el || typeof echarts === 'undefined') return false;
  const chart = echarts.getInstanceByDom(el);
  return !!chart && chart.getOption().series.length === 2 && el.querySelectorAll('svg path').length > 5;
}"""


def test_a_supervisor_reads_the_comments_and_keeps_the_ledger(live_url, comments, context, tmp_path):
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"{m.text} {m.location}") if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    page.goto(live_url("alpha", "/accounts/login/"))
    page.get_by_label("电子邮件").fill(comments.email)
    password = page.get_by_label("密码")
    password.fill(PASSWORD)
    password.press("Enter")
    page.wait_for_url(live_url("alpha", "/"))

    page.goto(live_url("alpha", f"/insight/comments/?unit={comments.hall_code}"))
    page.wait_for_function(CHART_DRAWN)
    categories = page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('chart-keywords')).getOption().yAxis[0].data"
    )
    assert "叫号" in categories
    assert page.locator('#keywords tr[data-term="叫号"] td').first.inner_text() == "4"
    assert page.locator("#keywords caption").is_visible()
    page.screenshot(path=str(tmp_path / "comments.png"), full_page=True)

    # the rising complaint onto the ledger, due in 5 working days
    spike = page.locator(f'article.spike[data-unit="{comments.hall_code}"][data-term="叫号"]')
    spike.locator('input[name="deadline_days"]').fill("5")
    spike.locator('button[type="submit"]').click()
    page.wait_for_url("**/insight/comments/ledger/*/")
    assert page.locator("#evidence-weeks tr.recent td.num").inner_text() == "4"

    # resolved from the ledger list
    page.goto(live_url("alpha", "/insight/comments/ledger/"))
    row = page.locator("#ledger tbody tr").filter(has_text=comments.hall_code)
    row.locator("details.resolve summary").click()
    row.locator("textarea").fill("已修复叫号系统并增开窗口")
    row.locator('button[type="submit"]').click()
    page.wait_for_url("**/insight/comments/ledger/**")
    assert page.locator("#ledger tbody tr").filter(has_text=comments.hall_code).count() == 0

    # a phone's width: nothing sticks out sideways
    page.goto(live_url("alpha", f"/insight/comments/?unit={comments.hall_code}"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_function(CHART_DRAWN)
    page.wait_for_function("() => document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(tmp_path / "comments-phone.png"), full_page=True)

    assert [e for e in errors if "/favicon.ico" not in e] == []
