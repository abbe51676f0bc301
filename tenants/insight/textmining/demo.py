"""Demo content for comment analysis: new rated transactions with varied comments (the main demo seed's seven
bad-review texts repeat evenly over four months, so nothing rises), and a week in which complaints about the
queue-calling system pile up at the demo hall, for the spike detector and the problem ledger to show.

Everything goes through the intake service, as new transactions and ratings (ratings are append-only: existing
ones are never touched). Idempotent: a tenant that already has the transactions is left alone. Call it before
`rollups_rebuild()` (which computes the comment terms), inside the tenant's schema.
"""

import random
from datetime import datetime, timedelta

from django.utils import timezone

from tenants.accounts.actors import Actor
from tenants.catalog.models import ServiceItem
from tenants.evaluations.models import Transaction
from tenants.evaluations.services import EvaluationInput, evaluations_submit
from tenants.organisation.models import Staff, Unit, UnitKind

PREFIX = "TMDEMO"

# the week's spike at the hall: the queue-calling system (叫号) broke down
SPIKE = [
    (5, ["long_wait", "system_inconvenient"], "叫号系统故障，排了一上午队"),
    (5, ["long_wait"], "叫号屏坏了，不知道排到哪个号"),
    (4, ["long_wait"], "取号后叫号系统故障，等了两个小时"),
    (5, ["long_wait", "attitude"], "叫号系统故障，问窗口也说不清楚什么时候修好"),
    (4, ["long_wait"], "叫号乱了，后来的人先办"),
    (5, ["long_wait"], "排队叫号太慢，窗口只开了两个"),
    (4, ["system_inconvenient"], "叫号系统又故障了，只能人工排队"),
    (5, ["long_wait", "multiple_trips"], "叫号系统故障，白等一上午，明天还得再来"),
    (4, ["long_wait"], "叫号没有提示音，错过了又要重新取号"),
]

# eight weeks of everyday comments, good and bad, in many wordings
EVERYDAY = [
    (1, [], "网上预约后直接到窗口办理，不用排队，很方便"),
    (1, [], "工作人员耐心解释材料要求，一次性告知，点赞"),
    (2, [], "帮办代办服务很贴心，老人不用来回跑"),
    (1, [], "自助机打印证明很快，五分钟就好了"),
    (2, [], "办事指南写得很清楚，材料一次就带齐了"),
    (1, [], "窗口服务热情，办事效率高"),
    (2, [], "停车位比以前多了，方便"),
    (3, [], "总体还行，就是等候区座位少"),
    (4, ["extra_materials"], "现场又要求补充复印件，办事指南里没写"),
    (4, ["guide_unclear"], "办事指南和窗口说法不一致，不知道听谁的"),
    (5, ["multiple_trips"], "材料没有一次性告知，跑了三趟"),
    (4, ["attitude"], "窗口人员态度生硬，问两句就不耐烦"),
    (4, ["system_inconvenient"], "网上办理系统老是卡顿，提交不了"),
    (5, ["overdue"], "承诺五个工作日办结，两周了还没消息"),
    (4, ["long_wait"], "中午午休窗口没人，等了一个多小时"),
    (4, ["attitude"], "工作人员上班时间玩手机"),
    (5, ["extra_conditions"], "又让去另一个部门盖章，推诿扯皮"),
    (4, ["system_inconvenient"], "自助机经常坏，只能排队去人工窗口"),
]


def _places() -> tuple[Unit, list[Unit], list[Staff], list[ServiceItem]] | None:
    window = Unit.objects.filter(kind=UnitKind.WINDOW, parent__kind=UnitKind.HALL).order_by("code").first()
    if window is None:
        return None
    windows = list(Unit.objects.filter(parent=window.parent, kind=UnitKind.WINDOW).order_by("code")[:6])
    staff = list(Staff.objects.filter(unit=window.parent).order_by("staff_no")[:6]) or [None]
    items = list(ServiceItem.objects.filter(current_guide__isnull=False).order_by("code")[:8])
    return (window.parent, windows, staff, items) if items else None


def textmining_demo_seed(*, actor: Actor | None = None, now: datetime | None = None) -> int:
    """Add the demo's comment ratings to the current tenant. Returns how many ratings were added (0 when they
    are there already or the tenant has no hall, windows and items yet)."""
    if Transaction.objects.filter(number__startswith=PREFIX).exists():
        return 0
    places = _places()
    if places is None:
        return 0
    hall, windows, staff, items = places
    actor = actor or Actor.system("demo-seed")
    now = now or timezone.now()
    rng = random.Random(f"{PREFIX}:{hall.code}")
    planned: list[tuple[datetime, int, list[str], str]] = []
    for n, (level, tags, comment) in enumerate(SPIKE):  # the last six days
        planned.append((now - timedelta(days=n % 6, hours=2 + n % 5, minutes=7 * n), level, tags, comment))
    for week in range(1, 9):  # the eight weeks before: a few of each kind, spread out
        for level, tags, comment in rng.sample(EVERYDAY, 6):
            planned.append(
                (
                    now - timedelta(days=7 * week + rng.randint(0, 6), hours=rng.randint(1, 7)),
                    level,
                    tags,
                    comment,
                )
            )
    transactions, inputs = [], []
    for n, (rated_at, level, tags, comment) in enumerate(planned):
        number = f"{PREFIX}{n:05d}"
        transactions.append(
            Transaction(
                number=number,
                item=items[n % len(items)],
                guide_version_id=items[n % len(items)].current_guide_id,
                unit=hall,
                window=windows[n % len(windows)],
                staff=staff[n % len(staff)],
                channel="device",
                status="finished",
                received_at=rated_at - timedelta(hours=1),
                finished_at=rated_at - timedelta(minutes=3),
            )
        )
        inputs.append(
            EvaluationInput(
                transaction=number,
                level=level,
                channel="device",
                reason_tags=tags,
                comment=comment,
                rated_at=rated_at,
            )
        )
    Transaction.objects.bulk_create(transactions)
    outcomes = evaluations_submit(actor=actor, items=inputs, now=now)
    return sum(o.status == "created" for o in outcomes)
