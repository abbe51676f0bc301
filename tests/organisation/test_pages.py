"""Organisation screens: the unit tree, staff, platforms, devices (key shown once), imports; permissions."""

import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import ApiKey
from tenants.catalog.imports.services import import_job_create, import_job_run
from tenants.catalog.models import ImportJob
from tenants.organisation.models import Device, Platform, Staff, Unit, WindowAssignment
from tenants.organisation.services import staff_create, unit_create
from tests.catalog.helpers import xlsx_file
from tests.catalog.test_pages import signed_in
from tests.conftest import key_client

ACTOR = Actor.system("tests")


def _tree(schema):
    with schema_context(schema):
        d = unit_create(
            actor=ACTOR, code="D01", name="市场监督管理局", kind="department", region_code="130102"
        )
        h = unit_create(actor=ACTOR, code="H01", name="市民中心政务服务大厅", kind="hall", parent=d)
        w = unit_create(actor=ACTOR, code="W01", name="A01 综合受理窗口", kind="window", parent=h)
        s = staff_create(actor=ACTOR, staff_no="S001", name="张敏", unit=h)
        return d, h, w, s


def test_the_tree_is_a_nested_list_with_codes_and_region_codes(alpha):
    _d, _h, _w, _s = _tree(alpha.schema)
    page = signed_in(alpha).get("/organisation/").content.decode()
    tree = page[page.index('<ul class="tree">') :]
    assert tree.index("市场监督管理局") < tree.index("市民中心政务服务大厅") < tree.index("A01 综合受理窗口")
    assert "D01" in tree and "W01" in tree and "130102" in tree
    # the hall's list is nested inside the department's item
    assert re.search(r"市场监督管理局.*?<ul>.*?市民中心政务服务大厅.*?<ul>.*?A01", tree, re.S)


def test_deep_trees_open_level_by_level(alpha):
    with schema_context(alpha.schema):
        parent = None
        for n in range(5):
            parent = unit_create(actor=ACTOR, code=f"L{n}", name=f"第{n}层", kind="department", parent=parent)
    client = signed_in(alpha)
    top = client.get("/organisation/").content.decode()
    assert "第2层" in top and "第3层" not in top
    with schema_context(alpha.schema):
        l2 = Unit.objects.get(code="L2")
    assert f"?root={l2.pk}" in top
    deeper = client.get(f"/organisation/?root={l2.pk}").content.decode()
    assert "第3层" in deeper and "第4层" in deeper


def test_search_finds_units(alpha):
    _tree(alpha.schema)
    page = signed_in(alpha).get("/organisation/?q=窗口").content.decode()
    assert "A01 综合受理窗口" in page


def test_create_and_edit_units_staff_and_platforms(alpha):
    _d, h, _w, s = _tree(alpha.schema)
    client = signed_in(alpha)
    response = client.post(
        "/organisation/units/new/",
        {"code": "W02", "name": "A02", "kind": "window", "parent": "H01", "region_code": "", "active": "on"},
    )
    assert response.status_code == 302
    response = client.post(
        f"/organisation/units/{h.pk}/edit/",
        {
            "code": "H01",
            "name": "新大厅",
            "kind": "hall",
            "parent": "",
            "region_code": "130102",
            "active": "on",
        },
    )
    assert response.status_code == 302
    response = client.post("/organisation/staff/new/", {"staff_no": "S002", "name": "李娜", "unit": "H01"})
    assert response.status_code == 302
    response = client.post(f"/organisation/staff/{s.pk}/assign", {"window": "W02", "starts_on": "2025-03-01"})
    assert response.status_code == 302
    response = client.post(f"/organisation/staff/{s.pk}/leave", {"left_on": "2025-06-30"})
    assert response.status_code == 302
    response = client.post(
        "/organisation/platforms/", {"code": "12345", "name": "12345热线", "kind": "hotline"}
    )
    assert response.status_code == 302
    with schema_context(alpha.schema):
        assert Unit.objects.get(code="W02").parent.code == "H01"
        h.refresh_from_db()
        assert h.parent is None and h.name == "新大厅"
        assert Staff.objects.filter(staff_no="S002").exists()
        assert list(WindowAssignment.objects.values_list("window__code", "starts_on", "ends_on")) == [
            ("W02", date(2025, 3, 1), date(2025, 6, 30))
        ]
        assert Platform.objects.get(code="12345").kind == "hotline"
    detail = client.get(f"/organisation/staff/{s.pk}/").content.decode()
    assert "2025-03-01" in detail and "2025-06-30" in detail


def test_bad_unit_input_gets_the_form_back(alpha):
    _tree(alpha.schema)
    response = signed_in(alpha).post(
        "/organisation/units/new/",
        {"code": "X", "name": "x", "kind": "hall", "parent": "W01", "region_code": "1"},
    )
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()


