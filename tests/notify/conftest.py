"""A real SMTP server (aiosmtpd), signed-in staff (the HTTP SMS gateway is in tests/conftest.py)."""

import socket
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.services import user_create
from tests.conftest import PASSWORD, host_client


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Inbox:
    """What the SMTP server accepted; addresses in `refuse` get a 550 at RCPT."""

    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    port: int = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            (list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


@pytest.fixture
def smtp(smtp_server, settings):
    """Django's SMTP backend pointed at the test server."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "好差评 Cloud <noreply@haochaping.example>"
    return smtp_server


def signed_in(info, role: str):
    with schema_context(info.schema):
        user = user_create(
            actor=Actor.system("tests"),
            email=f"{role}-notify@{info.tenant.slug}.example",
            role=role,
            password=PASSWORD,
        )
    client = host_client(info.host, HTTP_ACCEPT_LANGUAGE="en")
    with schema_context(info.schema):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client
