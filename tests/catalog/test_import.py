"""Catalogue import, run synchronously (the service the worker and the command line call)."""

import pytest
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent
from tenants.catalog.imports.files import xlsx_bytes
from tenants.catalog.imports.items import ItemImport
from tenants.catalog.imports.services import import_job_create, import_job_run
from tenants.catalog.imports.views import _sheets
from tenants.catalog.models import GuideVersion, ImportJob, ImportStatus, ItemStatus, ServiceItem
from tenants.catalog.services import item_create
from tests.catalog.helpers import (
    ITEM_HEADER,
    csv_file,
    item_row,
    read_csv,
    read_xlsx,
    refused,
    run_import,
    xlsx_file,
)
from tests.factories import UnitFactory

GOOD = [item_row("A-001", "食品经营许可证核发"), item_row("A-002", "公共场所卫生许可证核发")]
BAD = item_row("A-003", "", type="许可证", days="十天")  # name missing, unknown type, days not a number


def _items(schema):
    with schema_context(schema):
        return sorted(ServiceItem.objects.values_list("code", flat=True))


def test_xlsx_import_creates_draft_items_with_guide_version_1(alpha):
    with schema_context(alpha.schema):
        UnitFactory(code="D01")
    rows = [item_row("A-001", unit="D01"), item_row("A-002", promise="即办件", days=0)]
    job = run_import(alpha.schema, xlsx_file(ITEM_HEADER, rows))
    assert (job.status, job.total, job.done, job.error_count) == (ImportStatus.SUCCEEDED, 2, 2, 0)
    assert job.result["created"] == 2 and job.errors_file is None
    with schema_context(alpha.schema):
        item = ServiceItem.objects.get(code="A-001")
        guide = item.guides.get()
        assert (item.status, item.current_guide_id, item.responsible_unit.code) == (
            ItemStatus.DRAFT,
            None,
            "D01",
        )
        assert guide.version == 1 and guide.published_at is None
        assert guide.materials == ["食品经营许可申请书", "营业执照", "法定代表人身份证明"]  # newline and ；
        assert guide.steps == ["申请", "受理", "审查", "决定", "送达"]
        assert (guide.time_limit_days, guide.promise_type) == (10, "promised")
        assert ServiceItem.objects.get(code="A-002").guides.get().promise_type == "immediate"
        # one audit row for the whole import (plus one for its start), not one per item
        assert AuditEvent.objects.filter(action="items.import", target_id=str(job.pk)).count() == 1
    assert bytes(job.data) == b""  # the upload is dropped once the job ends


def test_all_or_nothing_imports_nothing_and_reports_each_bad_row_in_an_xlsx_error_file(alpha):
    data = xlsx_file(ITEM_HEADER, [GOOD[0], BAD, GOOD[1]])
    job = run_import(alpha.schema, data)
    assert job.status == ImportStatus.REJECTED
    assert (job.total, job.error_count, job.done) == (3, 1, 0)
    assert _items(alpha.schema) == []
    rows = read_xlsx(bytes(job.errors_file))
    assert rows[0] == [*ITEM_HEADER, "错误"]
    assert [r[0] for r in rows[1:]] == ["A-001", "A-003", "A-002"]  # every row, in the file's order
    assert rows[1][-1] == "" and rows[3][-1] == ""
    message = rows[2][-1]
    assert "事项名称：" in message and "事项类型：" in message and "承诺时限（工作日）：" in message
    assert "许可证" in message and "十天" in message
    assert job.errors_preview == [[3, message]]  # spreadsheet row 3 (row 1 is the header)


def test_valid_only_imports_the_good_rows_and_reports_the_bad_one_in_a_csv_error_file(alpha):
    data = csv_file(ITEM_HEADER, [GOOD[0], BAD, GOOD[1]])
    job = run_import(alpha.schema, data, filename="items.csv", valid_only=True)
    assert job.status == ImportStatus.SUCCEEDED
    assert (job.total, job.done, job.error_count) == (3, 2, 1)
    assert job.result["skipped"] == 1 and job.result["created"] == 2
    assert _items(alpha.schema) == ["A-001", "A-002"]
    rows = read_csv(bytes(job.errors_file))
    assert rows[0] == [*ITEM_HEADER, "错误"]
    assert [r[0] for r in rows[1:]] == ["A-001", "A-003", "A-002"]
    assert [bool(r[-1]) for r in rows[1:]] == [False, True, False]
    assert "事项名称：" in rows[2][-1]


