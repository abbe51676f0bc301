"""Demo appeals for a demo tenant: the rated staff member of a recent bad review appeals twice; a reviewer
above the hall upholds one (the rating leaves the indicators) and the other awaits its decision.

Runs in the current schema, through the same services the product uses. Idempotent: a tenant that already
has appeals is left alone. Not wired into tenants/demo_data.py here (the demo's owner does that).
"""

import random
import struct
import zlib
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from tenants.accounts.actors import Actor
from tenants.accounts.models import User
from tenants.accounts.roles import Role
from tenants.accounts.services import user_create
from tenants.appeals.models import Appeal, AppealState
from tenants.appeals.selectors import DeciderScope, appeal_settings, scope_covers
from tenants.appeals.services import EvidenceUpload, appeal_decide, appeal_file
from tenants.evaluations.models import Evaluation
from tenants.organisation.models import Membership, Staff, Unit
from tenants.organisation.services import membership_set

STATEMENTS = [
    "评价时段本人正在为另一位办事群众办理业务，该评价对应的办件并非本窗口受理，请求复核。",
    "办事人所反映的材料要求系办事指南明确规定，本人已一次性告知，现提供告知单及现场录像截图。",
]
UPHOLD_NOTE = "经调取叫号记录和现场录像核实，该办件由其他窗口受理，评价对象有误，申诉成立，该评价不计入统计。"


def _png() -> bytes:
    """A valid 1×1 PNG, standing in for a screenshot of the queue system."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
        + chunk(b"IEND", b"")
    )


def _email(local: str) -> str:
    return f"{local}@{connection.schema_name}.demo.haochaping.cn"


def _appellant(actor: Actor, staff: Staff, password: str | None) -> User:
    """The staff member's account (an existing one tied to the Staff record, or a new window-staff login)."""
    linked = Membership.objects.select_related("user").filter(staff=staff).first()
    if linked is not None:
        return linked.user
    user = user_create(
        actor=actor,
        email=_email(f"staff-{staff.staff_no.lower()}"),
        role=Role.WINDOW_STAFF,
        password=password,
        display_name=staff.name,
    )
    membership_set(actor=actor, user=user, unit=staff.unit, staff=staff)
    return user


def _reviewer(actor: Actor, appeal: Appeal, password: str | None) -> User:
    """A supervisor placed at the top of the rated unit's branch when that may decide the appeal, else
    tenant-wide (no Membership)."""
    user = user_create(
        actor=actor,
        email=_email("appeals-reviewer"),
        role=Role.SUPERVISOR,
        password=password,
        display_name="申诉复核员",
    )
    top = Unit.objects.get(pk=int(appeal.rated_unit.path.strip("/").split("/")[0]))
    if scope_covers(DeciderScope(tenant_wide=False, unit=top, user_id=user.pk), appeal):
        membership_set(actor=actor, user=user, unit=top)
    return user


@transaction.atomic
def appeals_demo_seed(*, actor: Actor, rng: random.Random, password: str | None = None) -> list[Appeal]:
    """File two appeals against recent bad ratings of one staff member: one upheld, one pending. Returns the
    appeals filed ([] when the tenant already has appeals or has no bad rating of a staff member in the
    filing period)."""
    if Appeal.objects.exists():
        return []
    now = timezone.now()
    since = now - timedelta(days=appeal_settings().filing_days) + timedelta(hours=1)
    candidates = list(
        Evaluation.objects.filter(
            is_current=True,
            is_bad=True,
            excluded=False,
            rated_at__gte=since,
            rated_at__lte=now,
            transaction__staff__isnull=False,
        )
        .select_related("transaction__staff__unit", "transaction__unit")
        .order_by("-rated_at", "-id")[:200]
    )
    if not candidates:
        return []
    staff = rng.choice(candidates).transaction.staff
    ratings = [e for e in candidates if e.transaction.staff_id == staff.pk][:2]
    appellant = _appellant(actor, staff, password)
    filed = [
        appeal_file(
            actor=appellant.actor,
            evaluation=rating,
            statement=STATEMENTS[n],
            kind="staff",
            evidence=[EvidenceUpload(name="叫号系统截图.png", data=_png())] if n == 0 else [],
            now=now,
        )
        for n, rating in enumerate(ratings)
    ]
    reviewer = _reviewer(actor, filed[0], password)
    appeal_decide(
        actor=reviewer.actor, appeal=filed[0], decision=AppealState.UPHELD, note=UPHOLD_NOTE, now=now
    )
    return filed
