"""A tenant's display name, logo and colour reach every page of that tenant, and only that tenant."""

import struct
import zlib

from django_tenants.utils import schema_context

from tenants.accounts.models import AuditEvent
from tests.conftest import PASSWORD, host_client


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", raw)
        + chunk(b"IEND", b"")
    )


def signed_in(info):
    client = host_client(info.host)
    client.post("/accounts/login/", {"login": info.admin_email, "password": PASSWORD})
    return client


def test_branding_applies_to_every_page_of_the_tenant_only(alpha, beta, tmp_path):
    client = signed_in(alpha)
    logo = tmp_path / "logo.png"
    logo.write_bytes(tiny_png())
    with logo.open("rb") as upload:
        response = client.post(
            "/settings/branding/",
            {"display_name": "甲省政务服务网", "primary_color": "#0f766e", "logo": upload},
        )
    assert response.status_code == 302
    for path in ("/", "/settings/branding/", "/settings/api-keys/", "/accounts/2fa/"):
        page = client.get(path).content.decode()
        assert "甲省政务服务网" in page and "--brand: #0f766e" in page and "/theme/logo?v=" in page, path
    assert client.get("/theme/logo").content == tiny_png()
    other = host_client(beta.host).get("/accounts/login/").content.decode()
    assert "甲省政务服务网" not in other and "#0f766e" not in other
    assert host_client(beta.host).get("/theme/logo").status_code == 404
    with schema_context(alpha.schema):  # the tenant's own audit trail
        assert AuditEvent.objects.filter(action="theme.update", actor_label=alpha.admin_email).exists()


def test_bad_branding_input_is_refused_with_a_message(alpha, tmp_path):
    client = signed_in(alpha)
    fake = tmp_path / "logo.png"
    fake.write_bytes(b"<svg onload=alert(1)>")
    with fake.open("rb") as upload:
        response = client.post("/settings/branding/", {"primary_color": "red", "logo": upload})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() >= {"primary_color"}
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 300_000)
    with big.open("rb") as upload:
        response = client.post("/settings/branding/", {"primary_color": "#123456", "logo": upload})
    assert "logo" in response.context["form"].errors


def test_branding_needs_the_permission(alpha):
    from tenants.accounts.actors import Actor
    from tenants.accounts.services import user_create

    with schema_context(alpha.schema):
        user_create(
            actor=Actor.system("t"), email="window@alpha.example", role="window_staff", password=PASSWORD
        )
    client = host_client(alpha.host)
    client.post("/accounts/login/", {"login": "window@alpha.example", "password": PASSWORD})
    assert client.get("/settings/branding/").status_code == 403
    assert client.get("/settings/api-keys/").status_code == 403


def test_api_keys_page_shows_the_secret_once(alpha):
    client = signed_in(alpha)
    response = client.post("/settings/api-keys/", {"name": "大厅 1 号窗口评价器", "role": "device"})
    secret = response.context["created"]
    assert secret.startswith("hcp_") and secret in response.content.decode()
    assert secret not in client.get("/settings/api-keys/").content.decode()
