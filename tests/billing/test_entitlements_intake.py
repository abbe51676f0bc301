"""Citizens can always rate: a tenant on the smallest plan, over every limit and without a single feature,
still takes ratings on every channel and handles its bad reviews and appeals. Billing state never blocks
evaluation intake or the closed loop, and no module on that path calls the entitlement check."""

import re
import uuid
from pathlib import Path

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from billing.entitlements import COUNTED, EntitlementExceeded, entitlement_check
from billing.models import Plan
from tenants.accounts.roles import Role
from tenants.appeals.models import Appeal
from tenants.cases.models import Case
from tenants.channels.tokens import window_token
from tenants.evaluations.models import Evaluation
from tests.appeals.conftest import FILED, RATED, client_of, member
from tests.billing.entitlement_fixtures import billing_on, english, on_plan  # noqa: F401
from tests.conftest import host_client, key_client
from tests.supervision.conftest import rate_transactions

pytestmark = pytest.mark.usefixtures("english", "billing_on")
ROOT = Path(__file__).resolve().parents[2]
# The intake path and the closed loop: none of these may consult the plan.
CITIZEN_PATHS = [
    "tenants/evaluations",
    "tenants/channels",
    "tenants/assisted",
    "tenants/cases",
    "tenants/appeals",
    "tenants/feed",
    "api/views/capture.py",
    "api/views/channels.py",
    "api/views/assisted.py",
    "api/views/cases.py",
    "api/views/appeals.py",
]


def exhausted(info) -> Plan:
    """The smallest plan, with every limit at zero and every feature off, so the tenant is over them all."""
    Plan.objects.filter(code="basic").update(
        max_halls=0,
        max_windows=0,
        max_devices=0,
        max_staff=0,
        api_access=False,
        reports=False,
        public_portal=False,
        national_feed=False,
    )
    plan = on_plan(info, "basic")
    with schema_context(info.schema):
        for feature in [*COUNTED, "api", "reports", "portal", "national_feed"]:
            with pytest.raises(EntitlementExceeded):
                entitlement_check(feature=feature)
    return plan


def evaluations(schema: str) -> int:
    with schema_context(schema):
        return Evaluation.objects.count()


def test_every_rating_channel_takes_ratings_on_an_exhausted_plan(world):
    # given keys and a window clerk made while the plan allowed them, then the plan exhausted
    info = world.info
    clerk = member(info, Role.WINDOW_STAFF, "paper-clerk", world.hall)
    exhausted(info)
    device = key_client(info.host, world.device_key)
    integration = key_client(info.host, world.integration_key)
    before = evaluations(info.schema)

    # when citizens rate through the API (a device, a business system), in bulk, the widget,
    # the window QR page, and a clerk enters a paper form
    single = device.post(
        "/api/v1/evaluations",
        {"transaction": "PLAN-1", "level": 1, "channel": "device", "item_code": "ITEM-001"},
        content_type="application/json",
    )
    bulk = device.post(
        "/api/v1/evaluations/bulk",
        {
            "items": [
                {
                    "idempotency_key": str(uuid.uuid4()),
                    "transaction": f"PLAN-B{i}",
                    "level": 2,
                    "channel": "device",
                    "reason_tags": [],
                    "rated_at": timezone.now().isoformat(),
                    "item_code": "ITEM-001",
                }
                for i in range(2)
            ]
        },
        content_type="application/json",
    )
    web = integration.post(
        "/api/v1/evaluations",
        {
            "transaction": "PLAN-I",
            "level": 1,
            "channel": "web",
            "item_code": "ITEM-001",
            "unit_code": "D01",
            "platform_code": "WEB",
        },
        content_type="application/json",
    )
    widget = integration.post(
        "/api/v1/widget/evaluations",
        {"transaction": "PLAN-W", "level": 1, "item_code": "ITEM-001", "unit_code": "D01"},
        content_type="application/json",
        HTTP_ORIGIN="https://zwfw.example.gov.cn",
        HTTP_IDEMPOTENCY_KEY="plan-w",
    )
    with schema_context(info.schema):
        qr_url = f"/q/{window_token(world.window.pk)}/"
    qr_page = host_client(info.host).get(qr_url)
    qr = host_client(info.host).post(qr_url, {"item": "ITEM-001", "level": "1", "nonce": "0" * 32})
    device_page = host_client(info.host).get("/device/")
    paper = client_of(info, clerk).post(
        "/assisted/paper/enter",
        {
            "entry_token": "plan-paper-1",
            "transaction": "",
            "item_code": "ITEM-001",
            "window_code": "W01",
            "level": "2",
            "comment": "",
            "form_date": timezone.localdate().isoformat(),
        },
    )

    # then every one is stored
    assert single.status_code == 201, single.content
    assert bulk.status_code in (200, 201) and bulk.json()["created"] == 2, bulk.content
    assert web.status_code == 201, web.content
    assert widget.status_code == 201, widget.content
    assert qr_page.status_code == 200 and qr.status_code in (200, 302), qr.content[:500]
    assert device_page.status_code == 200
    assert paper.status_code == 302, paper.content[:500]
    assert evaluations(info.schema) == before + 7


def test_bad_reviews_are_handled_and_appealed_on_an_exhausted_plan(world, time_machine):
    # given people placed before the plan was exhausted
    info = world.info
    officer = member(info, Role.OFFICER, "plan-officer", world.department)
    staff = member(info, Role.WINDOW_STAFF, "plan-staff", world.hall, world.staff)
    reviewer = member(info, Role.SUPERVISOR, "plan-reviewer", world.department)
    exhausted(info)

    # when citizens rate badly (real intake), the officer works the case and the staff member appeals
    ids = rate_transactions(world, 2, start=RATED, level=5, prefix="B")
    with schema_context(info.schema):
        ratings = list(Evaluation.objects.filter(pk__in=ids).order_by("pk"))
        case = Case.objects.get(evaluation=ratings[0])
    handler = client_of(info, officer)
    assign = handler.post(f"/api/v1/cases/{case.pk}/assign", {}, content_type="application/json")
    contact = handler.post(
        f"/api/v1/cases/{case.pk}/contact",
        {"at": timezone.now().isoformat(), "method": "phone", "reached": True, "summary": "已联系"},
        content_type="application/json",
    )
    time_machine.move_to(FILED, tick=False)
    filed = client_of(info, staff).post(
        "/api/v1/appeals",
        {"evaluation": ratings[1].pk, "statement": "评价对象有误。"},
        content_type="application/json",
    )
    decided = client_of(info, reviewer).post(
        f"/api/v1/appeals/{filed.json()['id']}/decision",
        {"decision": "upheld", "note": "叫号记录显示评价对象有误。"},
        content_type="application/json",
    )

    # then the loop goes on as on any plan
    assert (assign.status_code, contact.status_code) == (200, 200), contact.content
    assert contact.json()["state"] == "contacted"
    assert filed.status_code == 201, filed.content
    assert decided.status_code == 200 and decided.json()["state"] == "upheld"
    with schema_context(info.schema):
        assert Appeal.objects.get(pk=filed.json()["id"]).state == "upheld"


@pytest.mark.parametrize("path", CITIZEN_PATHS)
def test_no_module_on_the_intake_path_or_in_the_closed_loop_consults_the_plan(path):
    target = ROOT / path
    files = [target] if target.is_file() else sorted(target.rglob("*.py"))
    assert files, path
    offenders = [
        str(f.relative_to(ROOT))
        for f in files
        if re.search(r"billing\.entitlements|entitlement_check|entitlement_allowed", f.read_text())
    ]
    assert offenders == []
