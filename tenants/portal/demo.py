"""Demo content for the public portal: its settings with an introduction, and new ratings whose evaluators
agreed to publish their comments (consent is given when rating, so it cannot be added to the seed's older
ratings). Some comments hold what the scrubber removes (a staff member's name and number, a phone number),
so the demo shows ＊＊ where personal data was."""

from datetime import timedelta

from django.utils import timezone

from tenants.accounts.actors import Actor
from tenants.catalog.models import ServiceItem
from tenants.evaluations.models import Transaction
from tenants.evaluations.services import EvaluationInput, evaluations_submit
from tenants.insight.services import rollups_drain
from tenants.organisation.models import Staff, Unit, UnitKind
from tenants.portal.models import PortalSettings

PREFIX = "PORTAL-DEMO-"
INTRO = (
    "本平台依据国务院办公厅《关于建立政务服务“好差评”制度提高政务服务水平的意见》，按月公开本地区政务服务评价结果、"
    "各部门和大厅的评价情况、差评整改情况和评价报告。公示内容不含评价人和工作人员的个人信息。"
)
GOOD = [
    "窗口人员很耐心，一次就办好了，点赞！",
    "网上预约后到现场不用排队，很方便。",
    "帮办代办服务很贴心，老人办事不用来回跑。",
]
BAD = [
    (["long_wait"], "排队等了一个多小时，叫号系统也不准，希望高峰时段多开几个窗口。"),
    (["attitude"], "{staff}（工号{staff_no}）态度生硬，问两遍才说缺什么材料。我的电话{phone}，欢迎回访。"),
    (["extra_materials"], "现场要求的材料和网上办事指南不一样，又要回去开证明。"),
    (["multiple_trips"], "来回跑了三趟才办成，希望能一次告知。"),
    (["system_inconvenient"], "自助机总是卡在身份证识别这一步，我叫{evaluator}，麻烦改进。"),
]


def portal_demo_seed(*, actor: Actor, count: int = 40) -> int:
    """Idempotent: the portal's settings (kept if present) and `count` ratings over this month and the last,
    one in four bad, every comment with the evaluator's consent to publish it. Returns the ratings added."""
    if not PortalSettings.objects.exists():
        PortalSettings.objects.create(intro=INTRO)
    if Transaction.objects.filter(number__startswith=PREFIX).exists():
        return 0
    windows = list(Unit.objects.filter(kind=UnitKind.WINDOW, active=True, parent__isnull=False)[:12])
    items = list(ServiceItem.objects.filter(current_guide__isnull=False).order_by("code")[:10])
    staff = Staff.objects.filter(active=True).order_by("staff_no").first()
    if not windows or not items:
        return 0
    now = timezone.now()
    ratings = []
    for n in range(count):
        window, item = windows[n % len(windows)], items[n % len(items)]
        bad = n % 4 == 0
        tags, text = BAD[(n // 4) % len(BAD)] if bad else ([], GOOD[n % len(GOOD)])
        text = text.format(
            staff=staff.name if staff else "窗口人员",
            staff_no=staff.staff_no if staff else "无",
            phone="13800138000",
            evaluator="李春花",
        )
        ratings.append(
            EvaluationInput(
                transaction=f"{PREFIX}{n:04d}",
                level=(4 + n % 2) if bad else 1 + n % 2,
                channel="qr",
                reason_tags=list(tags),
                comment=text,
                comment_public=True,
                evaluator={"anonymous": False, "name": "李春花", "phone": "13800138000"}
                if bad
                else {"anonymous": True},
                rated_at=now - timedelta(days=(n * 37 % 45), hours=n % 5, minutes=10),
                item_code=item.code,
                unit_code=window.parent.code,
                window_code=window.code,
            )
        )
    outcomes = evaluations_submit(actor=actor, items=ratings, now=now)
    rollups_drain()
    return sum(1 for o in outcomes if o.status == "created")
