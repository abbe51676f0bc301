"""Fixtures for the assisted channels: signed-in staff by role, a PDF text reader."""

import base64
import re
import zlib

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import User
from tenants.accounts.services import user_create
from tests.conftest import PASSWORD, TenantInfo, host_client


def _session(info: TenantInfo, email: str) -> Client:
    # force_login, not the sign-in form: allauth rate-limits sign-ins per address, and tests sign in often.
    # The session row lives in the tenant's schema, so it is written inside that schema.
    client = host_client(info.host, HTTP_ACCEPT_LANGUAGE="en")
    with schema_context(info.schema):
        client.force_login(User.objects.get(email=email), backend="django.contrib.auth.backends.ModelBackend")
    return client


def sign_in(info: TenantInfo, role: str) -> Client:
    """A browser session of a new staff member with `role` on the tenant's host (English pages, so the
    assertions do not depend on the translation catalogue)."""
    email = f"{role}@{info.tenant.slug}.example"
    with schema_context(info.schema):
        user_create(actor=Actor.system("tests"), email=email, role=role, password=PASSWORD)
    return _session(info, email)


@pytest.fixture
def admin(alpha) -> Client:
    return _session(alpha, alpha.admin_email)


@pytest.fixture
def beta_admin(beta) -> Client:
    return _session(beta, beta.admin_email)


_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)
_TEXT = re.compile(rb"\((?:\\.|[^\\)])*\)\s*Tj", re.S)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(literal: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(literal):
        byte = literal[i : i + 1]
        if byte != b"\\":
            out += byte
            i += 1
            continue
        octal = re.match(rb"[0-7]{1,3}", literal[i + 1 : i + 4])
        if octal:
            out.append(int(octal.group(), 8))
            i += 1 + len(octal.group())
        else:
            out += _ESCAPES.get(literal[i + 1 : i + 2], literal[i + 1 : i + 2])
            i += 2
    return bytes(out)


def pdf_text(data: bytes) -> str:
    """The text a reportlab PDF shows, without a PDF library: inflate each content stream (ASCII85 +
    Flate), take the string operands of Tj, and decode them (the CID font's encoding UniGB-UCS2-H is UCS-2 big-endian)."""
    shown = []
    for match in _STREAM.finditer(data):
        raw = match.group(1).strip()
        try:
            content = zlib.decompress(base64.a85decode(raw.removesuffix(b"~>"), adobe=False))
        except (ValueError, zlib.error):
            continue
        for operand in _TEXT.findall(content):
            literal = _unescape(operand[1 : operand.rindex(b")")])
            shown.append(literal.decode("utf-16-be", errors="replace"))  # every string is in the CID font
    return "\n".join(shown)
