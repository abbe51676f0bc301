"""Every tenant schema starts with the standard policy and the typical bad-review reason tags (DOMAIN §11).
It runs in the template schema too, so tenants cloned from it are born with them."""

from django.db import migrations

TAGS = [
    ("overdue", "无理由超过法定办理时间", False),
    ("extra_conditions", "在办事指南之外增加新的审批条件", True),
    ("extra_materials", "需提供办事指南之外的申报材料", True),
    ("attitude", "服务态度差", False),
    ("multiple_trips", "多次跑动", False),
    ("system_inconvenient", "系统操作不便", False),
    ("guide_unclear", "办事指南不清晰", True),
    ("long_wait", "窗口等候时间长", False),
]


def seed(apps, schema_editor):
    ReasonTag = apps.get_model("evaluations", "ReasonTag")
    EvaluationPolicy = apps.get_model("evaluations", "EvaluationPolicy")
    if not EvaluationPolicy.objects.exists():
        EvaluationPolicy.objects.create()
    for position, (code, label, points_at_guide) in enumerate(TAGS, start=1):
        ReasonTag.objects.get_or_create(code=code, defaults={"label": label, "points_at_guide": points_at_guide,
                                                             "position": position})


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0002_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