def test_assigning_to_a_non_window_is_refused_with_the_reason(alpha):
    _d, _h, _w, s = _tree(alpha.schema)
    response = signed_in(alpha).post(
        f"/organisation/staff/{s.pk}/assign", {"window": "H01", "starts_on": "2025-03-01"}
    )
    assert response.status_code == 400 and "H01" in response.content.decode()


def test_device_key_is_shown_once_and_works(alpha):
    _tree(alpha.schema)
    client = signed_in(alpha)
    response = client.post("/organisation/devices/", {"code": "DEV-W01", "name": "评价器", "window": "W01"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    key = re.search(r'id="new-key"[^>]*value="([^"]+)"', response.content.decode()).group(1)
    assert key_client(alpha.host, key).get("/api/v1/me").status_code == 200
    again = client.get("/organisation/devices/").content.decode()
    assert "DEV-W01" in again and key not in again
    with schema_context(alpha.schema):
        assert Device.objects.get(code="DEV-W01").api_key.role == "device"


def test_units_import_through_the_page(alpha, django_capture_on_commit_callbacks):
    client = signed_in(alpha)
    data = xlsx_file(["单位编码", "单位名称", "单位类型"], [["D09", "审批局", "部门"]])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            "/organisation/import/?kind=units", {"file": SimpleUploadedFile("u.xlsx", data)}
        )
    assert response.status_code == 302 and len(callbacks) == 1
    with schema_context(alpha.schema):
        job = ImportJob.objects.get()
        assert job.kind == "units"
        import_job_run(job_id=job.pk)
        assert Unit.objects.filter(code="D09").exists()
    assert client.get(f"/organisation/imports/{job.pk}/status").json()["percent"] == 100
    # a units job is not reachable through the catalogue's pages, and the other way round
    assert client.get(f"/catalog/imports/{job.pk}/").status_code == 404


@pytest.mark.parametrize(
    "path", ["/organisation/import/template/staff.xlsx", "/organisation/export/units.csv"]
)
def test_templates_and_exports(alpha, path):
    _tree(alpha.schema)
    response = signed_in(alpha).get(path)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]


DEVICE = {"code": "DEV-X", "name": "x", "window": "W01"}
CHANGE = [
    ("get", "/organisation/units/new/", None),
    ("post", "/organisation/units/{unit}/edit/", {"code": "H01", "name": "x", "kind": "hall"}),
    ("post", "/organisation/staff/new/", {"staff_no": "S9", "name": "x", "unit": "H01"}),
    ("post", "/organisation/staff/{staff}/leave", {"left_on": "2025-01-01"}),
    ("post", "/organisation/platforms/", {"code": "WEB", "name": "x", "kind": "web"}),
    ("post", "/organisation/devices/", DEVICE),
    ("get", "/organisation/import/", None),
    ("get", "/organisation/export/staff.csv", None),
]


@pytest.mark.parametrize(("method", "path", "body"), CHANGE)
def test_window_staff_can_read_but_not_change_the_organisation(alpha, method, path, body):
    _d, h, w, s = _tree(alpha.schema)
    client = signed_in(alpha, role="window_staff")
    for readable in (
        "/organisation/",
        f"/organisation/units/{w.pk}/",
        "/organisation/staff/",
        "/organisation/devices/",
    ):
        assert client.get(readable).status_code == 200
    response = getattr(client, method)(path.format(unit=h.pk, staff=s.pk), body)
    assert response.status_code == 403
    with schema_context(alpha.schema):
        assert not Device.objects.exists() and not Platform.objects.exists()
        assert Unit.objects.get(pk=h.pk).name == "市民中心政务服务大厅"
        s.refresh_from_db()
        assert s.active and ApiKey.objects.count() == 0 and Staff.objects.count() == 1


@pytest.mark.parametrize(
    "path",
    [
        "/organisation/units/{unit}/",
        "/organisation/units/{unit}/edit/",
        "/organisation/staff/{staff}/",
        "/organisation/?root={unit}",
        "/organisation/imports/{job}/status",
    ],
)
def test_beta_admin_gets_404_for_alphas_units_staff_and_jobs(alpha, beta, path):
    _d, h, _w, s = _tree(alpha.schema)
    with schema_context(alpha.schema):
        job = import_job_create(
            actor=ACTOR,
            kind="units",
            filename="u.xlsx",
            enqueue=False,
            data=xlsx_file(["单位编码", "单位名称", "单位类型"], [["Q", "q", "部门"]]),
        )
    response = signed_in(beta).get(path.format(unit=h.pk, staff=s.pk, job=job.pk))
    assert response.status_code == 404


def test_beta_admin_cannot_change_alphas_staff(alpha, beta):
    _d, _h, _w, s = _tree(alpha.schema)
    response = signed_in(beta).post(f"/organisation/staff/{s.pk}/leave", {"left_on": "2025-01-01"})
    assert response.status_code == 404
    with schema_context(alpha.schema):
        s.refresh_from_db()
        assert s.active
