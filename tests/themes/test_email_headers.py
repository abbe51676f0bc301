"""Theme texts and organisation names end up in e-mail headers (From's name, Subject), where a line break makes
the message fail. The editors refuse control characters; a value stored before that (or set at a level above)
is put on one line, so that the tenant's e-mails still go out."""

from email.utils import parseaddr

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from billing.models import Reseller
from tenants.accounts.actors import Actor
from tenants.accounts.models import User
from tenants.models import Tenant
from tenants.notify.models import Notification, NotificationStatus
from tenants.notify.services import notification_deliver, notify_send
from tenants.setup.models import InvitationKind
from tenants.setup.services import invitation_email_send
from tests.conftest import host_client
from tests.notify.conftest import smtp, smtp_server  # noqa: F401 (fixtures)
from tests.themes.conftest import ACTOR, signed_in, tenant_of
from themes.email import email_from, email_theme, header_text
from themes.models import Theme, ThemeDraft, ThemeScope
from themes.selectors import generation_set
from themes.services import ThemeOwner, theme_draft_save

INJECTION = "甲省政务服务网\r\nBcc: victim@evil.example"


def form_data(**values) -> dict:
    return {"display_name": "", "primary_color": "", "on_primary_color": "", "text_color": "",
            "background_color": "", "font": "", "footer_text": "", "contact_phone": "", "contact_email": "",
            "email_sender_name": "", **values}  # fmt: skip


@pytest.mark.parametrize(
    ("field", "label"),
    [
        ("display_name", "Display name"),
        ("footer_text", "Footer text"),
        ("contact_phone", "Contact phone"),
        ("email_sender_name", "E-mail sender name"),
    ],
)
def test_the_editor_refuses_a_line_break_naming_the_field(alpha, field, label):
    client = signed_in(alpha)
    # when a text field carries a line break in its middle
    response = client.post("/settings/theme/", form_data(**{field: INJECTION}))
    # then the draft is not saved and the refusal names the field
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [
        f"“{label}” must be one line, without line breaks or other control characters."
    ]
    assert not ThemeDraft.objects.filter(theme__tenant=alpha.tenant).exists()


@pytest.mark.parametrize("character", ["\n", "\r", "\t", "\x00", "\x0b", "\x1f", "\x7f", "\x85", "\u2028"])
def test_every_control_character_is_refused(alpha, character):
    response = signed_in(alpha).post("/settings/theme/", form_data(email_sender_name=f"甲{character}乙"))
    assert response.status_code == 400 and "email_sender_name" in response.context["form"].errors


def test_a_system_caller_is_refused_too(alpha):
    with pytest.raises(ValidationError) as refused:
        theme_draft_save(
            actor=ACTOR, owner=ThemeOwner.for_tenant(alpha.tenant), values={"footer_text": "a\nb"}
        )
    assert list(refused.value.message_dict) == ["footer_text"]
    assert not ThemeDraft.objects.filter(theme__tenant=alpha.tenant).exists()


def test_header_text_puts_anything_on_one_line():
    assert header_text(INJECTION) == "甲省政务服务网 Bcc: victim@evil.example"
    assert header_text("\x00甲\x1f\u2028乙\x85 ") == "甲 乙"
    assert header_text("") == ""


def _stored(**values) -> Theme:
    """A theme row written directly, as one stored before the refusal existed."""
    theme = Theme.objects.create(version=1, **values)
    generation_set(theme, committed=True)
    return theme


def test_a_stored_name_with_a_line_break_still_lets_notifications_out(alpha, smtp):  # noqa: F811
    # given a reseller whose stored sender name has a line break, above alpha (which inherits it)
    reseller = Reseller.objects.create(name="华信科技", slug="huaxin")
    _stored(scope=ThemeScope.RESELLER, reseller=reseller, email_sender_name=INJECTION)
    tenant_of(alpha, reseller)
    # when alpha sends a notification
    with schema_context(alpha.schema):
        notification = notify_send(
            actor=Actor.system("t"),
            channel="email",
            to="zhang@example.cn",
            subject="案件已处理",
            body="您好。",
        )
        notification_deliver(notification_id=notification.pk)
        assert Notification.objects.get(pk=notification.pk).status == NotificationStatus.SENT
    # then it is sent, under the name on one line, to the one recipient and nobody else
    [(recipients, message)] = smtp.messages
    assert recipients == ["zhang@example.cn"]
    assert message["From"].addresses[0].display_name == "甲省政务服务网 Bcc: victim@evil.example"
    assert message["Bcc"] is None


def test_a_stored_display_name_with_a_line_break_still_lets_account_emails_out(alpha, settings):
    # given alpha's own stored display name with a line break (and no sender name: the display name is used)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _stored(scope=ThemeScope.TENANT, tenant=tenant_of(alpha), display_name=INJECTION)
    # when somebody asks for a password reset
    response = host_client(alpha.host).post("/accounts/password/reset/", {"email": alpha.admin_email})
    # then the e-mail goes out with a clean From and Subject
    assert response.status_code == 302
    [message] = mail.outbox
    assert parseaddr(message.from_email)[0] == "甲省政务服务网 Bcc: victim@evil.example"
    assert message.subject.startswith("[甲省政务服务网 Bcc: victim@evil.example] ")
    assert "\n" not in message.from_email + message.subject and message.bcc == []
    with schema_context(alpha.schema):
        assert "\n" not in email_from(email_theme())


def test_an_organisation_name_with_a_line_break_still_lets_the_invitation_out(alpha, smtp):  # noqa: F811
    # given a tenant whose name was stored with a line break (it is its display name and sender name)
    Tenant.objects.filter(pk=alpha.tenant.pk).update(name="丙市\n政务服务数据管理局")
    with schema_context(alpha.schema):
        user = User.objects.get(email=alpha.admin_email)
        # when the first administrator's invitation is sent
        invitation_email_send(
            user=user,
            link="https://alpha.localhost/setup/x",
            kind=InvitationKind.FIRST_ADMIN,
            organisation="丙市\n政务服务数据管理局",
        )
    # then it is sent with a one-line subject and sender
    [(recipients, message)] = smtp.messages
    assert recipients == [alpha.admin_email]
    assert message["Subject"].strip() == "Your workspace 丙市 政务服务数据管理局 is ready"
    assert message["From"].addresses[0].display_name == "丙市 政务服务数据管理局"
