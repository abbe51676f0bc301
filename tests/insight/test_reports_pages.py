"""Report pages: who may list, download, request, publish and schedule; downloads carry the right type and
name; the progress view; another tenant sees nothing of alpha's reports."""

import io
from datetime import date
from urllib.parse import unquote

import openpyxl
import pytest
from django.utils import translation
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent
from tenants.insight.reports.models import Report, ReportSchedule, ReportStatus
from tenants.insight.reports.services import report_generate, report_request
from tests.conftest import host_client
from tests.supervision.conftest import signed_in

SYSTEM = Actor.system("tests")


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def a_report(info, *, generate: bool = True) -> Report:
    with schema_context(info.schema):
        report = report_request(
            actor=SYSTEM,
            kind="monthly",
            period_start=date(2026, 9, 1),
            period_end=date(2026, 9, 30),
            enqueue=False,
        )
        if generate:
            report_generate(report_id=report.pk)
        return Report.objects.defer("pdf", "xlsx").get(pk=report.pk)


def english(info, role: str):
    client = signed_in(info, role)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_an_officer_lists_and_downloads_but_cannot_request_or_publish(alpha):
    report = a_report(alpha)
    officer = english(alpha, "officer")

    page = officer.get("/insight/reports/")
    assert page.status_code == 200
    assert (
        report.title in page.content.decode() and f"/insight/reports/{report.pk}/pdf" in page.content.decode()
    )
    assert "/insight/reports/new" not in page.content.decode()  # no request link for an officer

    pdf = officer.get(f"/insight/reports/{report.pk}/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"].startswith("attachment;")
    assert "Monthly good-bad review report, 2026-09.pdf" in unquote(pdf["Content-Disposition"])
    assert pdf.content.startswith(b"%PDF")
    xlsx = officer.get(f"/insight/reports/{report.pk}/xlsx")
    assert xlsx["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "2026-09.xlsx" in unquote(xlsx["Content-Disposition"])
    assert "指标" in openpyxl.load_workbook(io.BytesIO(xlsx.content)).sheetnames

    assert officer.get("/insight/reports/new").status_code == 403
    month = {"kind": "monthly", "month": "2026-09"}
    assert officer.post("/insight/reports/new", month).status_code == 403
    assert officer.post(f"/insight/reports/{report.pk}/publish", {"published": "1"}).status_code == 403
    assert officer.get("/insight/reports/schedules/").status_code == 403
    with schema_context(alpha.schema):
        assert Report.objects.count() == 1 and not Report.objects.get().published


def test_window_staff_and_strangers_are_kept_out(alpha):
    report = a_report(alpha)
    staff = english(alpha, "window_staff")
    for url in (
        "/insight/reports/",
        f"/insight/reports/{report.pk}/pdf",
        f"/insight/reports/{report.pk}/progress",
    ):
        assert staff.get(url).status_code == 403
    anonymous = host_client(alpha.host).get(f"/insight/reports/{report.pk}/pdf")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_a_supervisor_requests_a_monthly_report_and_it_is_queued(alpha):
    supervisor = english(alpha, "supervisor")
    assert supervisor.get("/insight/reports/new").status_code == 200

    response = supervisor.post("/insight/reports/new", {"kind": "monthly", "month": "2026-09", "unit": ""})

    assert response.status_code == 302 and response["Location"] == "/insight/reports/"
    with schema_context(alpha.schema):
        report = Report.objects.get()
        assert (report.kind, report.period_start, report.period_end) == (
            "monthly", date(2026, 9, 1), date(2026, 9, 30)
        )  # fmt: skip
        assert report.status == ReportStatus.QUEUED and report.language == "en"
        assert AuditEvent.objects.get(action="report.request").actor_label == supervisor.user.email
    listing = supervisor.get("/insight/reports/").content.decode()
    assert f'data-progress-url="/insight/reports/{report.pk}/progress"' in listing
    assert supervisor.get(f"/insight/reports/{report.pk}/progress").json() == {
        "id": report.pk, "status": "queued", "status_label": "Queued", "progress": 0, "finished": False,
        "error": "",
    }  # fmt: skip
    assert supervisor.get(f"/insight/reports/{report.pk}/pdf").status_code == 404  # not generated yet


def test_the_request_form_explains_wrong_periods(alpha):
    supervisor = english(alpha, "supervisor")
    bad_month = supervisor.post("/insight/reports/new", {"kind": "monthly", "month": "2026-13"})
    assert bad_month.status_code == 400 and "Give the month as YYYY-MM." in bad_month.content.decode()
    future = supervisor.post("/insight/reports/new", {"kind": "monthly", "month": "2099-01"})
    assert future.status_code == 400 and "The period is in the future." in future.content.decode()
    for month in ("0001-01", "9999-12"):  # edge dates: refused, never an overflow
        edge = supervisor.post("/insight/reports/new", {"kind": "monthly", "month": month})
        assert edge.status_code == 400, month
    ancient = supervisor.post(
        "/insight/reports/new",
        {"kind": "comparison", "before_start": "0001-01-01", "before_end": "0001-01-05",
         "period_start": "2026-09-01", "period_end": "2026-09-30"},
    )  # fmt: skip
    assert (
        ancient.status_code == 400 and "A period starts on 2000-01-01 or later." in ancient.content.decode()
    )
    backwards = supervisor.post(
        "/insight/reports/new",
        {
            "kind": "comparison",
            "before_start": "2026-07-01",
            "before_end": "2026-07-31",
            "period_start": "2026-09-30",
            "period_end": "2026-09-01",
        },
    )
    assert "The end of the period is before its start." in backwards.content.decode()
    unknown = supervisor.post(
        "/insight/reports/new", {"kind": "quarterly", "year": "2026", "quarter": "2", "unit": "NOPE"}
    )
    assert "No unit has the code NOPE." in unknown.content.decode()
    with schema_context(alpha.schema):
        assert not Report.objects.exists()


def test_a_comparison_and_a_quarter_of_a_unit_can_be_requested(world):
    supervisor = english(world.info, "supervisor")
    comparison = supervisor.post(
        "/insight/reports/new",
        {
            "kind": "comparison",
            "before_start": "2026-07-01",
            "before_end": "2026-07-31",
            "period_start": "2026-09-01",
            "period_end": "2026-09-30",
            "month": "2026-01",  # ignored for a comparison
        },
    )
    quarter = supervisor.post(
        "/insight/reports/new", {"kind": "quarterly", "year": "2026", "quarter": "3", "unit": "D01"}
    )
    assert comparison.status_code == quarter.status_code == 302
    with schema_context(world.info.schema):
        c, q = Report.objects.order_by("id")
        assert (c.before_start, c.before_end, c.period_start) == (
            date(2026, 7, 1),
            date(2026, 7, 31),
            date(2026, 9, 1),
        )
        assert (q.period_start, q.period_end, q.unit_id) == (
            date(2026, 7, 1),
            date(2026, 9, 30),
            world.department.pk,
        )


def test_a_supervisor_publishes_and_withdraws(alpha):
    report = a_report(alpha)
    supervisor = english(alpha, "supervisor")

    assert supervisor.post(f"/insight/reports/{report.pk}/publish", {"published": "1"}).status_code == 302
    with schema_context(alpha.schema):
        assert Report.objects.get().published
    assert supervisor.get(f"/insight/reports/{report.pk}/progress").json()["progress"] == 100
    supervisor.post(f"/insight/reports/{report.pk}/publish", {"published": "0"})
    with schema_context(alpha.schema):
        assert not Report.objects.get().published
        assert list(AuditEvent.objects.filter(target_type="Report").order_by("id").values_list("action", flat=True)) == [
            "report.request", "report.publish", "report.unpublish",
        ]  # fmt: skip


def test_a_queued_report_cannot_be_published(alpha):
    report = a_report(alpha, generate=False)
    supervisor = english(alpha, "supervisor")
    response = supervisor.post(f"/insight/reports/{report.pk}/publish", {"published": "1"}, follow=True)
    assert "Only a ready report can be published." in response.content.decode()
    with schema_context(alpha.schema):
        assert not Report.objects.get().published


def test_schedules_are_added_paused_and_deleted(world):
    admin = english(world.info, "tenant_admin")
    assert admin.get("/insight/reports/schedules/").status_code == 200
    refused = admin.post("/insight/reports/schedules/", {"kind": "monthly", "recipients": "nobody"})
    assert refused.status_code == 400 and "is not a valid e-mail address" in refused.content.decode()

    added = admin.post(
        "/insight/reports/schedules/",
        {
            "kind": "quarterly",
            "unit": "D01",
            "recipients": "a@alpha.example, b@alpha.example\nc@alpha.example",
        },
    )

    assert added.status_code == 302
    with schema_context(world.info.schema):
        schedule = ReportSchedule.objects.get()
        assert schedule.recipients == ["a@alpha.example", "b@alpha.example", "c@alpha.example"]
        assert schedule.unit_id == world.department.pk and schedule.active
    admin.post(f"/insight/reports/schedules/{schedule.pk}", {"action": "pause"})
    with schema_context(world.info.schema):
        assert not ReportSchedule.objects.get().active
    admin.post(f"/insight/reports/schedules/{schedule.pk}", {"action": "delete"})
    with schema_context(world.info.schema):
        assert not ReportSchedule.objects.exists()
        assert list(
            AuditEvent.objects.filter(target_type="ReportSchedule")
            .order_by("id")
            .values_list("action", flat=True)
        ) == ["report_schedule.create", "report_schedule.pause", "report_schedule.delete"]


def test_another_tenant_cannot_see_download_or_publish_alphas_report(alpha, beta):
    report = a_report(alpha)
    with schema_context(alpha.schema):
        schedule = ReportSchedule.objects.create(
            kind="monthly", recipients=["a@alpha.example"], created_by="t"
        )
    intruder = english(beta, "supervisor")

    assert report.title not in intruder.get("/insight/reports/").content.decode()
    for url in (
        f"/insight/reports/{report.pk}/pdf",
        f"/insight/reports/{report.pk}/xlsx",
        f"/insight/reports/{report.pk}/progress",
    ):
        assert intruder.get(url).status_code == 404
    assert intruder.post(f"/insight/reports/{report.pk}/publish", {"published": "1"}).status_code == 404
    assert intruder.post(f"/insight/reports/schedules/{schedule.pk}", {"action": "delete"}).status_code == 404
    assert "a@alpha.example" not in intruder.get("/insight/reports/schedules/").content.decode()
    with schema_context(alpha.schema):
        assert not Report.objects.get().published and ReportSchedule.objects.exists()
    with schema_context(beta.schema):
        assert not AuditEvent.objects.filter(action__startswith="report").exists()
