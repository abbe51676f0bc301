"""Reports from the rollups: a monthly report's XLSX and PDF carry the expected figures, a comparison shows both
periods, periods are checked, a failing render is recorded, and a scheduled run e-mails the PDF through a real
SMTP server."""

import io
from datetime import date, datetime, timedelta

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django_tenants.utils import schema_context
from pypdf import PdfReader

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent
from tenants.insight.reports import render_pdf
from tenants.insight.reports.models import Report, ReportKind, ReportSchedule, ReportStatus
from tenants.insight.reports.selectors import reports_published
from tenants.insight.reports.services import (
    report_generate,
    report_publish,
    report_request,
    report_schedule_create,
    report_schedule_run,
    reports_demo_seed,
)
from tenants.insight.services import rollups_drain
from tenants.organisation.models import UnitKind
from tenants.portal.models import PortalSettings
from tests.conftest import host_client
from tests.factories import UnitFactory
from tests.notify.conftest import smtp, smtp_server  # noqa: F401 (fixtures)
from tests.supervision.conftest import rate_transactions

SYSTEM = Actor.system("tests")
SEPTEMBER = (date(2026, 9, 1), date(2026, 9, 30))
AUGUST = (date(2026, 8, 1), date(2026, 8, 31))


def local(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def rated(world):
    """September 2026: department D01 (hall H01) 8 good and 2 bad ratings, department D02 (hall H02) 3 good;
    August 2026: D01 1 good and 3 bad. Rollups drained."""
    with schema_context(world.info.schema):
        d02 = UnitFactory(code="D02", name="人力资源和社会保障局", kind=UnitKind.DEPARTMENT)
        h02 = UnitFactory(code="H02", name="社保服务大厅", kind=UnitKind.HALL, parent=d02)
        w02 = UnitFactory(code="W02", name="B01 社保窗口", kind=UnitKind.WINDOW, parent=h02)
    rate_transactions(world, 8, start=local(2026, 9, 3, 9), level=1, prefix="SG")
    rate_transactions(world, 2, start=local(2026, 9, 3, 15), level=5, prefix="SB")
    rate_transactions(world, 3, start=local(2026, 9, 10, 9), level=2, prefix="SH", unit=h02, window=w02)
    rate_transactions(world, 1, start=local(2026, 8, 12, 9), level=1, prefix="AG")
    rate_transactions(world, 3, start=local(2026, 8, 12, 14), level=4, prefix="AB")
    with schema_context(world.info.schema):
        rollups_drain()
    return world


def generated(world, **kwargs) -> Report:
    with schema_context(world.info.schema):
        report = report_request(actor=SYSTEM, enqueue=False, **kwargs)
        report_generate(report_id=report.pk)
        return Report.objects.select_related("unit").get(pk=report.pk)


def monthly(world, period=SEPTEMBER, **kwargs) -> Report:
    return generated(world, kind="monthly", period_start=period[0], period_end=period[1], **kwargs)


def sheet_rows(report: Report, name: str) -> list[tuple]:
    wb = openpyxl.load_workbook(io.BytesIO(bytes(report.xlsx)))
    return list(wb[name].iter_rows(min_row=2, values_only=True))


def pdf_text(data: bytes) -> str:
    """The text of every page (pypdf reads the CID font STSong-Light's Unicode map, so Chinese comes out)."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# --- monthly -------------------------------------------------------------------------------------------------
def test_a_monthly_report_carries_the_indicators_and_the_breakdowns_in_its_xlsx(rated):
    report = monthly(rated)

    assert report.status == ReportStatus.DONE and report.progress == 100 and report.error == ""
    assert report.title == "Monthly good/bad review report, 2026-09"
    assert report.summary["good_rate"] == [11, 13]
    indicators = {row[0]: row[2:] for row in sheet_rows(report, "指标")}
    assert indicators["good_rate"] == (11, 13, pytest.approx(11 / 13))
    assert indicators["bad_rate"] == (2, 13, pytest.approx(2 / 13))
    assert indicators["reply_rate"][1] == 2  # the two bad reviews opened two cases
    departments = {row[0]: row for row in sheet_rows(report, "部门")}
    assert set(departments) == {"D01", "D02"}
    # code, name, ratings, good, bad, given, given good, defaults, good rate, …, bad-review cases
    assert departments["D01"][1:5] == ("市场监督管理局", 10, 8, 2)
    assert departments["D01"][8] == pytest.approx(0.8) and departments["D01"][11] == 2
    assert departments["D02"][1:5] == ("人力资源和社会保障局", 3, 3, 0)
    assert departments["D02"][8] == 1 and departments["D02"][11] == 0
    halls = {row[0]: row[2:5] for row in sheet_rows(report, "大厅")}
    assert halls == {"H01": (10, 8, 2), "H02": (3, 3, 0)}
    trend = sheet_rows(report, "趋势")
    assert len(trend) == 30 and sum(r[1] for r in trend) == 13
    assert {r[0].date(): r[1:4] for r in trend if r[1]} == {
        date(2026, 9, 3): (10, 8, 2),
        date(2026, 9, 10): (3, 3, 0),
    }
    ((code, _label, cases),) = sheet_rows(report, "差评原因")
    assert (code, cases) == ("attitude", 2)


def test_a_monthly_report_pdf_shows_the_figures(rated):
    report = monthly(rated)

    pdf = bytes(report.pdf)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "甲省政务服务管理局" in text  # the tenant on the title page
    assert "Monthly good/bad review report, 2026-09" in text
    assert "2026-09-01 – 2026-09-30" in text
    assert "84.62%" in text  # good-review rate 11/13
    assert "15.38%" in text  # bad-review rate 2/13
    assert "市场监督管理局 (D01)" in text and "社保服务大厅 (H02)" in text
    assert "80.00%" in text and "100.00%" in text  # D01's and D02's good-review rates
    assert "Good-review rate by department (%)" in text  # the bar chart's title


def test_names_that_look_like_formulas_stay_text_in_the_xlsx(rated):
    formula = '=HYPERLINK("http://evil.example","点我")'
    with schema_context(rated.info.schema):
        d09 = UnitFactory(code="D09", name=formula, kind=UnitKind.DEPARTMENT)
        h09 = UnitFactory(code="H09", name="+1+1", kind=UnitKind.HALL, parent=d09)
        w09 = UnitFactory(code="W09", name="W09", kind=UnitKind.WINDOW, parent=h09)
    rate_transactions(rated, 1, start=local(2026, 9, 20, 9), prefix="FX", unit=h09, window=w09)
    with schema_context(rated.info.schema):
        rollups_drain()
    report = monthly(rated, title="@SUM(1) report")
    wb = openpyxl.load_workbook(io.BytesIO(bytes(report.xlsx)))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # no formula anywhere
    names = {row[0]: row[1] for row in sheet_rows(report, "部门")} | {
        row[0]: row[1] for row in sheet_rows(report, "大厅")
    }
    assert names["D09"] == "'" + formula and names["H09"] == "'+1+1"
    assert ("Report", "'@SUM(1) report") in sheet_rows(report, "说明")


def test_a_report_of_one_department_covers_only_its_subtree(rated):
    with schema_context(rated.info.schema):
        report = monthly(rated, unit=rated.department)
    assert report.title == "市场监督管理局 · Monthly good/bad review report, 2026-09"
    assert {row[0]: row[2:4] for row in sheet_rows(report, "指标")}["good_rate"] == (8, 10)
    assert [row[0] for row in sheet_rows(report, "部门")] == ["D01"]
    assert "市场监督管理局 (D01)" in pdf_text(bytes(report.pdf))


def test_a_quarterly_report_trends_by_week(rated):
    report = generated(rated, kind="quarterly", period_start=date(2026, 7, 1), period_end=date(2026, 9, 30))
    assert report.status == ReportStatus.DONE
    trend = sheet_rows(report, "趋势")
    assert trend[0][0].date() == date(2026, 6, 29)  # the Monday of the week of 1 July
    assert sum(r[1] for r in trend) == 17
    assert {row[0]: row[2:4] for row in sheet_rows(report, "指标")}["good_rate"] == (12, 17)


def test_a_comparison_shows_both_periods_and_the_change(rated):
    report = generated(
        rated,
        kind="comparison",
        before_start=AUGUST[0],
        before_end=AUGUST[1],
        period_start=SEPTEMBER[0],
        period_end=SEPTEMBER[1],
    )

    assert report.status == ReportStatus.DONE, report.error
    rows = {row[0]: row[2:] for row in sheet_rows(report, "对比")}
    # before numerator, denominator, value; after numerator, denominator, value; change
    assert rows["good_rate"][:2] == (1, 4) and rows["good_rate"][3:5] == (11, 13)
    assert rows["good_rate"][6] == pytest.approx(11 / 13 - 1 / 4)
    assert rows["bad"][0] == 3 and rows["bad"][3] == 2 and rows["bad"][6] == -1
    assert {row[0]: row[2:4] for row in sheet_rows(report, "指标")}["good_rate"] == (
        11,
        13,
    )  # the period after
    text = pdf_text(bytes(report.pdf))
    assert "2026-08-01 – 2026-08-31" in text and "2026-09-01 – 2026-09-30" in text
    assert "25.00%" in text and "84.62%" in text and "+59.62" in text  # before, after, change in points


# --- periods -------------------------------------------------------------------------------------------------
def _refused(world, **kwargs) -> dict:
    with schema_context(world.info.schema), pytest.raises(ValidationError) as caught:
        report_request(actor=SYSTEM, enqueue=False, **kwargs)
    with schema_context(world.info.schema):
        assert not Report.objects.exists()
    return caught.value.message_dict


def test_periods_in_the_future_or_backwards_or_off_the_calendar_are_refused(world):
    today = timezone.localdate()
    next_month = (today.replace(day=28) + timedelta(days=5)).replace(day=1)
    this_month = today.replace(day=1)
    month_end = (this_month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    future = _refused(
        world, kind="monthly", period_start=next_month, period_end=next_month + timedelta(days=27)
    )
    assert "period_start" in future
    if month_end > today:  # the current month has not ended (unless today is its last day)
        assert "period_end" in _refused(world, kind="monthly", period_start=this_month, period_end=month_end)
    backwards = _refused(world, kind="comparison", before_start=AUGUST[0], before_end=AUGUST[1],
                         period_start=SEPTEMBER[1], period_end=SEPTEMBER[0])  # fmt: skip
    assert backwards["period_end"] == ["The end of the period is before its start."]
    assert "period_start" in _refused(
        world, kind="monthly", period_start=date(2026, 9, 2), period_end=SEPTEMBER[1]
    )
    assert "period_start" in _refused(
        world, kind="monthly", period_start=date(2026, 8, 1), period_end=SEPTEMBER[1]
    )
    assert "period_start" in _refused(
        world, kind="quarterly", period_start=date(2026, 8, 1), period_end=date(2026, 10, 31)
    )
    overlapping = _refused(world, kind="comparison", before_start=AUGUST[0], before_end=date(2026, 9, 5),
                           period_start=SEPTEMBER[0], period_end=SEPTEMBER[1])  # fmt: skip
    assert "before_end" in overlapping
    assert "before_start" in _refused(
        world, kind="comparison", period_start=SEPTEMBER[0], period_end=SEPTEMBER[1]
    )


def test_a_request_is_audited(world):
    with schema_context(world.info.schema):
        report = report_request(
            actor=Actor(kind="user", id=7, label="sup@alpha.example"),
            kind="monthly",
            period_start=SEPTEMBER[0],
            period_end=SEPTEMBER[1],
            enqueue=False,
        )
        audit = AuditEvent.objects.get(action="report.request", target_id=str(report.pk))
    assert report.status == ReportStatus.QUEUED and report.progress == 0
    assert audit.actor_label == "sup@alpha.example" and audit.data["period"] == ["2026-09-01", "2026-09-30"]


# --- failure and publication ---------------------------------------------------------------------------------
def test_a_failing_render_marks_the_report_failed_with_the_error(world, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the printer caught fire")

    monkeypatch.setattr(render_pdf, "report_pdf", broken)
    report = monthly(world)

    assert report.status == ReportStatus.FAILED
    assert "the printer caught fire" in report.error and "RuntimeError" in report.error
    assert report.pdf is None and report.xlsx is None and report.finished_at is not None
    assert report.progress < 100
    with schema_context(world.info.schema):
        assert report_generate(report_id=report.pk).status == ReportStatus.FAILED  # a retry leaves it alone
        with pytest.raises(ValidationError):
            report_publish(actor=SYSTEM, report=report, published=True)


def test_publishing_puts_a_done_report_on_the_portal_list_and_is_audited(world):
    report = monthly(world)
    with schema_context(world.info.schema):
        assert not reports_published().exists()
        report_publish(actor=SYSTEM, report=report, published=True)
        assert list(reports_published()) == [report]
        assert bytes(reports_published().get().public_pdf).startswith(b"%PDF")
        report_publish(actor=SYSTEM, report=report, published=False)
        assert not reports_published().exists()
        actions = list(
            AuditEvent.objects.filter(target_type="Report", target_id=str(report.pk))
            .order_by("id")
            .values_list("action", flat=True)
        )
    assert actions == ["report.request", "report.publish", "report.unpublish"]


def test_the_portal_gets_a_public_pdf_with_small_halls_and_departments_folded(rated):
    """A hall with 1 rating and a department with 3 are in the staff's PDF; the PDF the portal serves folds
    them into one unnamed row, following the portal's smallest group (5 by default, then the settings)."""
    with schema_context(rated.info.schema):
        h03 = UnitFactory(code="H03", name="西区便民服务点", kind=UnitKind.HALL, parent=rated.department)
        w03 = UnitFactory(code="W03", name="C01 西区窗口", kind=UnitKind.WINDOW, parent=h03)
    rate_transactions(rated, 1, start=local(2026, 9, 12, 9), level=1, prefix="SW", unit=h03, window=w03)
    with schema_context(rated.info.schema):
        rollups_drain()
    report = monthly(rated)
    internal = pdf_text(bytes(report.pdf))
    # the extraction reads Chinese: the staff's PDF names every hall and department, and who asked for it
    assert "西区便民服务点 (H03)" in internal and "社保服务大厅 (H02)" in internal
    assert "人力资源和社会保障局" in internal and "Requested by" in internal
    client = host_client(rated.info.host)
    assert client.get(f"/portal/reports/{report.pk}.pdf").status_code == 404  # not published

    with schema_context(rated.info.schema):
        report_publish(actor=SYSTEM, report=report, published=True)
        served = bytes(Report.objects.get(pk=report.pk).public_pdf)
    response = client.get(f"/portal/reports/{report.pk}.pdf")
    assert response.status_code == 200 and response.content == served and served != bytes(report.pdf)
    public = pdf_text(served)
    assert "市民中心政务服务大厅 (H01)" in public and "市场监督管理局 (D01)" in public
    assert "Other (样本不足，不单独公示)" in public
    for hidden in (
        "西区便民服务点",
        "H03",
        "社保服务大厅",
        "H02",
        "人力资源和社会保障局",
        "D02",
        "Requested by",
    ):
        assert hidden not in public, hidden
    assert "85.71%" in internal and "85.71%" in public  # the same indicators (12 good of 14)

    # a smaller group size shown on the portal shows H02 (3 ratings), still not H03 (1)
    with schema_context(rated.info.schema):
        PortalSettings.objects.create(min_group_size=2)
        report_publish(actor=SYSTEM, report=report, published=False)
        assert Report.objects.get(pk=report.pk).public_pdf is None
        assert client.get(f"/portal/reports/{report.pk}.pdf").status_code == 404
        report_publish(actor=SYSTEM, report=report, published=True)
        public = pdf_text(bytes(Report.objects.get(pk=report.pk).public_pdf))
    assert "社保服务大厅 (H02)" in public and "西区便民服务点" not in public


def test_a_report_published_without_a_public_pdf_is_not_listed_until_published_again(world):
    report = monthly(world)
    with schema_context(world.info.schema):
        Report.objects.filter(pk=report.pk).update(published=True)  # as before public PDFs existed
        assert not reports_published().exists()
        report_publish(actor=SYSTEM, report=report, published=True)
        assert list(reports_published()) == [report]


def test_the_demo_seed_makes_one_published_report_of_last_month(world):
    with schema_context(world.info.schema):
        first = reports_demo_seed(actor=SYSTEM)
        again = reports_demo_seed(actor=SYSTEM)
        assert first.pk == again.pk and Report.objects.count() == 1
        assert first.status == ReportStatus.DONE and first.published and first.kind == ReportKind.MONTHLY
        assert first.period_end == timezone.localdate().replace(day=1) - timedelta(days=1)


# --- schedules -----------------------------------------------------------------------------------------------
def test_a_scheduled_run_emails_the_pdf_to_the_recipients_through_smtp(rated, smtp):  # noqa: F811
    with schema_context(rated.info.schema):
        report_schedule_create(
            actor=SYSTEM, kind="monthly", recipients=["lead@alpha.example", "office@alpha.example"]
        )
        # when the daily run comes on 3 October: September has ended
        (report,) = report_schedule_run(now=local(2026, 10, 3, 6), enqueue=False)
        assert report_schedule_run(now=local(2026, 10, 4, 6), enqueue=False) == []  # once per period
        assert (report.period_start, report.period_end) == SEPTEMBER
        report_generate(report_id=report.pk)  # what the worker does
        report.refresh_from_db()
        assert ReportSchedule.objects.get().last_period_end == SEPTEMBER[1]
    assert report.status == ReportStatus.DONE and report.emailed_at is not None and report.email_error == ""
    assert sorted(to for to, _message in smtp.messages) == [["lead@alpha.example"], ["office@alpha.example"]]
    for _to, message in smtp.messages:
        assert message["Subject"] == report.title
        assert message["From"].addresses[0].display_name == "甲省政务服务管理局"
        assert "11 of 13" in message.get_body(("plain",)).get_content()
        (attachment,) = list(message.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        assert attachment.get_filename().endswith(".pdf")
        assert attachment.get_content().startswith(b"%PDF")


def test_a_quarterly_schedule_waits_for_the_quarter_to_end_and_paused_ones_do_nothing(world):
    with schema_context(world.info.schema):
        quarterly = report_schedule_create(actor=SYSTEM, kind="quarterly", recipients=["q@alpha.example"])
        paused = report_schedule_create(actor=SYSTEM, kind="monthly", recipients=["m@alpha.example"])
        ReportSchedule.objects.filter(pk=paused.pk).update(active=False)
        (report,) = report_schedule_run(now=local(2026, 10, 1, 1), enqueue=False)
        assert (report.kind, report.period_start, report.period_end) == (
            "quarterly", date(2026, 7, 1), date(2026, 9, 30)
        )  # fmt: skip
        assert report_schedule_run(now=local(2026, 12, 31, 23), enqueue=False) == []
        assert [r.period_start for r in report_schedule_run(now=local(2027, 1, 1, 0, 30), enqueue=False)] == [
            date(2026, 10, 1)
        ]
        assert report.schedule_id == quarterly.pk


def test_schedule_recipients_are_checked(world):
    with schema_context(world.info.schema), pytest.raises(ValidationError) as caught:
        report_schedule_create(actor=SYSTEM, kind="monthly", recipients=["not an address"])
    assert "recipients" in caught.value.message_dict
