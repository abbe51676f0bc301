"""Units and staff imports, on the catalogue's import framework."""

from datetime import date

from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.catalog.models import ImportStatus
from tenants.organisation.models import Staff, Unit, UnitKind, WindowAssignment
from tenants.organisation.services import device_register, staff_assign, staff_create, unit_create
from tests.catalog.helpers import csv_file, read_csv, read_xlsx, run_import, xlsx_file

UNIT_HEADER = ["单位编码*", "单位名称*", "单位类型*", "上级单位编码", "行政区划代码", "是否启用"]
STAFF_HEADER = ["工号*", "姓名*", "所属单位编码*", "当前窗口编码", "上岗日期", "在职状态", "离职日期"]
ACTOR = Actor.system("tests")


def _units(schema):
    with schema_context(schema):
        return {u.code: u for u in Unit.objects.select_related("parent")}


def test_units_come_in_any_order_and_get_paths_and_inherited_region_codes(alpha):
    rows = [
        ["W01", "A01 综合受理窗口", "窗口", "H01", "", ""],
        ["H01", "市民中心政务服务大厅", "大厅", "D01", "", "是"],
        ["D01", "市场监督管理局", "部门", "", "130102", ""],
        ["P01", "某村便民服务点", "服务点", "D01", "130102001001", "否"],
    ]
    job = run_import(alpha.schema, xlsx_file(UNIT_HEADER, rows), kind="units")
    assert job.status == ImportStatus.SUCCEEDED, job.errors_preview
    units = _units(alpha.schema)
    d, h, w = units["D01"], units["H01"], units["W01"]
    assert w.path == f"/{d.pk}/{h.pk}/{w.pk}/" and w.parent == h and w.kind == UnitKind.WINDOW
    assert (w.region_code, units["P01"].region_code, units["P01"].active) == ("130102", "130102001001", False)
    assert job.result == {"created": 4, "updated": 0, "moved": 0, "unchanged": 0, "rows": 4, "skipped": 0}


def test_reimport_moves_a_unit_with_its_subtree_and_updates_names(alpha):
    with schema_context(alpha.schema):
        d1 = unit_create(actor=ACTOR, code="D01", name="甲局", kind="department")
        d2 = unit_create(actor=ACTOR, code="D02", name="乙局", kind="department")
        hall = unit_create(actor=ACTOR, code="H01", name="大厅", kind="hall", parent=d1)
        window = unit_create(actor=ACTOR, code="W01", name="窗口", kind="window", parent=hall)
    rows = [["H01", "新大厅", "大厅", "D02", "", ""]]
    job = run_import(alpha.schema, xlsx_file(UNIT_HEADER, rows), kind="units")
    assert job.result["moved"] == 1 and job.result["updated"] == 1
    units = _units(alpha.schema)
    assert units["H01"].name == "新大厅" and units["H01"].parent.code == "D02"
    assert units["W01"].path == f"/{d2.pk}/{hall.pk}/{window.pk}/"  # not in the file, moved along
    assert d1.pk  # untouched


def test_unit_rows_that_loop_or_hang_under_a_window_or_a_bad_row_are_errors(alpha):
    with schema_context(alpha.schema):
        d = unit_create(actor=ACTOR, code="D01", name="甲局", kind="department")
        unit_create(actor=ACTOR, code="W09", name="窗口", kind="window", parent=d)
    rows = [
        ["A", "甲", "部门", "B", "", ""],
        ["B", "乙", "部门", "A", "", ""],  # A and B loop
        ["X", "丙", "大厅", "W09", "", ""],  # under a window
        ["Y", "丁", "大厅", "NOPE", "", ""],  # unknown parent
        ["Z", "", "大厅", "", "1301", ""],  # no name, bad region code
        ["Z1", "戊", "窗口", "Z", "", ""],  # parent's row is wrong
        ["OK", "好", "部门", "", "", ""],
    ]
    job = run_import(
        alpha.schema, csv_file(UNIT_HEADER, rows), kind="units", filename="u.csv", valid_only=True
    )
    assert job.status == ImportStatus.SUCCEEDED and job.done == 1
    errors = dict(job.errors_preview)
    assert "loop" in errors[2] and "loop" in errors[3]
    assert "window" in errors[4] and "NOPE" in errors[5]
    assert "单位名称" in errors[6] and "行政区划代码" in errors[6]
    assert "row 6" in errors[7]
    assert "OK" in _units(alpha.schema)
    file_rows = read_csv(bytes(job.errors_file))
    assert file_rows[0][-1] == "错误" and file_rows[7][-1] == "" and file_rows[1][-1]


