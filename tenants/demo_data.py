"""Realistic demo content for a tenant: catalogue, organisation, devices and a few thousand ratings.

Deterministic (seeded by the tenant's slug) and idempotent: a tenant that already has a catalogue is left
alone. Everything goes through the same services the product uses, so the demo is what users would see.
"""

import random
from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.appeals.demo import appeals_demo_seed
from tenants.cases.demo import cases_demo_seed
from tenants.catalog.models import ServiceItem
from tenants.catalog.services import item_create
from tenants.evaluations.models import Transaction
from tenants.evaluations.services import EvaluationInput, evaluations_submit
from tenants.insight.reports.services import reports_demo_seed
from tenants.insight.services import rollups_rebuild
from tenants.insight.textmining.demo import textmining_demo_seed
from tenants.organisation.models import Unit, UnitKind
from tenants.organisation.services import device_register, platform_create, staff_create, unit_create
from tenants.portal.demo import portal_demo_seed
from tenants.setup.services import setup_step_mark

GENERAL_ITEMS = [
    ("licensing", "食品经营许可证核发", 10, "promised"),
    ("licensing", "公共场所卫生许可证核发", 10, "promised"),
    ("licensing", "建设工程规划许可证核发", 15, "promised"),
    ("licensing", "药品零售企业经营许可", 15, "promised"),
    ("licensing", "道路运输经营许可", 10, "promised"),
    ("confirmation", "不动产登记（转移登记）", 5, "promised"),
    ("confirmation", "企业设立登记", 1, "promised"),
    ("confirmation", "个体工商户注册登记", 0, "immediate"),
    ("confirmation", "户口迁移", 5, "promised"),
    ("confirmation", "婚姻登记", 0, "immediate"),
    ("public_service", "社会保障卡申领", 5, "promised"),
    ("public_service", "医保关系转移接续", 10, "promised"),
    ("public_service", "住房公积金提取", 3, "promised"),
    ("public_service", "城乡居民养老保险参保登记", 0, "immediate"),
    ("public_service", "居民身份证换领", 20, "promised"),
    ("public_service", "出生医学证明办理", 0, "immediate"),
    ("payment", "高龄津贴申领", 10, "promised"),
    ("payment", "失业保险金申领", 10, "promised"),
    ("payment", "残疾人两项补贴申领", 15, "promised"),
    ("other_power", "特种设备使用登记", 15, "promised"),
    ("other_power", "消防验收备案", 15, "promised"),
    ("levy", "城镇污水排入排水管网许可", 15, "promised"),
]
TAX_ITEMS = [
    ("confirmation", "税务登记信息确认", 0, "immediate"),
    ("public_service", "增值税发票领用", 0, "immediate"),
    ("public_service", "个人所得税综合所得汇算清缴", 0, "immediate"),
    ("levy", "二手房交易税费申报", 0, "immediate"),
    ("public_service", "纳税信用等级评价结果查询", 0, "immediate"),
    ("confirmation", "跨区域涉税事项报告", 0, "immediate"),
    ("public_service", "出口退（免）税备案", 5, "promised"),
    ("confirmation", "税收减免备案", 5, "promised"),
    ("public_service", "完税证明开具", 0, "immediate"),
    ("other_power", "非正常户解除", 5, "promised"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = [
    "敏",
    "伟",
    "芳",
    "娜",
    "强",
    "磊",
    "静",
    "洋",
    "艳",
    "勇",
    "军",
    "杰",
    "娟",
    "涛",
    "超",
    "霞",
    "平",
    "刚",
]
GOOD_COMMENTS = [
    "办事效率很高，点赞",
    "工作人员很耐心，解释得很清楚",
    "一次就办好了，不用跑第二趟",
    "",
    "",
    "",
    "",
    "网上预约很方便",
    "窗口服务热情",
]
BAD = [
    (["long_wait"], "等了一个多小时还没叫号"),
    (["extra_materials"], "现场要求的材料和网上办事指南不一样，又要回去开证明"),
    (["attitude"], "窗口人员态度生硬，问两句就不耐烦"),
    (["system_inconvenient"], "网上系统老是卡顿，提交不了"),
    (["multiple_trips"], "来回跑了三趟才办成"),
    (["guide_unclear", "extra_conditions"], "办事指南写得不清楚，到了现场又说要先去另一个部门盖章"),
    (["overdue"], "承诺五个工作日，过了两周还没有结果"),
]
CHANNEL_MIX = [
    ("device", 40),
    ("web", 25),
    ("app", 15),
    ("qr", 8),
    ("miniprogram", 5),
    ("hotline", 3),
    ("kiosk", 2),
    ("sms", 1),
    ("paper", 1),
]


DEPARTMENT_HALLS = [
    "市场监管服务大厅",
    "社会保障服务大厅",
    "不动产登记中心",
    "出入境办证大厅",
    "医疗保障服务大厅",
]


def _level(rng: random.Random) -> int:
    return rng.choices([1, 2, 3, 4, 5], weights=[62, 26, 7, 3, 2])[0]


def _phone(rng: random.Random) -> str:
    return "1" + rng.choice("3578") + "".join(rng.choice("0123456789") for _ in range(9))


def demo_content_seed(*, slug: str, region_code: str, ratings: int = 4000) -> bool:
    """Fill one demo tenant. Returns False when it already has content."""
    with schema_context(slug):
        if ServiceItem.objects.exists():
            return False
        rng = random.Random(slug)
        actor = Actor.system("demo-seed")
        units, windows, staff = _organisation(actor, rng, slug, region_code)
        items = [
            item_create(
                actor=actor,
                code=f"{region_code}{n:06d}",
                name=name,
                item_type=kind,
                publish=True,
                legal_basis="《中华人民共和国行政许可法》及相关法律法规",
                responsible_unit=rng.choice(units),
                accepting_unit=rng.choice(units).name,
                time_limit_days=days,
                promise_type=promise,
                materials=["申请表", "身份证明材料", "相关证明文件"],
                steps=["申请", "受理", "审查", "决定", "送达"],
                channels=["窗口办理", "网上办理"],
                evaluation_channels=["评价器", "二维码", "网上评价"],
            )
            for n, (kind, name, days, promise) in enumerate(
                TAX_ITEMS if slug == "bjtax" else GENERAL_ITEMS, 1
            )
        ]
        for code, name, kind in [
            ("WEB", "政务服务网", "web"),
            ("APP", "政务服务App", "app"),
            ("MP", "政务服务小程序", "miniprogram"),
            ("12345", "12345政务服务便民热线", "hotline"),
        ]:
            platform_create(actor=actor, code=code, name=name, kind=kind)
        for window in windows[:6]:
            device_register(actor=actor, code=f"DEV-{window.code}", name="评价器", window=window)
        _ratings(actor, rng, items, windows, staff, ratings)
        # the closed loop at work: cases in every state, and appeals (one upheld, one pending)
        from tenants.demo import DEMO_PASSWORD  # late: tenants.demo imports this module

        cases_demo_seed(actor=actor, rng=rng, password=DEMO_PASSWORD)
        appeals_demo_seed(actor=actor, rng=rng, password=DEMO_PASSWORD)
        textmining_demo_seed(actor=actor)  # eight weeks of varied comments and one concentrated problem
        portal_demo_seed(actor=actor)  # the portal's settings and consented comments (scrubbed when shown)
        rollups_rebuild()  # the dashboards show the seed at once (the worker would within seconds)
        reports_demo_seed(actor=actor)  # last month's report, published on the portal
        setup_step_mark(
            actor=actor, key="evaluation", state="done"
        )  # the rest of the checklist is done by data
        return True


def _organisation(actor: Actor, rng: random.Random, slug: str, region_code: str):
    departments = [
        unit_create(
            actor=actor,
            code=f"{slug.upper()}-D{n:02d}",
            name=name,
            kind=UnitKind.DEPARTMENT,
            region_code=region_code,
        )
        for n, name in enumerate(
            [
                "政务服务数据管理局",
                "市场监督管理局",
                "人力资源和社会保障局",
                "自然资源局",
                "公安局",
                "医疗保障局",
            ],
            1,
        )
    ]
    hall = unit_create(
        actor=actor,
        code=f"{slug.upper()}-H01",
        name="政务服务中心综合大厅",
        kind=UnitKind.HALL,
        parent=departments[0],
    )
    windows = [
        unit_create(
            actor=actor,
            code=f"{slug.upper()}-W{n:02d}",
            name=f"{chr(64 + (n + 1) // 2)}{n:02d} 综合受理窗口",
            kind=UnitKind.WINDOW,
            parent=hall,
        )
        for n in range(1, 13)
    ]
    station = unit_create(
        actor=actor,
        code=f"{slug.upper()}-S01",
        name="街道便民服务站",
        kind=UnitKind.STATION,
        parent=departments[0],
    )
    windows.append(
        unit_create(
            actor=actor,
            code=f"{slug.upper()}-S01W1",
            name="便民服务站窗口",
            kind=UnitKind.WINDOW,
            parent=station,
        )
    )
    # every other department serves in a hall of its own (分厅), so departments and halls can be compared
    halls = [hall, station]
    for n, (department, name) in enumerate(zip(departments[1:], DEPARTMENT_HALLS, strict=True), 2):
        own = unit_create(
            actor=actor, code=f"{slug.upper()}-H{n:02d}", name=name, kind=UnitKind.HALL, parent=department
        )
        halls.append(own)
        windows.extend(
            unit_create(
                actor=actor,
                code=f"{slug.upper()}-H{n:02d}W{w}",
                name=f"{name[:4]}{w:02d}号窗口",
                kind=UnitKind.WINDOW,
                parent=own,
            )
            for w in (1, 2)
        )
    staff = [
        staff_create(
            actor=actor,
            staff_no=f"{slug.upper()}{n:04d}",
            name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", *GIVEN]),
            unit=hall if n <= 16 else halls[2 + (n - 17) % (len(halls) - 2)],
        )
        for n in range(1, 27)
    ]
    units: list[Unit] = [*departments, *halls]
    return units, windows, staff


def _ratings(actor, rng, items, windows, staff, count: int) -> None:
    now = timezone.now()
    channels, weights = zip(*CHANNEL_MIX, strict=True)
    transactions, inputs = [], []
    for n in range(count):
        rated_at = now - timedelta(days=rng.random() * 90, hours=rng.random() * 3)
        rated_at = rated_at.replace(hour=rng.choice([9, 9, 10, 10, 10, 11, 11, 14, 14, 15, 15, 16, 17]))
        if rated_at > now:
            rated_at -= timedelta(days=1)
        window = rng.choice(windows)
        channel = rng.choices(channels, weights)[0]
        on_site = channel in ("device", "qr", "paper", "kiosk")
        number = f"{rated_at:%Y%m%d}{n:06d}"
        transactions.append(
            Transaction(
                number=number,
                item=rng.choice(items),
                unit=window.parent,
                window=window if on_site else None,
                staff=rng.choice([p for p in staff if p.unit_id == window.parent_id] or staff)
                if on_site
                else None,
                channel=channel,
                status="finished",
                received_at=rated_at - timedelta(days=rng.randint(0, 5)),
                finished_at=rated_at - timedelta(minutes=3),
            )
        )
        level = _level(rng)
        tags, comment = rng.choice(BAD) if level >= 4 else ([], rng.choice(GOOD_COMMENTS))
        real_name = level >= 4 and rng.random() < 0.5
        evaluator = (
            {"name": rng.choice(SURNAMES) + rng.choice(GIVEN), "phone": _phone(rng)}
            if real_name
            else {"anonymous": True}
        )
        inputs.append(
            EvaluationInput(
                transaction=number,
                level=level,
                channel=channel,
                reason_tags=list(tags),
                comment=comment,
                evaluator=evaluator,
                rated_at=rated_at,
            )
        )
    for txn in transactions:
        txn.guide_version_id = txn.item.current_guide_id
        txn.promise_type = txn.item.current_guide.promise_type
    Transaction.objects.bulk_create(transactions, batch_size=1000)
    for start in range(0, len(inputs), 1000):
        evaluations_submit(actor=actor, items=inputs[start : start + 1000], now=now)