def test_csv_saved_by_chinese_excel_in_gb18030_is_read_and_its_error_file_keeps_the_encoding(alpha):
    data = csv_file(ITEM_HEADER, [GOOD[0], BAD], encoding="gb18030")
    job = run_import(alpha.schema, data, filename="事项.csv")
    assert job.status == ImportStatus.REJECTED and job.encoding == "gb18030"
    rows = read_csv(bytes(job.errors_file), encoding="gb18030")
    assert rows[1][1] == "食品经营许可证核发" and "事项名称" in rows[2][-1]


def test_duplicate_codes_and_unknown_units_are_row_errors(alpha):
    data = xlsx_file(ITEM_HEADER, [item_row("A-001"), item_row("A-001"), item_row("A-002", unit="NOPE")])
    job = run_import(alpha.schema, data)
    assert job.status == ImportStatus.REJECTED
    assert job.errors_preview == [
        [3, "事项编码：also on row 2"],
        [4, "实施主体编码：no unit has the code “NOPE”"],
    ]


def test_promised_item_needs_a_time_limit(alpha):
    job = run_import(alpha.schema, xlsx_file(ITEM_HEADER, [item_row("A-001", days=0)]))
    assert job.status == ImportStatus.REJECTED
    assert job.errors_preview[0][1].startswith("承诺时限（工作日）：")


def test_reimport_updates_a_draft_in_place_and_makes_a_new_version_of_a_published_guide(alpha):
    actor = Actor.system("tests")
    with schema_context(alpha.schema):
        item_create(actor=actor, code="DRAFT", name="旧名称", item_type="licensing", time_limit_days=5)
        item_create(
            actor=actor, code="LIVE", name="在用事项", item_type="licensing", time_limit_days=5, publish=True
        )
        item_create(
            actor=actor,
            code="SAME",
            name="不变事项",
            item_type="licensing",
            time_limit_days=10,
            accepting_unit="市场监督管理局",
            channels=["窗口办理", "网上办理"],
            conditions="具有与经营的食品品种、数量相适应的场所",
            materials=["食品经营许可申请书", "营业执照", "法定代表人身份证明"],
            steps=["申请", "受理", "审查", "决定", "送达"],
            fee_standard="不收费",
            evaluation_channels=["窗口评价器", "扫码评价"],
            legal_basis="《中华人民共和国食品安全法》第三十五条",
            publish=True,
        )
    rows = [
        item_row("DRAFT", "新名称", days=7),
        item_row("LIVE", "在用事项", days=3),
        item_row("SAME", "不变事项"),
    ]
    job = run_import(alpha.schema, xlsx_file(ITEM_HEADER, rows))
    assert job.status == ImportStatus.SUCCEEDED
    assert job.result | {"rows": 3} == {
        "created": 0,
        "updated": 2,
        "new_versions": 1,
        "drafts_updated": 1,
        "unchanged": 1,
        "published": 0,
        "rows": 3,
        "skipped": 0,
    }
    with schema_context(alpha.schema):
        draft = ServiceItem.objects.get(code="DRAFT")
        assert draft.name == "新名称"
        assert list(draft.guides.values_list("version", "time_limit_days", "published_at")) == [(1, 7, None)]
        live = ServiceItem.objects.get(code="LIVE")
        versions = list(live.guides.order_by("version").values_list("version", "time_limit_days"))
        assert versions == [(1, 5), (2, 3)]
        assert live.current_guide.version == 1 and live.status == ItemStatus.PUBLISHED  # v1 stays in force
        assert live.guides.get(version=2).published_at is None
        assert ServiceItem.objects.get(code="SAME").guides.count() == 1
    # importing the same file again changes nothing
    again = run_import(alpha.schema, xlsx_file(ITEM_HEADER, rows))
    assert again.result["unchanged"] == 3 and again.result["new_versions"] == 0


def test_publish_option_publishes_the_newest_guide_of_every_imported_item(alpha):
    with schema_context(alpha.schema):
        item_create(
            actor=Actor.system("t"),
            code="LIVE",
            name="在用事项",
            item_type="licensing",
            time_limit_days=5,
            publish=True,
        )
    rows = [item_row("LIVE", "在用事项", days=3), item_row("NEW")]
    job = run_import(alpha.schema, xlsx_file(ITEM_HEADER, rows), publish=True)
    assert job.result["published"] == 2
    with schema_context(alpha.schema):
        live = ServiceItem.objects.get(code="LIVE")
        assert (live.current_guide.version, live.current_guide.time_limit_days) == (2, 3)
        new = ServiceItem.objects.get(code="NEW")
        assert new.status == ItemStatus.PUBLISHED and new.current_guide.published_at is not None


