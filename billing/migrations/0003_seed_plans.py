"""The three plans every deployment starts with; national staff edit prices and limits afterwards."""

from decimal import Decimal

from django.db import migrations

PLANS = [
    dict(
        code="basic",
        name="基础版",
        audience="县区、单个部门或一个服务大厅",
        max_halls=1,
        max_windows=10,
        max_devices=10,
        max_staff=20,
        api_access=False,
        reports=False,
        public_portal=True,
        national_feed=False,
        trial_days=30,
        monthly_price=98000,
        sort_order=1,
    ),
    dict(
        code="standard",
        name="标准版",
        audience="地市及其区县、部门和大厅",
        max_halls=10,
        max_windows=100,
        max_devices=150,
        max_staff=300,
        api_access=True,
        reports=True,
        public_portal=True,
        national_feed=True,
        trial_days=30,
        monthly_price=498000,
        price_per_rating=Decimal("0.5000"),
        highlighted=True,
        sort_order=2,
    ),
    dict(
        code="flagship",
        name="旗舰版",
        audience="省级平台，含所辖市县",
        api_access=True,
        reports=True,
        public_portal=True,
        national_feed=True,
        trial_days=30,
        monthly_price=1980000,
        sort_order=3,
    ),
]


def seed(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for fields in PLANS:
        Plan.objects.update_or_create(code=fields["code"], defaults=fields)


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_plan_reseller_billing_model_and_more")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
