"""The social comments page: hand entry, the list with masked contacts, e-mail upload, roles, isolation."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.models import AuditEvent
from tenants.accounts.roles import Role
from tenants.assisted.models import SocialComment
from tenants.privacy.crypto import decrypt
from tests.assisted.conftest import sign_in
from tests.assisted.test_mail import gbk_base64_mail, html_only_mail
from tests.conftest import key_client

PHONE = "13800138000"


def comment(**overrides) -> dict:
    body = {
        "source_kind": "suggestion_box",
        "received_at": (timezone.localtime() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "subject": "意见箱 11 月第 3 周",
        "text": "希望 W01 窗口中午也安排人值守。",
        "contact": PHONE,
        "external_id": "",
        "window_code": "W01",
    }
    body.update(overrides)
    return body


def stored(schema: str) -> list[SocialComment]:
    with schema_context(schema):
        return list(SocialComment.objects.select_related("window", "staff", "item", "platform", "unit"))


def test_hand_entry_is_stored_attached_and_listed_with_the_contact_masked(world, admin):
    response = admin.post("/assisted/social/new", comment(staff_no="S001", item_code="ITEM-001"))
    assert response.status_code == 302 and response["Location"] == "/assisted/social/"
    [saved] = stored(world.info.schema)
    assert (saved.source_kind, saved.window.code, saved.staff.staff_no, saved.item.code) == (
        "suggestion_box",
        "W01",
        "S001",
        "ITEM-001",
    )
    assert saved.contact != PHONE and decrypt(saved.contact) == PHONE
    assert saved.created_by == world.info.admin_email
    page = admin.get("/assisted/social/").content.decode()
    assert "希望 W01 窗口中午也安排人值守。" in page and "138****8000" in page and PHONE not in page
    with schema_context(world.info.schema):
        assert AuditEvent.objects.filter(action="social_comment.record", target_id=str(saved.pk)).exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"text": "  "}, "This field is required."),
        ({"source_kind": "pigeon"}, "Select a valid choice."),
        ({"window_code": "H01"}, "Unknown code"),
        ({"window_code": "", "staff_no": "S999"}, "Unknown code"),
        ({"window_code": "", "platform_code": "APP"}, "Unknown code"),
        ({"received_at": "yesterday"}, "Enter a valid date/time."),
    ],
)
def test_bad_entry_shows_the_form_again_and_stores_nothing(world, admin, overrides, message):
    response = admin.post("/assisted/social/new", comment(**overrides))
    assert response.status_code == 400 and message in response.content.decode()
    assert stored(world.info.schema) == []


def test_a_reference_seen_before_from_the_same_source_is_stored_once(world, admin):
    admin.post("/assisted/social/new", comment(source_kind="hotline", external_id="12345-2026-0001"))
    again = admin.post("/assisted/social/new", comment(source_kind="hotline", external_id="12345-2026-0001"))
    other_source = admin.post(
        "/assisted/social/new", comment(source_kind="supervision_platform", external_id="12345-2026-0001")
    )
    assert again.status_code == other_source.status_code == 302
    assert sorted(c.source_kind for c in stored(world.info.schema)) == ["hotline", "supervision_platform"]


def test_filter_by_source(world, admin):
    admin.post("/assisted/social/new", comment(source_kind="hotline", text="热线来电：表扬"))
    admin.post("/assisted/social/new", comment(source_kind="email", text="邮件：投诉"))
    page = admin.get("/assisted/social/?source=hotline").content.decode()
    assert "热线来电：表扬" in page and "邮件：投诉" not in page


def test_mail_upload_imports_eml_and_mbox(world, admin):
    eml = SimpleUploadedFile("praise.eml", gbk_base64_mail(), content_type="message/rfc822")
    response = admin.post("/assisted/social/import", {"mail": eml}, follow=True)
    assert (
        response.status_code == 200
        and "1 new, 0 already recorded, 0 not imported" in response.content.decode()
    )
    mbox = (
        b"From MAILER-DAEMON Tue Nov 24 10:30:00 2026\n"
        + gbk_base64_mail().replace(b"\r\n", b"\n")
        + b"\n\nFrom MAILER-DAEMON Tue Nov 24 11:00:00 2026\n"
        + html_only_mail().replace(b"\r\n", b"\n")
        + b"\n"
    )
    response = admin.post(
        "/assisted/social/import", {"mail": SimpleUploadedFile("inbox.mbox", mbox)}, follow=True
    )
    assert "1 new, 1 already recorded, 0 not imported" in response.content.decode()
    assert sorted(c.source_kind for c in stored(world.info.schema)) == ["email", "email"]
    assert {c.window.code if c.window else c.item.code for c in stored(world.info.schema)} == {
        "W01",
        "ITEM-001",
    }


def test_upload_of_something_else_imports_nothing(world, admin):
    png = SimpleUploadedFile("photo.eml", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    response = admin.post("/assisted/social/import", {"mail": png}, follow=True)
    body = response.content.decode()
    assert "0 new, 0 already recorded, 1 not imported" in body and "not an e-mail message" in body
    assert stored(world.info.schema) == []


def test_upload_without_a_file_is_refused(world, admin):
    response = admin.post("/assisted/social/import", {})
    assert response.status_code == 400 and "This field is required." in response.content.decode()


@pytest.mark.parametrize("role", [Role.WINDOW_STAFF, Role.OFFICER, Role.AUDITOR])
def test_staff_without_supervision_may_read_but_not_record(world, admin, role):
    admin.post("/assisted/social/new", comment())
    client = sign_in(world.info, role)
    page = client.get("/assisted/social/")
    assert page.status_code == 200 and "138****8000" in page.content.decode()
    assert "Record a comment" not in page.content.decode()
    assert client.post("/assisted/social/new", comment(text="不该保存")).status_code == 403
    eml = SimpleUploadedFile("x.eml", gbk_base64_mail())
    assert client.post("/assisted/social/import", {"mail": eml}).status_code == 403
    assert len(stored(world.info.schema)) == 1


def test_a_supervisor_may_record(world):
    client = sign_in(world.info, Role.SUPERVISOR)
    assert client.post("/assisted/social/new", comment()).status_code == 302


def test_machine_keys_have_no_access(world):
    client = key_client(world.info.host, world.device_key)
    assert client.get("/assisted/social/").status_code == 302
    assert client.post("/assisted/social/new", comment()).status_code == 302
    assert stored(world.info.schema) == []


def test_beta_sees_and_touches_nothing_of_alpha(world, admin, beta, beta_admin):
    admin.post("/assisted/social/new", comment(external_id="REF-1"))
    page = beta_admin.get("/assisted/social/").content.decode()
    assert "希望 W01 窗口中午也安排人值守。" not in page
    refused = beta_admin.post("/assisted/social/new", comment(external_id="REF-1"))  # W01 is alpha's
    assert refused.status_code == 400
    assert stored(beta.schema) == [] and len(stored(world.info.schema)) == 1
    admin.defaults["HTTP_HOST"] = beta.host
    anonymous = admin.post("/assisted/social/new", comment(window_code=""))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert admin.get("/assisted/social/")["Location"].startswith("/accounts/login/")
    assert stored(beta.schema) == []


def test_assisted_index_links_the_channels(world, admin):
    page = admin.get("/assisted/").content.decode()
    assert 'href="/assisted/paper/"' in page and 'href="/assisted/social/"' in page
