"""Committed data for the channel browser tests.

gunicorn sees only committed rows, so these tests write outside any test transaction (django_db_blocker
unblocked, autocommit) and delete everything they made afterwards. While Playwright runs, the ORM may not be
used on the main thread (its event loop counts as "async"), so reads go through `in_thread`.
"""

import hashlib
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.db import connections
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import ApiKey, AuditEvent
from tenants.accounts.roles import Role
from tenants.accounts.services import api_key_create
from tenants.catalog.models import GuideVersion, ServiceItem
from tenants.evaluations.models import Channel, Evaluation, Transaction
from tenants.evaluations.services import TransactionInput, transaction_register
from tenants.organisation.models import Device, Unit, UnitKind
from tenants.organisation.services import device_register


@dataclass
class BrowserWorld:
    schema: str
    tag: str  # unique suffix of every code made here
    window_name: str
    hall_name: str
    item_code: str
    unit_code: str
    registered_txn: str
    device_id: int
    device_key: str
    integration_key: str
    audit_floor: int


def in_thread(blocker, fn):
    """Run an ORM function on a fresh connection in another thread (committed data only)."""

    def run():
        try:
            return fn()
        finally:
            connections.close_all()

    with blocker.unblock(), ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def build(schema: str) -> BrowserWorld:
    tag = uuid.uuid4().hex[:6].upper()
    actor = Actor.system("browser tests")
    with schema_context(schema):
        audit_floor = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        department = Unit.objects.create(code=f"BD-{tag}", name="浏览器测试局", kind=UnitKind.DEPARTMENT)
        department.path = f"/{department.pk}/"
        department.save(update_fields=["path"])
        hall = Unit.objects.create(
            code=f"BH-{tag}", name="测试政务服务大厅", kind=UnitKind.HALL, parent=department
        )
        hall.path = f"{department.path}{hall.pk}/"
        hall.save(update_fields=["path"])
        window = Unit.objects.create(
            code=f"BW-{tag}", name=f"B{tag} 综合窗口", kind=UnitKind.WINDOW, parent=hall
        )
        window.path = f"{hall.path}{window.pk}/"
        window.save(update_fields=["path"])
        item = ServiceItem.objects.create(
            code=f"BITEM-{tag}", name="营业执照办理", item_type="licensing", status="published"
        )
        guide = GuideVersion.objects.create(
            item=item, version=1, time_limit_days=3, published_at=timezone.now()
        )
        item.current_guide = guide
        item.save(update_fields=["current_guide"])
        device, device_key = device_register(actor=actor, code=f"BDEV-{tag}", name="评价器", window=window)
        _key, integration_key = api_key_create(actor=actor, name=f"web {tag}", role=Role.INTEGRATION)
        txn = transaction_register(
            actor=actor,
            data=TransactionInput(
                number=f"BT-{tag}-1",
                item_code=item.code,
                unit_code=hall.code,
                window_code=window.code,
                channel=Channel.DEVICE,
                finished_at=timezone.now(),
            ),
        )
    return BrowserWorld(
        schema=schema,
        tag=tag,
        window_name=window.name,
        hall_name=hall.name,
        item_code=item.code,
        unit_code=hall.code,
        registered_txn=txn.number,
        device_id=device.pk,
        device_key=device_key,
        integration_key=integration_key,
        audit_floor=audit_floor,
    )


def evaluations(world: BrowserWorld) -> list[dict]:
    with schema_context(world.schema):
        return list(
            Evaluation.objects.filter(transaction__item__code=world.item_code)
            .order_by("id")
            .values(
                "id",
                "level",
                "channel",
                "reason_tags",
                "comment",
                "comment_public",
                "idempotency_key",
                "device_id",
                "transaction__number",
                "transaction__window__code",
            )
        )


def tear_down(world: BrowserWorld) -> None:
    from api.models import IdempotencyRecord

    with schema_context(world.schema):
        Evaluation.objects.filter(transaction__item__code=world.item_code).delete()
        Transaction.objects.filter(item__code=world.item_code).delete()
        device = Device.objects.get(pk=world.device_id)
        key_ids = [device.api_key_id]
        device.delete()
        for plaintext in (world.device_key, world.integration_key):
            principal = "auth:" + hashlib.sha256(f"Api-Key {plaintext}".encode()).hexdigest()[:40]
            IdempotencyRecord.objects.filter(principal=principal).delete()
        key_ids += list(ApiKey.objects.filter(name=f"web {world.tag}").values_list("id", flat=True))
        ApiKey.objects.filter(pk__in=key_ids).delete()
        ServiceItem.objects.filter(code=world.item_code).update(current_guide=None)
        ServiceItem.objects.filter(code=world.item_code).delete()
        for prefix in ("BW", "BH", "BD"):
            Unit.objects.filter(code=f"{prefix}-{world.tag}").delete()
        AuditEvent.objects.filter(id__gt=world.audit_floor, actor_label="browser tests").delete()
