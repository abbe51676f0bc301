"""Themes: images to upload, signed-in editors on each host (tenant admin, national staff, reseller staff),
resellers with their tenants, and a reader for the colours and text of PDFs."""

import io
import struct
import zlib

import pytest
from django.utils import translation
from django_tenants.utils import schema_context

from billing.models import Reseller, ResellerMembership
from tenants.accounts.actors import Actor
from tenants.accounts.models import User
from tenants.accounts.roles import Role
from tenants.accounts.services import user_create
from tenants.models import Tenant
from tests.conftest import NATIONAL_EMAIL, PASSWORD, host_client

ACTOR = Actor.system("theme tests")
CONTROL_PLANE = "localhost"


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages in English, so that tests can read them (the product's default is zh-Hans)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def png(width: int = 1, height: int = 1, rgb: tuple[int, int, int] = (0, 255, 0)) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def ico() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 0, 0)).save(buffer, format="ICO", sizes=[(16, 16)])
    return buffer.getvalue()


CLEAN_SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 40 40" '
    b'width="40" height="40"><title>Logo</title><defs><linearGradient id="g"><stop offset="0" stop-color="#0f766e"/>'
    b'</linearGradient></defs><rect width="40" height="40" rx="6" fill="url(#g)"/>'
    b'<use xlink:href="#g"/><text x="20" y="26" text-anchor="middle" font-size="14" fill="#fff">\xe7\x94\xb2</text></svg>'
)


def signed_in(info):
    """The tenant's administrator, signed in on the tenant's host."""
    client = host_client(info.host)
    with schema_context(info.schema):
        client.force_login(
            User.objects.get(email=info.admin_email), backend="django.contrib.auth.backends.ModelBackend"
        )
    return client


def public_client(user=None):
    client = host_client(CONTROL_PLANE, HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        with schema_context("public"):
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def national(tenant_pair, db):
    with schema_context("public"):
        return public_client(User.objects.get(email=NATIONAL_EMAIL))


def reseller_with_staff(slug: str) -> tuple[Reseller, object]:
    """A reseller and a signed-in member of its staff on the control plane."""
    with schema_context("public"):
        reseller = Reseller.objects.create(name=f"{slug} 科技", slug=slug)
        user = user_create(
            actor=ACTOR, email=f"staff@{slug}.example", role=Role.RESELLER_STAFF, password=PASSWORD
        )
        ResellerMembership.objects.create(reseller=reseller, user=user)
    return reseller, public_client(user)


def tenant_of(info, reseller=None) -> Tenant:
    """A fresh copy of the tenant (never the session's shared object), moved under `reseller` if given."""
    if reseller is not None:
        Tenant.objects.filter(pk=info.tenant.pk).update(reseller=reseller)
    return Tenant.objects.get(pk=info.tenant.pk)


def pdf_colour(hex_colour: str) -> bytes:
    """How reportlab writes a fill colour into a content stream."""
    from reportlab.lib.colors import HexColor
    from reportlab.lib.rl_accel import fp_str

    return f"{fp_str(*HexColor(hex_colour).rgb())} rg".encode()


def pdf_pages(data: bytes):
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(data)).pages


def pdf_first_page(data: bytes) -> tuple[str, bytes, int]:
    """(text, decompressed content stream, number of images) of the first page."""
    page = pdf_pages(data)[0]
    return page.extract_text(), page.get_contents().get_data(), len(page.images)
