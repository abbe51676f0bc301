"""Catalogue screens: read with catalog.read, change with catalog.manage, nothing across tenants."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context
from openpyxl import load_workbook

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent, User
from tenants.accounts.services import user_create
from tenants.catalog.imports.services import import_job_run
from tenants.catalog.models import ImportJob, ImportStatus, ItemStatus, ServiceItem
from tenants.catalog.services import guide_edit, item_create
from tests.catalog.helpers import ITEM_HEADER, item_row, read_xlsx, run_import, xlsx_file
from tests.conftest import PASSWORD, host_client

ACTOR = Actor.system("tests")


def signed_in(info, role: str | None = None):
    """A client signed in on the tenant's host (force_login: allauth's sign-in rate limit lives in Redis,
    which tests do not roll back)."""
    email = info.admin_email
    with schema_context(info.schema):
        if role:
            email = f"{role}@{info.tenant.slug}.example"
            user_create(actor=ACTOR, email=email, role=role, password=PASSWORD)
        client = host_client(info.host)
        client.force_login(User.objects.get(email=email))
    return client


def _published(schema, code="ITEM-7", name="不动产登记（转移登记）"):
    with schema_context(schema):
        return item_create(
            actor=ACTOR,
            code=code,
            name=name,
            item_type="confirmation",
            time_limit_days=5,
            materials=["申请书", "身份证明"],
            publish=True,
        )


def test_list_searches_filters_by_status_and_pages(alpha):
    with schema_context(alpha.schema):
        for n in range(55):
            item_create(
                actor=ACTOR,
                code=f"C-{n:03d}",
                name=f"事项{n}",
                item_type="licensing",
                time_limit_days=3,
                publish=n % 2 == 0,
            )
    client = signed_in(alpha)
    page = client.get("/catalog/").content.decode()
    assert "C-000" in page and "C-049" in page and "C-050" not in page  # 50 per page
    assert "C-054" in client.get("/catalog/?page=2").content.decode()
    found = client.get("/catalog/?q=事项1&status=").content.decode()
    assert "C-010" in found and "C-020" not in found
    drafts = client.get("/catalog/?status=draft").content.decode()
    assert "C-001" in drafts and "C-002" not in drafts
    assert client.get("/catalog/?status=nonsense").status_code == 200  # an unknown filter is ignored


def test_detail_shows_the_guide_in_force_and_every_version(alpha):
    item = _published(alpha.schema)
    with schema_context(alpha.schema):
        guide_edit(actor=ACTOR, item=item, materials=["申请书", "身份证明", "完税证明"])
    page = signed_in(alpha).get(f"/catalog/{item.pk}/").content.decode()
    assert "完税证明" in page  # the draft v2 in the history
    assert page.count('class="version"') == 2
    assert f'action="/catalog/{item.pk}/publish"' in page


def test_create_edit_guide_publish_and_retire_through_the_pages(alpha):
    client = signed_in(alpha)
    response = client.post(
        "/catalog/new/",
        {
            "item-code": "NEW-1",
            "item-name": "社会保障卡申领",
            "item-item_type": "public_service",
            "item-legal_basis": "",
            "item-responsible_unit": "",
            "guide-accepting_unit": "人社局",
            "guide-channels": "窗口办理\n网上办理",
            "guide-materials": "身份证\n照片",
            "guide-steps": "申请；制卡；发卡",
            "guide-promise_type": "promised",
            "guide-time_limit_days": "5",
            "guide-evaluation_channels": "",
        },
    )
    assert response.status_code == 302
    with schema_context(alpha.schema):
        item = ServiceItem.objects.get(code="NEW-1")
        assert item.guides.get().steps == ["申请", "制卡", "发卡"]
    assert client.post(f"/catalog/{item.pk}/publish").status_code == 302
    response = client.post(
        f"/catalog/{item.pk}/guide/",
        {"guide-promise_type": "promised", "guide-time_limit_days": "3", "guide-materials": "身份证"},
    )
    assert response.status_code == 302
    with schema_context(alpha.schema):
        assert list(item.guides.order_by("version").values_list("version", "time_limit_days")) == [
            (1, 5),
            (2, 3),
        ]
        item.refresh_from_db()
        assert item.current_guide.version == 1
    assert client.post(f"/catalog/{item.pk}/retire").status_code == 302
    with schema_context(alpha.schema):
        item.refresh_from_db()
        assert item.status == ItemStatus.RETIRED
        assert AuditEvent.objects.filter(action="item.retire").count() == 1


def test_bad_input_gets_the_form_back_with_the_reason_not_a_500(alpha):
    _published(alpha.schema, code="TAKEN")
    client = signed_in(alpha)
    response = client.post(
        "/catalog/new/",
        {
            "item-code": "TAKEN",
            "item-name": "x",
            "item-item_type": "licensing",
            "item-responsible_unit": "NOPE",
            "guide-promise_type": "promised",
            "guide-time_limit_days": "0",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "NOPE" in body and 'aria-invalid="true"' in body


def test_upload_enqueues_after_commit_and_the_job_page_reports_rows_with_errors(
    alpha, django_capture_on_commit_callbacks
):
    client = signed_in(alpha)
    data = xlsx_file(ITEM_HEADER, [item_row("U-1"), item_row("U-2", name="")])
    upload = SimpleUploadedFile("事项.xlsx", data)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post("/catalog/import/", {"file": upload, "valid_only": "on"})
    assert response.status_code == 302 and len(callbacks) == 1  # the Celery task is sent only after commit
    with schema_context(alpha.schema):
        job = ImportJob.objects.get()
    assert response["Location"] == f"/catalog/imports/{job.pk}/"
    status = client.get(f"/catalog/imports/{job.pk}/status").json()
    assert (status["status"], status["finished"], status["percent"]) == ("queued", False, 0)
    with schema_context(alpha.schema):
        import_job_run(job_id=job.pk)
    status = client.get(f"/catalog/imports/{job.pk}/status").json()
    assert status | {"id": 0} == {
        "id": 0,
        "status": "succeeded",
        "status_label": str(ImportStatus.SUCCEEDED.label),
        "done": 1,
        "total": 2,
        "percent": 100,
        "finished": True,
        "error_count": 1,
    }
    page = client.get(f"/catalog/imports/{job.pk}/").content.decode()
    assert f"/catalog/imports/{job.pk}/errors" in page and "事项名称：" in page
    errors = client.get(f"/catalog/imports/{job.pk}/errors")
    assert "attachment" in errors["Content-Disposition"]
    assert read_xlsx(errors.content)[2][-1].startswith("事项名称：")


def test_a_wrong_file_is_refused_on_the_upload_page(alpha):
    client = signed_in(alpha)
    upload = SimpleUploadedFile("old.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 64)
    response = client.post("/catalog/import/", {"file": upload})
    assert response.status_code == 400 and ".xls" in response.content.decode()
    with schema_context(alpha.schema):
        assert not ImportJob.objects.exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_templates_download(alpha, fmt):
    response = signed_in(alpha).get(f"/catalog/import/template.{fmt}")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]


def test_xlsx_export_is_in_the_import_format(alpha):
    _published(alpha.schema)
    rows = read_xlsx(signed_in(alpha).get("/catalog/export.xlsx").content)
    assert (
        rows[0][0] == "事项编码*"
        and rows[1][0] == "code"
        and rows[2][:2] == ["ITEM-7", "不动产登记（转移登记）"]
    )
    assert rows[2][8] == "申请书；身份证明"


def test_csv_export_streams_in_the_import_format(alpha):
    _published(alpha.schema)
    response = signed_in(alpha).get("/catalog/export.csv")
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[1].startswith("code,name,item_type") and lines[2].startswith("ITEM-7,不动产登记（转移登记）")


def test_window_staff_may_export_the_catalogue_but_not_import(alpha):
    client = signed_in(alpha, role="window_staff")
    assert client.get("/catalog/export.csv").status_code == 200
    assert client.get("/catalog/import/").status_code == 403


def test_the_xlsx_template_documents_every_column_and_the_list_separator(alpha):
    book = load_workbook(io.BytesIO(signed_in(alpha).get("/catalog/import/template.xlsx").content))
    data, notes = book.worksheets
    assert [c.value for c in data[1]][:3] == ["事项编码*", "事项名称*", "事项类型*"]
    assert data.row_dimensions[2].hidden is True
    documented = [row[0].value for row in notes.iter_rows(min_row=2)]
    assert "申请材料" in documented and "办件类型" in documented
    assert any("；" in (row[0].value or "") for row in notes.iter_rows(min_row=2))


CHANGE_PAGES = [
    ("get", "/catalog/new/"),
    ("post", "/catalog/new/"),
    ("get", "/catalog/{pk}/edit/"),
    ("get", "/catalog/{pk}/guide/"),
    ("post", "/catalog/{pk}/guide/"),
    ("post", "/catalog/{pk}/publish"),
    ("post", "/catalog/{pk}/retire"),
    ("get", "/catalog/import/"),
    ("post", "/catalog/import/"),
    ("get", "/catalog/import/template.xlsx"),
]


@pytest.mark.parametrize(("method", "path"), CHANGE_PAGES)
def test_window_staff_can_read_but_not_change_the_catalogue(alpha, method, path):
    item = _published(alpha.schema)
    client = signed_in(alpha, role="window_staff")
    assert client.get("/catalog/").status_code == 200
    assert client.get(f"/catalog/{item.pk}/").status_code == 200
    response = getattr(client, method)(path.format(pk=item.pk))
    assert response.status_code == 403
    with schema_context(alpha.schema):
        item.refresh_from_db()
        assert item.status == ItemStatus.PUBLISHED and item.guides.count() == 1


def test_signed_out_visitors_are_sent_to_sign_in(alpha):
    response = host_client(alpha.host).get("/catalog/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/catalog/{pk}/"),
        ("get", "/catalog/{pk}/edit/"),
        ("post", "/catalog/{pk}/publish"),
        ("post", "/catalog/{pk}/retire"),
        ("get", "/catalog/imports/{job}/"),
        ("get", "/catalog/imports/{job}/status"),
        ("get", "/catalog/imports/{job}/errors"),
    ],
)
def test_beta_admin_gets_404_for_alphas_objects_and_nothing_changes(alpha, beta, method, path):
    item = _published(alpha.schema)
    job = run_import(alpha.schema, xlsx_file(ITEM_HEADER, [item_row("Z-1", name="")]))
    client = signed_in(beta)
    response = getattr(client, method)(path.format(pk=item.pk, job=job.pk))
    assert response.status_code == 404
    with schema_context(alpha.schema):
        item.refresh_from_db()
        assert item.status == ItemStatus.PUBLISHED
    with schema_context(beta.schema):
        assert not ServiceItem.objects.exists() and not ImportJob.objects.exists()


def test_alpha_session_is_anonymous_on_beta_catalogue(alpha, beta):
    client = signed_in(alpha)
    client.defaults["HTTP_HOST"] = beta.host
    assert client.get("/catalog/").status_code == 302
    assert client.get("/catalog/import/").status_code == 302
