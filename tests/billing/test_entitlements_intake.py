"""Citizens can always rate: a tenant on the smallest plan, over every limit and without a single feature,
still takes ratings on every channel and handles its bad reviews and appeals. Billing state never blocks
evaluation intake or the closed loop, and no code reachable from an intake or closed-loop URL calls the entitlement
check (a static call graph of the project's functions, tests/billing/intake_reach.py)."""

import uuid

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from billing.entitlements import COUNTED, EntitlementExceeded, entitlement_check
from billing.gate import ALWAYS, OPEN_NAMES, OPEN_ROUTE_PREFIXES
from billing.models import Plan
from tenants.accounts.roles import Role
from tenants.appeals.models import Appeal
from tenants.cases.models import Case
from tenants.channels.tokens import window_token
from tenants.evaluations.models import Evaluation
from tests.appeals.conftest import FILED, RATED, client_of, member
from tests.billing.entitlement_fixtures import billing_on, english, on_plan  # noqa: F401
from tests.billing.intake_reach import path_to_plan_check, tenant_urls, view_entries
from tests.conftest import host_client, key_client
from tests.supervision.conftest import rate_transactions

pytestmark = pytest.mark.usefixtures("english", "billing_on")
# Routes the billing gate keeps open that are not intake or the closed loop: the billing pages, signing in, the
# invitation link, support access, data export, and the public portal (a plan feature: it checks its switch).
NOT_INTAKE = ("billing/", "accounts/", "setup/invite/", "support-access/", "insight/exports/", "portal/")
# A few of the URLs that must be among them (the selection below is not empty by accident).
KNOWN_INTAKE = {
    "api-evaluations",
    "api-evaluations-bulk",
    "api-widget-evaluations",
    "api-sms-inbound",
    "channels-device",
    "channels-window-rate",
    "assisted-paper-enter",
    "cases-action",
    "api-case-contact",
    "api-appeals",
    "appeals-new",
    "supervision-survey-public",
    "evaluation-reveal",
    "insight-comments-ledger-new",
}


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


def intake_and_closed_loop_urls() -> list[tuple[str, str, object]]:
    """Every URL of a tenant's host that billing must never block: what the billing gate keeps open (citizen
    pages, the intake API, the intake channels staff operate, the closed loop), less NOT_INTAKE."""
    return [
        (route, name, view)
        for route, name, view in tenant_urls()
        if (name in OPEN_NAMES or route.startswith(OPEN_ROUTE_PREFIXES))
        and name not in ALWAYS
        and not route.startswith(NOT_INTAKE)
    ]


def test_no_code_reachable_from_an_intake_or_closed_loop_url_consults_the_plan():
    # given every intake and closed-loop URL and the project code its view can call
    urls = intake_and_closed_loop_urls()
    assert KNOWN_INTAKE - {name for _route, name, _view in urls} == set()
    entries = {name: view_entries(view) for _route, name, view in urls}
    assert [name for name, found in entries.items() if not found] == []  # every view's code is seen
    # when following every call from those views through the project's functions
    chains = {name: path_to_plan_check(found) for name, found in entries.items()}
    # then none reaches the plan check
    assert {name: chain for name, chain in chains.items() if chain} == {}


def test_the_reach_analysis_sees_the_plan_check_behind_an_administrative_page():
    # the same analysis finds the check behind pages that do consult the plan (so it would see a new one)
    urls = {name: view for _route, name, view in tenant_urls()}
    assert path_to_plan_check(view_entries(urls["api-keys-page"])) == [
        "tenants.accounts.views:api_keys",
        "tenants.accounts.services:api_key_create",
        "billing.entitlements.entitlement_check",
    ]
    assert path_to_plan_check(view_entries(urls["setup-staff"]))[-2:] == [
        "tenants.accounts.services:user_create",
        "billing.entitlements.entitlement_check",
    ]