def test_columns_are_found_by_english_keys_and_in_any_order_and_extra_columns_are_ignored(alpha):
    header = ["promise_type", "name", "code", "item_type", "time_limit_days", "备注", "错误"]
    rows = [["即办件", "婚姻登记", "K-1", "行政确认", 0, "随便写", "old error"]]
    job = run_import(alpha.schema, xlsx_file(header, rows))
    assert job.status == ImportStatus.SUCCEEDED
    with schema_context(alpha.schema):
        assert ServiceItem.objects.get(code="K-1").item_type == "confirmation"


def test_a_corrected_error_file_can_be_uploaded_as_it_is(alpha):
    job = run_import(alpha.schema, xlsx_file(ITEM_HEADER, [GOOD[0], BAD]))
    rows = read_xlsx(bytes(job.errors_file))
    rows[2][1], rows[2][2], rows[2][10] = "医疗器械经营许可", "行政许可", 20  # the fix
    fixed = run_import(alpha.schema, xlsx_file(rows[0], rows[1:]))
    assert fixed.status == ImportStatus.SUCCEEDED and fixed.done == 2
    assert _items(alpha.schema) == ["A-001", "A-003"]


@pytest.mark.parametrize(
    ("data", "filename", "fragment"),
    [
        (b"", "x.csv", "empty"),
        (b"\xd0\xcf\x11\xe0" + b"\0" * 100, "old.xls", ".xls"),
        (b"PK\x03\x04garbage", "x.xlsx", "not a valid .xlsx"),
        ("名称,类型\n甲,乙\n".encode(), "x.csv", "事项编码"),
        ("\ufeff事项编码,事项名称,事项类型,办件类型\n".encode(), "x.csv", "no rows"),
        (b"\xff\xfe\x00\x01\x02\x03\x80\x81", "x.csv", "UTF-8"),
    ],
    ids=["empty", "xls", "broken-xlsx", "missing-columns", "header-only", "binary"],
)
def test_unreadable_files_are_refused_at_once_with_the_reason_and_no_job(alpha, data, filename, fragment):
    messages = refused(alpha.schema, data, filename)
    assert any(fragment in m for m in messages), messages
    with schema_context(alpha.schema):
        assert not ImportJob.objects.exists()


def test_a_few_thousand_rows_go_in_with_a_bounded_number_of_queries(alpha, django_assert_max_num_queries):
    rows = [item_row(f"11440000MB{n:06d}", f"事项{n}", days=n % 30 + 1) for n in range(4000)]
    data = csv_file(ITEM_HEADER, rows)
    seen = []
    with schema_context(alpha.schema):
        job = import_job_create(
            actor=Actor.system("t"), kind="items", filename="big.csv", data=data, enqueue=False
        )
        # set-based: a handful of queries per chunk of 2,000 rows, never one per row
        with django_assert_max_num_queries(60):
            job = import_job_run(job_id=job.pk, on_progress=seen.append)
        assert job.status == ImportStatus.SUCCEEDED and job.done == 4000
        assert ServiceItem.objects.count() == 4000 and GuideVersion.objects.count() == 4000
        assert GuideVersion.objects.get(item__code="11440000MB003999").time_limit_days == 3999 % 30 + 1
    assert seen[-1].percent == 100
    percents = [p.percent for p in seen]
    assert percents == sorted(percents) and 40 <= percents[len(percents) // 2] < 100


def test_export_then_import_back_changes_nothing(alpha):
    run_import(alpha.schema, xlsx_file(ITEM_HEADER, GOOD), publish=True)
    with schema_context(alpha.schema):
        spec = ItemImport()
        exported = xlsx_bytes(_sheets(spec, spec.export_rows(), with_notes=False))
    rows = read_xlsx(exported)
    assert rows[1][:3] == ["code", "name", "item_type"]  # the key row
    job = run_import(alpha.schema, exported)
    assert job.result["unchanged"] == 2 and job.result["updated"] == 0


def test_running_a_finished_job_again_does_nothing(alpha):
    job = run_import(alpha.schema, xlsx_file(ITEM_HEADER, GOOD))
    with schema_context(alpha.schema):
        again = import_job_run(job_id=job.pk)
        assert again.status == ImportStatus.SUCCEEDED and ServiceItem.objects.count() == 2
        assert GuideVersion.objects.count() == 2
