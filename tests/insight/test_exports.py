"""Exports (/insight/exports/): masked CSV/XLSX of evaluations and cases, streamed; large ones as jobs.

The real Celery worker run is in test_exports_worker.py; the identity decryption in test_exports_identity.py.
"""

import csv
import io
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone, translation
from django_tenants.utils import schema_context
from openpyxl import load_workbook

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent
from tenants.evaluations.models import Transaction
from tenants.evaluations.services import EvaluationInput, evaluations_submit
from tenants.insight.exports.models import ExportJob, ExportStatus
from tenants.insight.exports.services import export_files_expire, export_job_run
from tenants.notify.models import Notification
from tenants.privacy.masking import mask_id_number, mask_name, mask_phone
from tests.conftest import build_capture_world
from tests.supervision.conftest import local, signed_in

NAME, PHONE, ID_NUMBER = "欧阳娜娜", "13912345678", "11010519491231002X"
DAY = local(2025, 3, 10, 9, 0)
PERIOD = {"from": "2025-03-01", "to": "2025-03-31"}


@pytest.fixture(autouse=True)
def _english(settings, tmp_path):
    """Messages in English (zh-Hans is done centrally); export files in a temporary MEDIA_ROOT."""
    settings.LANGUAGE_CODE = "en"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    with translation.override("en"):
        yield


def _txn(world, number: str, *, unit=None, item=None, at=DAY) -> None:
    with schema_context(world.info.schema):
        Transaction.objects.create(
            number=number,
            item=item or world.item,
            unit=unit or world.hall,
            window=world.window,
            staff=world.staff,
            channel="device",
            status="finished",
            finished_at=at,
        )


def rate(
    world, number: str, level: int = 1, *, comment: str = "", evaluator=None, at=DAY, channel="device", **txn
):
    """A transaction rated through the real intake (levels 4–5 open a case)."""
    with schema_context(world.info.schema):
        if not Transaction.objects.filter(number=number).exists():
            _txn(world, number, at=at, **txn)
        outcome = evaluations_submit(
            actor=Actor.system("tests"),
            items=[
                EvaluationInput(
                    transaction=number,
                    level=level,
                    channel=channel,
                    comment=comment,
                    reason_tags=["attitude"] if level >= 4 else [],
                    evaluator=evaluator or {"anonymous": True},
                    rated_at=at + timedelta(minutes=1),
                )
            ],
            now=at + timedelta(hours=1),
        )[0]
    assert outcome.status == "created", outcome.errors
    return outcome


def _identity(name=NAME, phone=PHONE, id_number=ID_NUMBER) -> dict:
    return {"name": name, "phone": phone, "id_type": "resident_id", "id_number": id_number}


def post(client, **data):
    return client.post(
        "/insight/exports/",
        {"kind": "evaluations", "file_format": "csv", **PERIOD, "current_only": "on", **data},
    )


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(response) -> list[list[str]]:
    raw = body(response)
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM first, for Excel"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def as_dicts(rows: list[list[str]]) -> list[dict]:
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


@pytest.fixture
def supervisor(alpha):
    return signed_in(alpha, "supervisor")


# --- content --------------------------------------------------------------------------------------------------
def test_csv_lists_ratings_with_the_evaluator_masked_never_clear(world, supervisor):
    rate(world, "T1", 1, comment="办事很快", evaluator=_identity())
    rate(world, "T2", 5, comment="等太久", evaluator=_identity("李明", "13800001111", "110105198001010032"))
    rate(world, "T3", 2)  # anonymous

    response = post(supervisor)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    raw = body(response)
    text = raw.decode("utf-8-sig")
    for clear in (NAME, PHONE, ID_NUMBER, "李明", "13800001111", "110105198001010032"):
        assert clear not in text
    rows = csv.reader(io.StringIO(text))
    header, *data = list(rows)
    by_number = {r[0]: dict(zip(header, r, strict=True)) for r in data}
    assert set(by_number) == {"T1", "T2", "T3"}
    first = by_number["T1"]
    assert first["Evaluator name (masked)"] == mask_name(NAME) == "欧***"
    assert first["Evaluator phone (masked)"] == mask_phone(PHONE) == "139****5678"
    assert first["Evaluator ID number (masked)"] == mask_id_number(ID_NUMBER)
    assert first["Item code"] == "ITEM-001" and first["Item name"] == "食品经营许可证核发"
    assert first["Unit code"] == "H01" and first["Window"] == "A01 综合受理窗口"
    assert first["Staff number"] == "S001" and first["Staff name"] == "张敏"
    assert first["Level"] == "1" and first["Rating (scale word)"] == "很好" and first["Bad review"] == "no"
    assert first["Rated at (local time)"] == "2025-03-10 09:01:00"
    assert first["Comment"] == "办事很快" and first["Current revision"] == "yes"
    assert first["Case number"] == ""
    bad = by_number["T2"]
    assert bad["Bad review"] == "yes" and bad["Rating (scale word)"] == "很差"
    assert bad["Reasons"] == "服务态度差"
    assert bad["Case number"] and bad["Case state"] == "New"
    assert by_number["T3"]["Evaluator name (masked)"] == ""


