"""Every page and endpoint of the assisted channels, asked from the wrong tenant: refused, nothing happens."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from tenants.accounts.models import AuditEvent
from tenants.accounts.roles import Role
from tenants.assisted.models import PaperEntry, SmsInbound, SmsInvitation, SocialComment
from tenants.evaluations.models import Evaluation, Transaction
from tests.assisted.test_mail import gbk_base64_mail
from tests.conftest import key_client, make_key

PAGES = [
    ("get", "/assisted/", None),
    ("get", "/assisted/paper/", None),
    ("get", "/assisted/paper/forms/W01.pdf", None),
    ("get", "/assisted/paper/enter", None),
    ("post", "/assisted/paper/enter", {"level": "1", "item_code": "ITEM-001", "window_code": "W01"}),
    ("get", "/assisted/paper/entries/1/scan", None),
    ("get", "/assisted/social/", None),
    (
        "post",
        "/assisted/social/new",
        {"source_kind": "hotline", "text": "x", "received_at": "2026-11-20T10:00"},
    ),
    ("post", "/assisted/social/import", None),
]
API = [
    ("/api/v1/sms/invitations", {"transaction": "T-1", "phone": "13800138000"}),
    ("/api/v1/sms/inbound", {"message_id": "m-1", "phone": "13800138000", "text": "1"}),
]


def snapshot(schema: str) -> tuple:
    with schema_context(schema):
        return tuple(
            model.objects.count()
            for model in (
                Evaluation,
                Transaction,
                PaperEntry,
                SocialComment,
                SmsInvitation,
                SmsInbound,
                AuditEvent,
            )
        )


@pytest.mark.parametrize(("method", "path", "body"), PAGES)
def test_alphas_session_on_betas_host_is_sent_to_sign_in(world, admin, beta, method, path, body):
    before = snapshot(beta.schema), snapshot(world.info.schema)
    admin.defaults["HTTP_HOST"] = beta.host
    if path.endswith("import"):
        body = {"mail": SimpleUploadedFile("m.eml", gbk_base64_mail())}
    response = getattr(admin, method)(path, body or {})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert (snapshot(beta.schema), snapshot(world.info.schema)) == before


@pytest.mark.parametrize(("path", "body"), API)
def test_alphas_keys_on_betas_host_get_401(world, beta, path, body):
    alpha_gateway = make_key(world.info.schema, Role.INTEGRATION, "alpha gateway")
    before = snapshot(beta.schema), snapshot(world.info.schema)
    response = key_client(beta.host, alpha_gateway).post(path, body, content_type="application/json")
    assert response.status_code == 401 and response["Content-Type"] == "application/problem+json"
    assert (snapshot(beta.schema), snapshot(world.info.schema)) == before


def test_betas_mail_import_does_not_attach_to_alphas_objects(world, beta, beta_admin):
    before = snapshot(world.info.schema)
    eml = SimpleUploadedFile("m.eml", gbk_base64_mail())
    assert beta_admin.post("/assisted/social/import", {"mail": eml}).status_code == 302
    with schema_context(beta.schema):
        comment = SocialComment.objects.get()
        assert (comment.window_id, comment.staff_id) == (None, None)
    assert snapshot(world.info.schema) == before