def test_a_window_with_devices_must_stay_a_window(alpha):
    with schema_context(alpha.schema):
        d = unit_create(actor=ACTOR, code="D01", name="甲局", kind="department")
        w = unit_create(actor=ACTOR, code="W01", name="窗口", kind="window", parent=d)
        device_register(actor=ACTOR, code="DEV", name="评价器", window=w)
    job = run_import(
        alpha.schema, xlsx_file(UNIT_HEADER, [["W01", "窗口", "大厅", "D01", "", ""]]), kind="units"
    )
    assert job.status == ImportStatus.REJECTED and "devices" in job.errors_preview[0][1]


def _org(schema):
    with schema_context(schema):
        d = unit_create(actor=ACTOR, code="H01", name="大厅", kind="hall")
        w1 = unit_create(actor=ACTOR, code="W01", name="A01", kind="window", parent=d)
        w2 = unit_create(actor=ACTOR, code="W02", name="A02", kind="window", parent=d)
        return d, w1, w2


def test_staff_import_creates_people_and_window_assignments(alpha):
    _org(alpha.schema)
    rows = [
        ["S001", "张敏", "H01", "W01", "2025-03-01", "在职", ""],
        ["S002", "李娜", "H01", "", "", "", ""],
        ["S003", "王强", "H01", "", "", "离职", "2025-01-31"],
    ]
    job = run_import(alpha.schema, xlsx_file(STAFF_HEADER, rows), kind="staff")
    assert job.status == ImportStatus.SUCCEEDED, job.errors_preview
    assert job.result | {"rows": 0} == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "assigned": 1,
        "left": 0,
        "rows": 0,
        "skipped": 0,
    }
    with schema_context(alpha.schema):
        assert list(
            WindowAssignment.objects.values_list("staff__staff_no", "window__code", "starts_on", "ends_on")
        ) == [("S001", "W01", date(2025, 3, 1), None)]
        assert Staff.objects.get(staff_no="S003").left_on == date(2025, 1, 31)


def test_staff_reimport_moves_people_between_windows_and_marks_leavers(alpha):
    _h, w1, _w2 = _org(alpha.schema)
    with schema_context(alpha.schema):
        mover = staff_create(actor=ACTOR, staff_no="S001", name="张敏", unit=_h)
        leaver = staff_create(actor=ACTOR, staff_no="S002", name="李娜", unit=_h)
        staff_assign(actor=ACTOR, staff=mover, window=w1, starts_on=date(2025, 1, 1))
        staff_assign(actor=ACTOR, staff=leaver, window=w1, starts_on=date(2025, 1, 1))
    rows = [
        ["S001", "张敏", "H01", "W02", "2025-04-01", "在职", ""],
        ["S002", "李娜", "H01", "W01", "", "离职", "2025-05-31"],
    ]
    job = run_import(alpha.schema, xlsx_file(STAFF_HEADER, rows), kind="staff")
    assert job.status == ImportStatus.SUCCEEDED, job.errors_preview
    with schema_context(alpha.schema):
        history = list(
            WindowAssignment.objects.order_by("staff__staff_no", "starts_on").values_list(
                "staff__staff_no", "window__code", "starts_on", "ends_on"
            )
        )
    assert history == [
        ("S001", "W01", date(2025, 1, 1), date(2025, 3, 31)),
        ("S001", "W02", date(2025, 4, 1), None),
        ("S002", "W01", date(2025, 1, 1), date(2025, 5, 31)),
    ]


def test_staff_rows_with_unknown_units_or_missing_dates_are_refused_all_or_nothing(alpha):
    _org(alpha.schema)
    rows = [
        ["S001", "张敏", "H01", "W01", "", "", ""],
        ["S002", "李娜", "NOPE", "H01", "2025-13-01", "离职", ""],
    ]
    job = run_import(alpha.schema, xlsx_file(STAFF_HEADER, rows), kind="staff")
    assert job.status == ImportStatus.REJECTED
    message = job.errors_preview[0][1]
    for fragment in ("所属单位编码", "NOPE", "当前窗口编码", "上岗日期", "离职日期"):
        assert fragment in message
    assert read_xlsx(bytes(job.errors_file))[2][-1] == message
    with schema_context(alpha.schema):
        assert not Staff.objects.exists()