def test_comments_are_scrubbed_of_the_evaluators_name_and_numbers_in_csv_and_xlsx(world, supervisor):
    comment = "我是王秀英 电话139 1234 5678，窗口让我跑了三次"
    rate(world, "P1", 5, comment=comment, evaluator=_identity("王秀英", "13912345678", ID_NUMBER))

    rows = as_dicts(csv_rows(post(supervisor)))
    book = load_workbook(io.BytesIO(body(post(supervisor, file_format="xlsx"))), read_only=True)
    sheet = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]

    assert rows[0]["Comment"] == "我是＊＊ 电话＊＊，窗口让我跑了三次"
    assert dict(zip(sheet[0], sheet[1], strict=True))["Comment"] == "我是＊＊ 电话＊＊，窗口让我跑了三次"
    for secret in ("王秀英", "秀英", "139 1234 5678", "1234 5678", "13912345678"):
        assert secret not in str(rows) and secret not in str(sheet), secret


def test_csv_neutralises_formulas(world, supervisor):
    for n, comment in enumerate(['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "fine = ok"]):
        rate(world, f"F{n}", 1, comment=comment)

    comments = {r["Transaction number"]: r["Comment"] for r in as_dicts(csv_rows(post(supervisor)))}

    assert comments == {
        "F0": '\'=HYPERLINK("http://x")',
        "F1": "'+1+1",
        "F2": "'-2+3",
        "F3": "'@SUM(A1)",
        "F4": "fine = ok",
    }


def test_xlsx_reads_back(world, supervisor):
    rate(world, "X1", 4, comment="=1+1", evaluator=_identity())

    response = post(supervisor, file_format="xlsx")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(body(response)), read_only=True)
    rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    record = dict(zip(rows[0], rows[1], strict=True))
    assert len(rows) == 2
    assert record["Transaction number"] == "X1"
    assert record["Comment"] == "'=1+1"  # text, never a formula
    assert record["Evaluator phone (masked)"] == "139****5678"
    assert record["Level"] == 4
    assert NAME not in str(rows) and PHONE not in str(rows)


def test_cases_export_lists_cases_without_evaluator_identity(world, supervisor):
    rate(world, "C1", 5, comment="态度差", evaluator=_identity())
    rate(world, "C2", 4)  # anonymous
    rate(world, "C3", 1)  # no case

    today = timezone.localdate().isoformat()  # a case opens when the bad rating arrives: now
    rows = as_dicts(csv_rows(post(supervisor, kind="cases", **{"from": today, "to": today})))

    assert [r["Transaction number"] for r in rows] == ["C1", "C2"]
    assert list(rows[0]) == [
        "Case number", "Source", "State", "Outcome", "Transaction number", "Unit code", "Unit name",
        "Item code", "Item name", "Opened at", "Evaluator contacted at", "Feedback sent at", "Closed at",
        "Contact due", "Feedback due", "Rectification due", "Ledger deadline", "Rectified on time", "Real-name",
        "Reasons",
    ]  # fmt: skip
    first = rows[0]
    assert first["State"] == "New" and first["Source"] == "Bad rating" and first["Unit code"] == "H01"
    assert first["Item code"] == "ITEM-001" and first["Reasons"] == "服务态度差"
    assert first["Real-name"] == "yes" and rows[1]["Real-name"] == "no"
    assert first["Opened at"].startswith(today) and first["Closed at"] == ""
    assert first["Rectification due"] > first["Opened at"] and first["Contact due"] > first["Opened at"]
    assert first["Rectified on time"] == ""  # open, still in time
    text = str(rows)
    for identity in (NAME, PHONE, ID_NUMBER, mask_name(NAME), mask_phone(PHONE), "欧"):
        assert identity not in text


def test_filters_period_unit_item_channel_and_revisions(world, supervisor):
    from tests.factories import ServiceItemFactory, UnitFactory

    with schema_context(world.info.schema):
        other_hall = UnitFactory(code="H02", name="第二大厅", kind="hall", parent=world.department)
        other_item = ServiceItemFactory(code="ITEM-002", name="另一事项", responsible_unit=world.department)
    rate(world, "A", 1)
    rate(world, "B", 1, unit=other_hall)
    rate(world, "C", 1, item=other_item)
    rate(world, "D", 1, channel="web")
    rate(world, "OLD", 1, at=local(2025, 2, 27, 10, 0))
    rate(world, "A", 3)  # a re-rating: revision 2 supersedes revision 1

    def numbers(**data) -> list[tuple[str, str]]:
        return [
            (r["Transaction number"], r["Revision"]) for r in as_dicts(csv_rows(post(supervisor, **data)))
        ]

    assert sorted(numbers()) == [("A", "2"), ("B", "1"), ("C", "1"), ("D", "1")]
    assert sorted(numbers(current_only="")) == [("A", "1"), ("A", "2"), ("B", "1"), ("C", "1"), ("D", "1")]
    assert sorted(numbers(unit="H02")) == [("B", "1")]
    assert sorted(numbers(unit="D01")) == [("A", "2"), ("B", "1"), ("C", "1"), ("D", "1")]  # and below
    assert sorted(numbers(item="ITEM-002")) == [("C", "1")]
    assert sorted(numbers(channel="web")) == [("D", "1")]
    assert sorted(numbers(**{"from": "2025-02-01", "to": "2025-02-28"})) == [("OLD", "1")]


def test_bad_filters_are_refused_with_the_form(world, supervisor):
    response = post(supervisor, unit="NOPE")

    assert response.status_code == 400
    assert b"No unit has the code NOPE" in response.content


def test_direct_export_is_audited_with_filters_and_rows(world, supervisor):
    rate(world, "T1", 1)
    rate(world, "T2", 1)

    body(post(supervisor, unit="H01"))

    with schema_context(world.info.schema):
        event = AuditEvent.objects.get(action="export.evaluations")
    assert event.actor_label == supervisor.user.email
    assert event.data["rows"] == 2 and event.data["mode"] == "direct" and event.data["format"] == "csv"
    assert event.data["filters"]["unit"] == "H01" and event.data["filters"]["from"] == "2025-03-01"


def test_page_shows_the_form(world, supervisor):
    response = supervisor.get("/insight/exports/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="current_only"' in html and "checked" in html
    assert "Your background exports" in html


def test_dates_are_iso_in_chinese_too(world, supervisor):
    """<input type=date> shows nothing unless its value is ISO; zh-Hans formats dates as 2025/03/01."""
    with translation.override("zh-hans"):
        html = supervisor.get("/insight/exports/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    today = timezone.localdate()
    assert f'name="to" value="{today.isoformat()}"' in html
    assert f'name="from" value="{(today - timedelta(days=29)).isoformat()}"' in html


# --- permissions and tenants ---------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["officer", "window_staff"])
def test_roles_without_export_permission_get_403(world, role):
    client = signed_in(world.info, role)
    assert client.get("/insight/exports/").status_code == 403
    assert post(client).status_code == 403
    assert client.get("/insight/exports/1/status").status_code == 403
    assert client.get("/insight/exports/1/download").status_code == 403


@pytest.mark.parametrize("role", ["tenant_admin", "auditor"])
def test_admin_and_auditor_may_export(world, role):
    rate(world, "T1", 1)
    assert len(csv_rows(post(signed_in(world.info, role)))) == 2


def test_signed_out_is_sent_to_sign_in(alpha):
    from tests.conftest import host_client

    response = host_client(alpha.host).get("/insight/exports/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_another_tenant_exports_none_of_alphas_rows(world, beta):
    rate(world, "ALPHA-1", 1, evaluator=_identity())
    beta_world = build_capture_world(beta)
    rate(beta_world, "BETA-1", 1)

    rows = as_dicts(csv_rows(post(signed_in(beta, "supervisor"))))

    assert [r["Transaction number"] for r in rows] == ["BETA-1"]


# --- above the threshold: a job ------------------------------------------------------------------------------
def test_above_the_threshold_a_job_writes_the_file_and_emails_the_requester(
    world, supervisor, beta, settings
):
    settings.EXPORT_SYNC_MAX_ROWS = 2
    for n in range(3):
        rate(world, f"J{n}", 1, evaluator=_identity())

    response = post(supervisor)

    assert response.status_code == 302 and response["Location"] == "/insight/exports/"
    with schema_context(world.info.schema):
        job = ExportJob.objects.get()
        assert job.status == ExportStatus.QUEUED and job.total == 3
        assert job.requested_by == supervisor.user and job.filters["current_only"] is True
        event = AuditEvent.objects.get(action="export.evaluations")
        assert event.data["mode"] == "background" and event.data["rows"] == 3
        assert event.target_id == str(job.pk)
        # the worker's part (run here; test_exports_worker.py runs it on a real worker)
        job = export_job_run(job_id=job.pk)
        assert job.status == ExportStatus.DONE and job.row_count == 3 and job.progress == 100
        assert job.expires_at - job.finished_at == timedelta(days=7)
        path = Path(settings.MEDIA_ROOT) / job.file_path
        assert path.parent == Path(settings.MEDIA_ROOT) / "exports" / world.info.schema
        mail = Notification.objects.get(reference=f"export:{job.pk}")
        assert mail.channel == "email" and mail.recipient_masked.endswith("@alpha.example")
        assert f"/insight/exports/{job.pk}/download" in mail.body
        assert AuditEvent.objects.filter(action="export.evaluations_done", data__rows=3).exists()

    page = supervisor.get("/insight/exports/").content.decode()
    assert f"/insight/exports/{job.pk}/download" in page
    status = supervisor.get(f"/insight/exports/{job.pk}/status").json()
    assert status["status"] == "done" and status["percent"] == 100 and status["rows"] == 3

    download = supervisor.get(f"/insight/exports/{job.pk}/download")
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf") and PHONE.encode() not in content
    assert len(list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))) == 4
    with schema_context(world.info.schema):
        assert AuditEvent.objects.filter(action="export.file_download", target_id=str(job.pk)).count() == 1

    # another supervisor: not theirs; the tenant administrator: allowed
    other = signed_in(world.info, "supervisor", "other")
    assert other.get(f"/insight/exports/{job.pk}/download").status_code == 404
    assert other.get(f"/insight/exports/{job.pk}/status").status_code == 404
    assert f"/insight/exports/{job.pk}/download" not in other.get("/insight/exports/").content.decode()
    admin = signed_in(world.info, "tenant_admin", "boss")
    assert admin.get(f"/insight/exports/{job.pk}/download").status_code == 200
    # beta's people: alpha's job does not exist for them
    beta_supervisor = signed_in(beta, "supervisor")
    assert beta_supervisor.get(f"/insight/exports/{job.pk}/download").status_code == 404
    assert beta_supervisor.get(f"/insight/exports/{job.pk}/status").status_code == 404
    beta_admin = signed_in(beta, "tenant_admin", "beta-boss")
    assert beta_admin.get(f"/insight/exports/{job.pk}/download").status_code == 404


def test_a_job_whose_unit_disappeared_fails_and_says_so(world, supervisor, settings):
    settings.EXPORT_SYNC_MAX_ROWS = 0
    rate(world, "T1", 1)
    with schema_context(world.info.schema):
        job = ExportJob.objects.create(
            kind="evaluations",
            file_format="csv",
            filters={**PERIOD, "unit": "GONE", "current_only": True},
            requested_by=supervisor.user,
            language="en",
            total=1,
        )
        job = export_job_run(job_id=job.pk)
        assert job.status == ExportStatus.FAILED and "GONE" in job.message
        assert Notification.objects.filter(reference=f"export:{job.pk}", subject__contains="failed").exists()
        assert not list((Path(settings.MEDIA_ROOT) / "exports" / world.info.schema).glob("*"))


def test_xlsx_job_and_expiry(world, supervisor, settings):
    settings.EXPORT_SYNC_MAX_ROWS = 1
    rate(world, "E1", 1)
    rate(world, "E2", 2)

    post(supervisor, file_format="xlsx")

    with schema_context(world.info.schema):
        job = export_job_run(job_id=ExportJob.objects.get().pk)
        path = Path(settings.MEDIA_ROOT) / job.file_path
        book = load_workbook(path, read_only=True)
        assert [r[0] for r in book.worksheets[0].iter_rows(values_only=True)] == [
            "Transaction number",
            "E1",
            "E2",
        ]
        book.close()
        assert export_files_expire(now=timezone.now() + timedelta(days=6)) == 0
        assert export_files_expire(now=timezone.now() + timedelta(days=7, minutes=1)) == 1
        job.refresh_from_db()
        assert job.status == ExportStatus.EXPIRED and not path.exists()
    assert supervisor.get(f"/insight/exports/{job.pk}/download").status_code == 404


def test_expiry_removes_unfinished_files_of_crashed_workers_after_six_hours(world, settings):
    directory = Path(settings.MEDIA_ROOT) / "exports" / world.info.schema
    directory.mkdir(parents=True)
    crashed, writing = directory / "7-dead.csv.part", directory / "8-live.xlsx.part"
    kept = directory / "9-done.csv"  # a finished file: its job's expiry decides
    for path in (crashed, writing, kept):
        path.write_bytes(b"rows")
    seven_hours_ago = (timezone.now() - timedelta(hours=7)).timestamp()
    for path in (crashed, kept):
        os.utime(path, (seven_hours_ago, seven_hours_ago))
    elsewhere = Path(settings.MEDIA_ROOT) / "exports" / "another_schema" / "1-x.csv.part"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(b"rows")
    os.utime(elsewhere, (seven_hours_ago, seven_hours_ago))

    with schema_context(world.info.schema):
        assert export_files_expire() == 0  # no job expired
        assert AuditEvent.objects.filter(action="export.expire").get().data["unfinished_files"] == 1

    assert not crashed.exists() and writing.exists() and kept.exists()
    assert elsewhere.exists()  # another tenant's folder is that tenant's sweep


def test_xlsx_rows_run_on_to_a_second_sheet(tmp_path):
    from tenants.insight.exports.writers import xlsx_write

    path = tmp_path / "big.xlsx"
    written = xlsx_write(path, ["n"], ([i] for i in range(5)), title="Rows", max_rows=3)

    book = load_workbook(path, read_only=True)
    assert written == 5
    assert [ws.title for ws in book.worksheets] == ["Rows", "Rows 2", "Rows 3"]
    assert [[c for (c,) in ws.iter_rows(values_only=True)] for ws in book.worksheets] == [
        ["n", 0, 1], ["n", 2, 3], ["n", 4],
    ]  # fmt: skip


def test_cases_on_time_is_closed_by_the_rectification_deadline(world, supervisor):
    from tenants.cases.models import Case

    rate(world, "K1", 5)
    rate(world, "K2", 5)
    rate(world, "K3", 4)
    with schema_context(world.info.schema):
        for number, late in (("K1", False), ("K2", True)):
            case = Case.objects.get(transaction__number=number)
            closed = case.rectify_due + (timedelta(hours=1) if late else -timedelta(days=1))
            Case.objects.filter(pk=case.pk).update(state="closed", closed_at=closed, outcome="fixed")
    today = (timezone.localdate()).isoformat()

    rows = as_dicts(csv_rows(post(supervisor, kind="cases", **{"from": today, "to": today})))

    on_time = {r["Transaction number"]: (r["State"], r["Outcome"], r["Rectified on time"]) for r in rows}
    assert on_time == {
        "K1": ("Closed", "Fixed at once (立行立改)", "yes"),
        "K2": ("Closed", "Fixed at once (立行立改)", "no"),
        "K3": ("New", "", ""),
    }
