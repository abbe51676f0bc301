"""Third-party assessment register: records with a size- and type-limited report stored in the database."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from tenants.accounts.models import AuditEvent
from tenants.supervision.models import ThirdPartyAssessment
from tenants.supervision.services.assessments import REPORT_MAX_BYTES

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def record(client, **overrides):
    body = {
        "organisation": "省社会科学院",
        "scope": "全省政务服务大厅“好差评”第三方评估",
        "period_start": "2026-01-01",
        "period_end": "2026-03-31",
        "score": "91.5",
        "summary": "总体满意度较高，部分窗口等候时间偏长。",
        "report": SimpleUploadedFile("2026一季度评估报告.pdf", PDF, content_type="application/pdf"),
    }
    body.update(overrides)
    return client.post("/supervision/assessments/", body)


def test_supervisor_records_an_assessment_and_anyone_reading_downloads_the_report(alpha, login):
    assert record(login("supervisor")).status_code == 302
    with schema_context(alpha.schema):
        assessment = ThirdPartyAssessment.objects.get()
        assert (assessment.report_size, assessment.report_content_type) == (len(PDF), "application/pdf")
        assert AuditEvent.objects.filter(action="assessment.create", target_id=str(assessment.pk)).exists()
    auditor = login("auditor")
    listing = auditor.get("/supervision/assessments/").content.decode()
    assert "省社会科学院" in listing and "91.50" in listing
    report = auditor.get(f"/supervision/assessments/{assessment.pk}/report")
    assert report.status_code == 200 and report.content == PDF
    assert report["Content-Type"] == "application/pdf" and report["X-Content-Type-Options"] == "nosniff"
    assert (
        report["Content-Disposition"].startswith("attachment;")
        and "UTF-8''2026" in report["Content-Disposition"]
    )
    api = auditor.get("/api/v1/supervision/assessments").json()["results"]
    assert api[0]["has_report"] is True and "report_data" not in api[0]


def test_an_assessment_without_a_report_is_fine(alpha, login):
    assert record(login("supervisor"), report="", score="").status_code == 302
    with schema_context(alpha.schema):
        assessment = ThirdPartyAssessment.objects.get()
    assert assessment.score is None
    assert login("auditor").get(f"/supervision/assessments/{assessment.pk}/report").status_code == 404


def test_reports_of_another_type_or_too_large_are_refused(alpha, login):
    client = login("supervisor")
    disguised = record(
        client, report=SimpleUploadedFile("report.pdf", b"MZ\x90\x00binary", "application/pdf")
    )
    html_page = record(
        client, report=SimpleUploadedFile("report.html", b"<script>alert(1)</script>", "text/html")
    )
    huge = record(
        client, report=SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * REPORT_MAX_BYTES, "application/pdf")
    )
    assert [r.status_code for r in (disguised, html_page, huge)] == [400, 400, 400]
    assert "PDF, DOCX or XLSX" in disguised.content.decode() and "10 MB" in huge.content.decode()
    with schema_context(alpha.schema):
        assert not ThirdPartyAssessment.objects.exists()


def test_bad_period_is_a_form_error(alpha, login):
    response = record(login("supervisor"), period_end="2025-12-31")
    assert (
        response.status_code == 400
        and "The period ends on or after the day it starts." in response.content.decode()
    )


def test_window_staff_cannot_record_or_remove(alpha, login):
    assert record(login("supervisor")).status_code == 302
    with schema_context(alpha.schema):
        assessment = ThirdPartyAssessment.objects.get()
    staff = login("window_staff")
    assert record(staff, organisation="冒名机构").status_code == 403
    assert staff.post(f"/supervision/assessments/{assessment.pk}/delete").status_code == 403
    assert login("auditor").post(f"/supervision/assessments/{assessment.pk}/delete").status_code == 403
    assert (
        login("supervisor", "boss").post(f"/supervision/assessments/{assessment.pk}/delete").status_code
        == 302
    )
    with schema_context(alpha.schema):
        assert not ThirdPartyAssessment.objects.exists()
        assert AuditEvent.objects.filter(action="assessment.delete").count() == 1
