"""Sign-in, password reset through a real SMTP server, two-factor enforcement, API keys from the CLI."""

import re
from io import StringIO

import pytest
from aiosmtpd.controller import Controller
from allauth.mfa.models import Authenticator
from devstack.services import free_port
from django.core.management import call_command
from django_tenants.utils import schema_context

from tenants.accounts.models import ApiKey, User
from tests.conftest import PASSWORD, host_client, key_client


class Inbox:
    def __init__(self):
        self.messages: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content.decode("utf-8", "replace"))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    yield inbox
    controller.stop()


def test_admin_signs_in_and_sees_the_workspace(alpha):
    client = host_client(alpha.host)
    response = client.post(
        "/accounts/login/", {"login": alpha.admin_email, "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert alpha.tenant.name in response.content.decode() and alpha.admin_email in response.content.decode()


def test_password_reset_by_email_end_to_end(alpha, smtp):
    import quopri

    client = host_client(alpha.host)
    # when the admin asks for a reset
    assert client.post("/accounts/password/reset/", {"email": alpha.admin_email}).status_code == 302
    # then a real SMTP server received a mail with a link on the tenant's own host
    assert len(smtp.messages) == 1
    body = quopri.decodestring(smtp.messages[0].encode()).decode("utf-8", "replace")
    link = re.search(r"http://alpha\.localhost(/accounts/password/reset/key/\S+/)", body).group(1)
    # and following it sets a new password that works
    form_page = client.get(link, follow=True)
    set_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    done = client.post(set_url, {"password1": "a-brand-new-pass-42", "password2": "a-brand-new-pass-42"})
    assert done.status_code == 302
    with schema_context(alpha.schema):
        assert User.objects.get(email=alpha.admin_email).check_password("a-brand-new-pass-42")


def test_unknown_email_gets_no_mail_from_another_tenant(alpha, beta, smtp):
    host_client(beta.host).post("/accounts/password/reset/", {"email": alpha.admin_email})
    assert all("alpha.localhost" not in m for m in smtp.messages)


def test_tenant_can_require_two_factor_for_admins(alpha):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from tenants.middleware import host_cache_clear

    alpha.tenant.require_admin_mfa = True
    alpha.tenant.save(update_fields=["require_admin_mfa"])
    host_cache_clear()
    client = host_client(alpha.host)
    client.post("/accounts/login/", {"login": alpha.admin_email, "password": PASSWORD})
    # an admin without an authenticator is sent to set one up
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/totp/activate/"
    # once TOTP is active the workspace opens
    with schema_context(alpha.schema):
        user = User.objects.get(email=alpha.admin_email)
        TOTP.activate(user, generate_totp_secret())
        assert Authenticator.objects.filter(user=user, type="totp").exists()
    assert client.get("/").status_code == 200


def test_two_factor_is_optional_by_default(alpha):
    client = host_client(alpha.host)
    client.post("/accounts/login/", {"login": alpha.admin_email, "password": PASSWORD})
    assert client.get("/").status_code == 200


def test_apikey_create_cli_prints_a_working_key_last(alpha, capsys):
    call_command("apikey_create", "alpha", "--role", "device", "--name", "窗口 A01 评价器")
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert key_client(alpha.host, key).get("/api/v1/me").json()["role"] == "device"
    with schema_context(alpha.schema):
        assert ApiKey.objects.get(name="窗口 A01 评价器").digest != key


def test_apikey_create_cli_national(tenant_pair, db, capsys):
    call_command("apikey_create", "--national", "--role", "national_feed", "--name", "国家平台")
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert key_client("localhost", key).get("/api/national/v1/me").json()["role"] == "national_feed"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nosuch", "--role", "device", "--name", "x"], "No tenant"),
        (["alpha", "--role", "national_staff", "--name", "x"], "national_staff"),
        (["--role", "device", "--name", "x"], "--national"),
    ],
)
def test_apikey_create_cli_refuses_bad_input(alpha, args, message):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=message):
        call_command("apikey_create", *args, stdout=StringIO(), stderr=StringIO())
