"""Paper forms: the printable PDF per window, and staff entry of filled forms (channel "paper")."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent, User
from tenants.accounts.roles import Role
from tenants.assisted.models import PaperEntry, PaperScan
from tenants.assisted.services.paper import PaperEntryInput, paper_evaluation_enter
from tenants.evaluations.models import Evaluation, Transaction
from tenants.evaluations.services import TransactionInput, transaction_register
from tenants.privacy.identity import identity_from_row
from tests.assisted.conftest import pdf_text, sign_in
from tests.conftest import host_client, key_client

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200
PDF = b"%PDF-1.4\n" + b"%" * 200


def form(**overrides) -> dict:
    body = {
        "entry_token": "token-1",
        "transaction": "",
        "item_code": "ITEM-001",
        "window_code": "W01",
        "level": "2",
        "comment": "",
        "form_date": timezone.localdate().isoformat(),
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def nothing_stored(schema: str) -> bool:
    with schema_context(schema):
        return not (
            Evaluation.objects.exists() or PaperEntry.objects.exists() or Transaction.objects.exists()
        )


# --- the printable form ------------------------------------------------------------------------------------
def test_form_pdf_for_a_window_carries_its_names_the_scale_and_the_reasons(world, admin):
    response = admin.get("/assisted/paper/forms/W01.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="rating-form-W01.pdf"'
    data = response.content
    assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type /Page[^s]", data)) == 1  # one A4 sheet
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in data
    text = pdf_text(data)
    for expected in (
        "甲省政务服务管理局",  # the tenant's display name
        "A01 综合受理窗口 (W01)",
        "市民中心政务服务大厅 (H01)",
        "1  很好",
        "5  很差",
        "4. 服务态度差",
        "8. 窗口等候时间长",
    ):
        assert expected in text, expected


def test_paper_page_lists_windows_with_their_download_link(world, admin):
    page = admin.get("/assisted/paper/")
    assert page.status_code == 200
    assert 'href="/assisted/paper/forms/W01.pdf"' in page.content.decode()
    assert "W01" not in admin.get("/assisted/paper/?q=nothing-like-this").content.decode()


def test_a_hall_or_unknown_code_has_no_form(world, admin):
    assert admin.get("/assisted/paper/forms/H01.pdf").status_code == 404
    assert admin.get("/assisted/paper/forms/NOPE.pdf").status_code == 404


# --- entering a filled form --------------------------------------------------------------------------------
def test_paper_entry_is_a_rating_with_channel_paper_the_scan_and_the_staff_member(world):
    client = sign_in(world.info, Role.WINDOW_STAFF)
    body = form(
        transaction="ZB-2026-0001",
        level="4",
        reason_tags=["attitude", "long_wait"],
        comment="窗口人员态度冷淡",
        name="李四",
        phone="13800138000",
        form_date=(timezone.localdate() - timedelta(days=1)).isoformat(),
        scan=SimpleUploadedFile("form.png", PNG, content_type="image/png"),
    )
    response = client.post("/assisted/paper/enter", body)
    assert response.status_code == 302 and response["Location"] == "/assisted/paper/enter"
    with schema_context(world.info.schema):
        evaluation = Evaluation.objects.select_related("transaction__window", "transaction__unit").get()
        entry = PaperEntry.objects.get()
        scan = PaperScan.objects.get()
        audit = AuditEvent.objects.get(action="evaluation.paper_enter")
        staff = User.objects.get(email="window_staff@alpha.example")
        identity = identity_from_row(evaluation, "evaluator")
    assert (evaluation.channel, evaluation.level, evaluation.is_bad) == ("paper", 4, True)
    assert evaluation.reason_tags == ["attitude", "long_wait"] and evaluation.comment == "窗口人员态度冷淡"
    assert evaluation.source == "window_staff@alpha.example"
    assert (identity.name, identity.phone) == ("李四", "13800138000") and not evaluation.anonymous
    assert evaluation.evaluator_phone != "13800138000"  # encrypted at rest
    assert evaluation.transaction.number == "ZB-2026-0001"
    assert (evaluation.transaction.window.code, evaluation.transaction.unit.code) == ("W01", "H01")
    assert timezone.localtime(evaluation.rated_at).date() == timezone.localdate() - timedelta(days=1)
    assert entry.evaluation == evaluation and entry.entered_by == staff
    assert entry.form_date == timezone.localdate() - timedelta(days=1)
    assert (scan.entry, scan.content_type, bytes(scan.data)) == (entry, "image/png", PNG)
    assert (audit.actor_kind, audit.actor_id, audit.target_id) == ("user", staff.pk, str(entry.pk))


def test_form_without_a_number_gets_a_generated_transaction(world, admin):
    assert admin.post("/assisted/paper/enter", form(level="1")).status_code == 302
    with schema_context(world.info.schema):
        evaluation = Evaluation.objects.select_related("transaction").get()
    assert evaluation.transaction.number.startswith("PAPER-")
    assert (evaluation.channel, evaluation.transaction.channel) == ("paper", "paper")


def test_form_for_a_registered_transaction_rates_it(world, admin):
    with schema_context(world.info.schema):
        transaction_register(
            actor=Actor.system("tests"),
            data=TransactionInput(
                number="T-77", item_code="ITEM-001", unit_code="H01", window_code="W01", channel="device"
            ),
        )
    response = admin.post("/assisted/paper/enter", form(transaction="T-77", item_code="", window_code=""))
    assert response.status_code == 302
    with schema_context(world.info.schema):
        evaluation = Evaluation.objects.get()
        assert evaluation.transaction.number == "T-77" and evaluation.anonymous
        assert Transaction.objects.count() == 1


@pytest.mark.parametrize("scan", [JPEG, PDF])
def test_jpeg_and_pdf_scans_are_kept(world, admin, scan):
    upload = SimpleUploadedFile("scan.bin", scan, content_type="application/octet-stream")
    assert admin.post("/assisted/paper/enter", form(scan=upload)).status_code == 302
    with schema_context(world.info.schema):
        stored = PaperScan.objects.get()
    assert bytes(stored.data) == scan and stored.size == len(scan)


def test_the_same_form_submitted_twice_is_stored_once(world, admin):
    first = admin.post("/assisted/paper/enter", form(transaction="T-9"))
    again = admin.post("/assisted/paper/enter", form(transaction="T-9"), follow=True)
    assert first.status_code == 302
    assert "T-9" in again.content.decode()
    with schema_context(world.info.schema):
        assert (Evaluation.objects.count(), PaperEntry.objects.count()) == (1, 1)


def test_scan_download_is_audited(world, admin):
    admin.post("/assisted/paper/enter", form(scan=SimpleUploadedFile("f.png", PNG)))
    with schema_context(world.info.schema):
        entry = PaperEntry.objects.get()
    listing = admin.get("/assisted/paper/").content.decode()
    assert f"/assisted/paper/entries/{entry.pk}/scan" in listing
    response = admin.get(f"/assisted/paper/entries/{entry.pk}/scan")
    assert response.status_code == 200 and response.content == PNG
    assert response["Content-Type"] == "image/png" and response["Cache-Control"] == "no-store"
    with schema_context(world.info.schema):
        assert (
            AuditEvent.objects.filter(action="evaluation.paper_scan_view", target_id=str(entry.pk)).count()
            == 1
        )


def test_entry_without_scan_has_no_scan_download(world, admin):
    admin.post("/assisted/paper/enter", form())
    with schema_context(world.info.schema):
        entry = PaperEntry.objects.get()
    assert admin.get(f"/assisted/paper/entries/{entry.pk}/scan").status_code == 404


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"level": "5"}, "A bad review (level 4 or 5) needs at least one reason tag."),
        ({"level": "9"}, "Select a valid choice."),
        (
            {"scan": SimpleUploadedFile("form.png", b"GIF89a" + b"\x00" * 50)},
            "Upload the scan as PDF, PNG or JPEG.",
        ),
        (
            {"scan": SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024))},
            "A scan is at most 5 MB.",
        ),
        ({"form_date": (timezone.localdate() + timedelta(days=2)).isoformat()}, "cannot be in the future"),
        ({"window_code": "H01"}, "Unknown window"),
        ({"item_code": "NOPE"}, "Unknown service item"),
        (
            {"item_code": "", "window_code": ""},
            "Give the transaction number, or the service item and the window.",
        ),
        (
            {"transaction": "NOT-THERE", "item_code": "", "window_code": ""},
            "Unknown transaction number; give the service item and the window to record it.",
        ),
        ({"phone": "12345"}, "11-digit mobile number"),
        ({"id_type": "resident_id", "id_number": "110101199003071234"}, "not a valid 18-digit resident ID"),
        ({"comment": "长" * 501}, "at most 500 characters"),
    ],
)
def test_bad_input_shows_the_form_again_and_stores_nothing(world, admin, overrides, message):
    response = admin.post("/assisted/paper/enter", form(**overrides))
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body and 'role="alert"' in body
    assert nothing_stored(world.info.schema)


def test_unknown_transaction_number_alone_is_refused_by_the_service(world):
    with schema_context(world.info.schema):
        staff = User.objects.get(email=world.info.admin_email)
        with pytest.raises(ValidationError) as refused:
            paper_evaluation_enter(
                actor=staff.actor,
                data=PaperEntryInput(form_date=timezone.localdate(), level=1, transaction="X-1"),
            )
    assert list(refused.value.message_dict) == ["transaction"]
    assert nothing_stored(world.info.schema)


# --- who may enter ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AUDITOR])
def test_roles_without_the_permission_are_refused(world, role):
    client = sign_in(world.info, role)
    assert client.get("/assisted/paper/enter").status_code == 403
    assert client.post("/assisted/paper/enter", form()).status_code == 403
    assert client.get("/assisted/paper/forms/W01.pdf").status_code == 403
    assert nothing_stored(world.info.schema)


def test_a_device_key_cannot_use_the_staff_screen(world):
    device = key_client(world.info.host, world.device_key)
    response = device.post("/assisted/paper/enter", form())
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert device.get("/assisted/paper/forms/W01.pdf").status_code == 302
    assert nothing_stored(world.info.schema)


def test_the_service_refuses_machines_even_with_a_staff_role(world):
    data = PaperEntryInput(form_date=timezone.localdate(), level=1, item_code="ITEM-001", window_code="W01")
    with schema_context(world.info.schema):
        for actor in (
            Actor(kind="api_key", id=world.device.api_key_id, label="key:dev", role=Role.DEVICE),
            Actor(kind="api_key", id=1, label="key:admin", role=Role.TENANT_ADMIN),
        ):
            with pytest.raises(PermissionDenied):
                paper_evaluation_enter(actor=actor, data=data)
    assert nothing_stored(world.info.schema)


# --- tenant isolation ---------------------------------------------------------------------------------------
def test_beta_cannot_reach_alphas_windows_transactions_or_scans(world, admin, beta, beta_admin):
    admin.post("/assisted/paper/enter", form(transaction="T-A1", scan=SimpleUploadedFile("f.png", PNG)))
    with schema_context(world.info.schema):
        entry = PaperEntry.objects.get()
        before = (Evaluation.objects.count(), AuditEvent.objects.count())
    assert beta_admin.get("/assisted/paper/forms/W01.pdf").status_code == 404
    assert beta_admin.get(f"/assisted/paper/entries/{entry.pk}/scan").status_code == 404
    refused = beta_admin.post("/assisted/paper/enter", form(transaction="T-A1", item_code="", window_code=""))
    assert refused.status_code == 400
    assert "W01" not in beta_admin.get("/assisted/paper/").content.decode()
    with schema_context(world.info.schema):
        assert (Evaluation.objects.count(), AuditEvent.objects.count()) == before
    assert nothing_stored(beta.schema)


def test_alphas_session_is_anonymous_on_betas_host(world, admin, beta):
    admin.defaults["HTTP_HOST"] = beta.host
    response = admin.post("/assisted/paper/enter", form())
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert host_client(beta.host).get("/assisted/paper/forms/W01.pdf").status_code == 302
    assert nothing_stored(beta.schema) and nothing_stored(world.info.schema)
