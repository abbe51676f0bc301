"""What a plan allows, checked by the one function (billing.entitlements.entitlement_check) in the services:
each counted limit allows its last unit and refuses one more (on the page with a link to /billing/, in the API
as a 403 `plan-limit` problem), imports are refused as a whole, switches refuse what the plan lacks."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from billing.entitlements import EntitlementExceeded, entitlement_allowed, entitlement_check
from billing.models import Plan
from tenants.accounts.actors import Actor
from tenants.accounts.models import ApiKey, AuditEvent, User
from tenants.accounts.roles import Role
from tenants.accounts.services import api_key_create, api_key_revoke, user_create
from tenants.assisted.services.sms import sms_invitation_send
from tenants.catalog.models import ImportStatus
from tenants.evaluations.models import Evaluation
from tenants.evaluations.services import TransactionInput, transaction_register
from tenants.insight.reports.models import Report, ReportSchedule
from tenants.insight.reports.services import (
    report_request,
    report_schedule_create,
    report_schedule_run,
    report_schedule_set_active,
)
from tenants.organisation.models import Device, Unit, UnitKind
from tenants.organisation.services import device_register, unit_create, unit_update
from tests.billing.entitlement_fixtures import admin_client, billing_on, english, on_plan, used  # noqa: F401
from tests.catalog.helpers import csv_file, run_import
from tests.conftest import host_client, key_client, make_key

SYSTEM = Actor.system("tests")
UNIT_HEADER = ["单位编码*", "单位名称*", "单位类型*", "上级单位编码", "行政区划代码", "是否启用"]
UPGRADE_LINK = 'href="/billing/"'

pytestmark = pytest.mark.usefixtures("english", "billing_on")


SMS_PHONE = "13800138000"


def sms_invitation(info, number: str) -> None:
    """A transaction and the SMS inviting its applicant to rate it (as staff send it from the SMS page)."""
    with schema_context(info.schema):
        transaction_register(
            actor=SYSTEM,
            data=TransactionInput(
                number=number, item_code="ITEM-001", unit_code="H01", window_code="W01", channel="web"
            ),
        )
        sms_invitation_send(actor=SYSTEM, transaction_number=number, phone=SMS_PHONE, sender="甲省")


def unit_form(code: str, kind: str = "window", parent: str = "H01", active: bool = True) -> dict:
    body = {"code": code, "name": f"单位 {code}", "kind": kind, "parent": parent, "region_code": ""}
    if active:
        body["active"] = "on"
    return body


def unit_codes(schema: str) -> set[str]:
    with schema_context(schema):
        return set(Unit.objects.values_list("code", flat=True))


# --- the one function ----------------------------------------------------------------------------------------
def test_the_check_names_the_plan_the_limit_and_the_upgrade_path(world):
    plan = on_plan(world.info, "basic", max_windows=used(world.info, "windows"))
    with schema_context(world.info.schema), pytest.raises(EntitlementExceeded) as refused:
        entitlement_check(feature="windows")
    exc = refused.value
    assert (exc.feature, exc.limit, exc.plan, exc.code) == ("windows", plan.max_windows, plan, "entitlement")
    assert isinstance(exc, ValidationError)
    assert (
        "基础版" in exc.text and f"allows {plan.max_windows} windows" in exc.text and "/billing/" in exc.text
    )
    assert exc.messages == [exc.text] and exc.message_dict == {"__all__": [exc.text]}


def test_the_control_plane_is_never_limited(alpha):
    # given a tenant whose plan allows no more staff and no API
    on_plan(alpha, "basic", max_staff=0, api_access=False)
    with schema_context("public"):
        # then on the control plane (no tenant) the check allows anything, and national staff are added
        assert entitlement_allowed(feature="staff", adding=10_000) is True
        assert entitlement_allowed(feature="api") is True
        national = user_create(actor=SYSTEM, email="national-2@test.example", role=Role.NATIONAL_STAFF)
        assert User.objects.filter(pk=national.pk, is_active=True).exists()
        # while the same check for the tenant refuses
        assert entitlement_allowed(tenant=alpha.tenant, feature="staff") is False
        assert entitlement_allowed(tenant=alpha.tenant, feature="api") is False


def test_billing_disabled_puts_everyone_on_the_default_plan(world, settings):
    # given billing off, a subscription on the unlimited plan, and the default plan full
    on_plan(world.info, "flagship")
    settings.STRIPE_API_KEY = ""
    settings.BILLING_DEFAULT_PLAN = "basic"
    Plan.objects.filter(code="basic").update(max_windows=used(world.info, "windows"))
    # when / then: the default plan decides, the subscription is ignored
    with schema_context(world.info.schema), pytest.raises(EntitlementExceeded) as refused:
        unit_create(actor=SYSTEM, code="W-OFF", name="窗口", kind="window", parent=world.hall)
    assert refused.value.plan.code == "basic"
    assert "W-OFF" not in unit_codes(world.info.schema)


def test_an_unlimited_plan_takes_anything(world):
    on_plan(world.info, "flagship")
    with schema_context(world.info.schema):
        assert entitlement_allowed(feature="windows", adding=1_000_000) is True
        assert entitlement_allowed(feature="national_feed") is True
        unit_create(actor=SYSTEM, code="W-UNL", name="窗口", kind="window", parent=world.hall)
    assert "W-UNL" in unit_codes(world.info.schema)
    # the same request on a limited plan is refused
    on_plan(world.info, "basic")
    with schema_context(world.info.schema):
        assert entitlement_allowed(feature="windows", adding=1_000_000) is False
        assert entitlement_allowed(feature="national_feed") is False


# --- halls and windows: the form, the reactivation, the kind change ------------------------------------------
def test_the_unit_form_allows_the_last_window_and_refuses_the_next_with_a_link(world):
    limit = used(world.info, "windows") + 1
    on_plan(world.info, "basic", max_windows=limit)
    admin = admin_client(world.info)

    allowed = admin.post("/organisation/units/new/", unit_form("W02"))
    refused = admin.post("/organisation/units/new/", unit_form("W03"))

    assert allowed.status_code == 302
    assert refused.status_code == 400
    page = refused.content.decode()
    assert (
        f"Your plan (基础版) allows {limit} windows and {limit} are in use" in page and UPGRADE_LINK in page
    )
    assert {"W02", "W03"} & unit_codes(world.info.schema) == {"W02"}


def test_the_unit_form_allows_the_last_hall_and_refuses_the_next(world):
    on_plan(world.info, "basic", max_halls=used(world.info, "halls") + 1)
    admin = admin_client(world.info)

    assert admin.post("/organisation/units/new/", unit_form("H02", "hall", "D01")).status_code == 302
    refused = admin.post("/organisation/units/new/", unit_form("H03", "hall", "D01"))

    assert refused.status_code == 400 and "halls" in refused.content.decode()
    assert UPGRADE_LINK in refused.content.decode()
    assert "H03" not in unit_codes(world.info.schema)


def test_departments_and_service_points_are_not_counted(world):
    on_plan(world.info, "basic", max_halls=0, max_windows=0)
    with schema_context(world.info.schema):
        unit_create(actor=SYSTEM, code="D09", name="部门", kind="department")
        unit_create(actor=SYSTEM, code="P09", name="服务点", kind="service_point")
    assert {"D09", "P09"} <= unit_codes(world.info.schema)


def test_reactivating_a_window_or_turning_a_unit_into_one_counts(world):
    with schema_context(world.info.schema):
        asleep = unit_create(actor=SYSTEM, code="W-OLD", name="旧窗口", kind="window", parent=world.hall)
        unit_update(actor=SYSTEM, unit=asleep, active=False)
        station = unit_create(actor=SYSTEM, code="S-01", name="站点", kind="station", parent=world.hall)
    on_plan(world.info, "basic", max_windows=used(world.info, "windows"))
    admin = admin_client(world.info)

    reactivate = admin.post(f"/organisation/units/{asleep.pk}/edit/", unit_form("W-OLD", parent="H01"))
    with schema_context(world.info.schema):
        with pytest.raises(EntitlementExceeded):
            unit_update(actor=SYSTEM, unit=station, kind=UnitKind.WINDOW)
        renamed = unit_update(
            actor=SYSTEM, unit=world.window, name="改名的窗口"
        )  # an active window: no check
        asleep.refresh_from_db()
        station.refresh_from_db()

    assert reactivate.status_code == 400 and UPGRADE_LINK in reactivate.content.decode()
    assert not asleep.active and station.kind == UnitKind.STATION and renamed.name == "改名的窗口"


# --- imports: the whole batch, before writing -------------------------------------------------------------
def test_an_import_over_the_window_limit_is_refused_as_a_whole(world):
    now = used(world.info, "windows")
    on_plan(world.info, "basic", max_windows=now + 2)
    rows = [[f"W1{i}", f"窗口{i}", "窗口", "H01", "", ""] for i in range(3)]  # three more: one too many
    rows.append(["D05", "新部门", "部门", "", "", ""])

    job = run_import(world.info.schema, csv_file(UNIT_HEADER, rows), kind="units", filename="u.csv")

    assert job.status == ImportStatus.FAILED
    assert f"allows {now + 2} windows and {now} are in use; 3 more would go over it" in job.message
    assert "/billing/" in job.message
    assert not {"W10", "W11", "W12", "D05"} & unit_codes(world.info.schema)


def test_an_import_up_to_the_limit_and_one_that_swaps_windows_go_through(world):
    on_plan(world.info, "basic", max_windows=used(world.info, "windows") + 2)
    two = [[f"W2{i}", f"窗口{i}", "窗口", "H01", "", ""] for i in range(2)]
    first = run_import(world.info.schema, csv_file(UNIT_HEADER, two), kind="units", filename="u.csv")
    # at the limit now: a file closing one window and opening another adds nothing
    swap = [["W20", "窗口0", "窗口", "H01", "", "否"], ["W30", "新窗口", "窗口", "H01", "", "是"]]
    second = run_import(world.info.schema, csv_file(UNIT_HEADER, swap), kind="units", filename="u.csv")
    assert (first.status, second.status) == (ImportStatus.SUCCEEDED, ImportStatus.SUCCEEDED)
    assert {"W20", "W21", "W30"} <= unit_codes(world.info.schema)


def test_an_import_reactivating_halls_over_the_limit_is_refused(world):
    with schema_context(world.info.schema):
        old = unit_create(actor=SYSTEM, code="H-OLD", name="旧大厅", kind="hall", parent=world.department)
        unit_update(actor=SYSTEM, unit=old, active=False)
    on_plan(world.info, "basic", max_halls=used(world.info, "halls"))
    rows = [["H-OLD", "旧大厅", "大厅", "D01", "", "是"]]
    job = run_import(world.info.schema, csv_file(UNIT_HEADER, rows), kind="units", filename="u.csv")
    assert job.status == ImportStatus.FAILED and "halls" in job.message
    with schema_context(world.info.schema):
        assert not Unit.objects.get(code="H-OLD").active


# --- rating devices -------------------------------------------------------------------------------------------
def test_the_device_form_allows_the_last_device_and_refuses_the_next(world):
    on_plan(world.info, "basic", max_devices=used(world.info, "devices") + 1)
    admin = admin_client(world.info)
    body = {"name": "评价器", "window": "W01"}

    allowed = admin.post("/organisation/devices/", {**body, "code": "DEV-2"})
    refused = admin.post("/organisation/devices/", {**body, "code": "DEV-3"})

    assert allowed.status_code == 200 and "hcp_" in allowed.content.decode()  # the new key, shown once
    assert refused.status_code == 400
    assert "rating devices" in refused.content.decode() and UPGRADE_LINK in refused.content.decode()
    with schema_context(world.info.schema):
        assert set(Device.objects.values_list("code", flat=True)) == {"DEV-W01", "DEV-2"}
        assert ApiKey.objects.filter(role=Role.DEVICE, revoked_at__isnull=True).count() == 2


def test_a_device_key_made_through_the_api_counts_as_a_device(world):
    limit = used(world.info, "devices") + 1
    on_plan(world.info, "basic", max_devices=limit)
    admin = key_client(world.info.host, make_key(world.info.schema, Role.TENANT_ADMIN))
    body = {"name": "自助终端", "role": "device"}

    allowed = admin.post("/api/v1/api-keys", body, content_type="application/json")
    refused = admin.post("/api/v1/api-keys", body, content_type="application/json")

    assert allowed.status_code == 201
    assert refused.status_code == 403 and refused["Content-Type"] == "application/problem+json"
    problem = refused.json()
    assert problem["type"].endswith("/plan-limit") and problem["status"] == 403
    assert (problem["feature"], problem["limit"], problem["used"]) == ("devices", limit, limit)
    assert (problem["plan"], problem["plan_name"], problem["upgrade"]) == ("basic", "基础版", "/billing/")
    assert f"allows {limit} rating devices" in problem["detail"]
    with schema_context(world.info.schema):  # a revoked key frees its place
        api_key_revoke(actor=SYSTEM, api_key=ApiKey.objects.get(pk=allowed.json()["id"]))
        device_register(actor=SYSTEM, code="DEV-9", name="评价器", window=world.window)
        assert Device.objects.filter(code="DEV-9").exists()


# --- staff seats ----------------------------------------------------------------------------------------------
def test_the_invitation_form_allows_the_last_seat_and_refuses_the_next(alpha):
    on_plan(alpha, "basic", max_staff=used(alpha, "staff") + 1)
    admin = admin_client(alpha)

    allowed = admin.post("/setup/staff/", {"email": "one@alpha.example", "role": "officer"})
    refused = admin.post("/setup/staff/", {"email": "two@alpha.example", "role": "officer"})

    assert allowed.status_code == 302
    page = refused.content.decode()
    assert refused.status_code == 200 and "staff seats" in page and UPGRADE_LINK in page
    with schema_context(alpha.schema):
        assert User.objects.filter(email="one@alpha.example").exists()
        assert not User.objects.filter(email="two@alpha.example").exists()


def test_support_accounts_machine_keys_and_left_accounts_take_no_seat(alpha):
    on_plan(alpha, "basic", max_staff=used(alpha, "staff"), max_devices=None, api_access=True)
    with schema_context(alpha.schema):
        user_create(actor=SYSTEM, email="support-9@support.invalid", role=Role.AUDITOR)
        api_key_create(actor=SYSTEM, name="窗口系统", role=Role.INTEGRATION)
        api_key_create(actor=SYSTEM, name="评价器", role=Role.DEVICE)
        with pytest.raises(EntitlementExceeded):
            user_create(actor=SYSTEM, email="person@alpha.example", role=Role.OFFICER)
        existing = user_create(
            actor=SYSTEM, email=alpha.admin_email, role=Role.TENANT_ADMIN
        )  # re-run: no seat
        User.objects.filter(pk=existing.pk).update(is_active=False)  # a deactivated account frees its seat
        user_create(actor=SYSTEM, email="person@alpha.example", role=Role.OFFICER)
        assert User.objects.filter(email="person@alpha.example").exists()


# --- API access -------------------------------------------------------------------------------------------------
def test_a_plan_without_api_access_refuses_integration_keys_in_the_api_and_the_page(world):
    on_plan(world.info, "basic")  # api_access off
    api_admin = key_client(world.info.host, make_key(world.info.schema, Role.TENANT_ADMIN))
    with schema_context(world.info.schema):
        before = ApiKey.objects.count()

    for role in ("integration", "work_order"):
        refused = api_admin.post(
            "/api/v1/api-keys", {"name": "系统", "role": role}, content_type="application/json"
        )
        assert refused.status_code == 403, role
        assert refused.json()["type"].endswith("/plan-limit") and refused.json()["feature"] == "api"
        assert refused.json()["limit"] is None and "does not include API access" in refused.json()["detail"]
    page = admin_client(world.info).post("/settings/api-keys/", {"name": "系统", "role": "integration"})

    assert page.status_code == 200 and "does not include API access" in page.content.decode()
    assert UPGRADE_LINK in page.content.decode()
    with schema_context(world.info.schema):
        assert ApiKey.objects.count() == before


def test_a_plan_without_api_access_still_makes_widget_and_sms_gateway_keys_that_take_ratings(world):
    # given basic (no API access) and an SMS invitation sent by staff (the SMS page, not the API)
    on_plan(world.info, "basic")
    api_admin = key_client(world.info.host, make_key(world.info.schema, Role.TENANT_ADMIN))
    sms_invitation(world.info, "T-SMS-BASIC")
    with schema_context(world.info.schema):
        before = Evaluation.objects.count()

    # when the administrator makes a widget key and an SMS gateway key
    widget = api_admin.post(
        "/api/v1/api-keys", {"name": "网站评价组件", "role": "widget"}, content_type="application/json"
    )
    gateway = api_admin.post(
        "/api/v1/api-keys", {"name": "短信网关", "role": "sms_gateway"}, content_type="application/json"
    )

    # then both are made, the widget's rating is taken and the gateway relays a citizen's reply
    assert (widget.status_code, gateway.status_code) == (201, 201), (widget.content, gateway.content)
    rated = key_client(world.info.host, widget.json()["key"]).post(
        "/api/v1/widget/evaluations",
        {"transaction": "BASIC-W", "level": 1, "item_code": "ITEM-001", "unit_code": "D01"},
        content_type="application/json",
        HTTP_ORIGIN="https://zwfw.example.gov.cn",
        HTTP_IDEMPOTENCY_KEY="basic-w",
    )
    relayed = key_client(world.info.host, gateway.json()["key"]).post(
        "/api/v1/sms/inbound",
        {"message_id": "gw-basic-1", "phone": SMS_PHONE, "text": "1"},
        content_type="application/json",
    )
    assert rated.status_code == 201, rated.content
    assert relayed.status_code == 200 and relayed.json()["evaluation_id"], relayed.content
    with schema_context(world.info.schema):
        assert Evaluation.objects.count() == before + 2
    # and the gateway's key relays only: it cannot rate or register on its own
    refused = key_client(world.info.host, gateway.json()["key"]).post(
        "/api/v1/evaluations",
        {"transaction": "BASIC-G", "level": 1, "channel": "device", "item_code": "ITEM-001"},
        content_type="application/json",
    )
    assert refused.status_code == 403


def test_a_plan_with_api_access_makes_integration_keys(world):
    on_plan(world.info, "standard")
    api_admin = key_client(world.info.host, make_key(world.info.schema, Role.TENANT_ADMIN))
    created = api_admin.post(
        "/api/v1/api-keys", {"name": "窗口系统", "role": "integration"}, content_type="application/json"
    )
    assert created.status_code == 201 and created.json()["key"].startswith("hcp_")


# --- reports --------------------------------------------------------------------------------------------------
def test_a_plan_without_reports_refuses_requests_and_schedules_on_the_pages(world):
    on_plan(world.info, "basic")  # reports off
    admin = admin_client(world.info)

    request = admin.post("/insight/reports/new", {"kind": "monthly", "month": "2026-01", "unit": ""})
    schedule = admin.post(
        "/insight/reports/schedules/", {"kind": "monthly", "recipients": "boss@alpha.example", "unit": ""}
    )

    for response in (request, schedule):
        assert response.status_code == 400
        assert "does not include reports" in response.content.decode()
        assert UPGRADE_LINK in response.content.decode()
    with schema_context(world.info.schema):
        assert not Report.objects.exists() and not ReportSchedule.objects.exists()


def test_scheduled_reports_wait_while_the_plan_lacks_reports_and_resume_after_an_upgrade(world):
    on_plan(world.info, "standard")
    with schema_context(world.info.schema):
        schedule = report_schedule_create(actor=SYSTEM, kind="monthly", recipients=["boss@alpha.example"])
        paused = report_schedule_set_active(actor=SYSTEM, schedule=schedule, active=False)
    on_plan(world.info, "basic")
    with schema_context(world.info.schema):
        with pytest.raises(EntitlementExceeded):
            report_schedule_set_active(actor=SYSTEM, schedule=paused, active=True)
        ReportSchedule.objects.filter(pk=schedule.pk).update(active=True)  # active from before the downgrade
        waiting = report_schedule_run(enqueue=False)
        assert waiting == [] and not Report.objects.exists()
    on_plan(world.info, "standard")
    with schema_context(world.info.schema):
        made = report_schedule_run(enqueue=False)
        assert [r.schedule_id for r in made] == [schedule.pk]


def test_a_plan_with_reports_takes_a_request(world):
    on_plan(world.info, "standard")
    with schema_context(world.info.schema):
        report = report_request(
            actor=SYSTEM,
            kind="monthly",
            period_start=date(2026, 1, 1),
            period_end=date(2026, 1, 31),
            enqueue=False,
        )
        assert report.pk and AuditEvent.objects.filter(action="report.request").exists()


# --- cross-tenant: one tenant's plan never limits another --------------------------------------------------
def test_one_tenants_exhausted_plan_does_not_limit_another(world, beta):
    on_plan(world.info, "basic", max_windows=0, max_halls=0, max_staff=0, max_devices=0)
    on_plan(beta, "standard")
    with schema_context(beta.schema):
        hall = unit_create(actor=SYSTEM, code="BH1", name="乙大厅", kind="hall")
        unit_create(actor=SYSTEM, code="BW1", name="乙窗口", kind="window", parent=hall)
        user_create(actor=SYSTEM, email="someone@beta.example", role=Role.OFFICER)
    page = admin_client(beta).post("/organisation/units/new/", unit_form("BW2", parent="BH1"))
    assert page.status_code == 302
    # and alpha's own check, with beta's connection, still counts alpha's schema
    with schema_context(beta.schema), pytest.raises(EntitlementExceeded):
        entitlement_check(tenant=world.info.tenant, feature="windows")
    assert host_client(world.info.host).get("/organisation/units/new/").status_code == 302  # sign-in first
