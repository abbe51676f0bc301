"""The effective theme on every surface a person looks at, rendered for real: admin pages, the device page, the
QR posters (SVG, PDF, PNG), the widget script, the paper form PDF, the report cover, e-mails (notifications,
reports, account mails) and the public portal.

Alpha sits under a reseller: with no theme of its own every surface shows the reseller's colour and logo with
alpha's own name; once alpha sets its own, alpha's. Beta (no reseller, no theme) keeps the platform's."""

import io
from datetime import date

import pytest
from django.core import mail
from django_tenants.utils import schema_context

from billing.models import Reseller
from tenants.accounts.actors import Actor
from tenants.notify.services import notification_deliver, notify_send
from tests.conftest import host_client
from tests.notify.conftest import smtp, smtp_server  # noqa: F401 (fixtures)
from tests.themes.conftest import ACTOR, pdf_colour, pdf_first_page, pdf_pages, png, signed_in, tenant_of
from themes.selectors import BUILTIN, theme_for_tenant
from themes.services import ThemeOwner, theme_draft_save, theme_publish

RESELLER_COLOUR, RESELLER_ON = "#14532d", "#f0fdf4"
ALPHA_COLOUR, ALPHA_ON = "#7c2d12", "#fff7ed"
RESELLER_LOGO, ALPHA_LOGO = png(6, 3, (20, 83, 45)), png(4, 4, (124, 45, 18))


def publish(owner, values, **uploads):
    theme_draft_save(actor=ACTOR, owner=owner, values=values, uploads=uploads or None)
    return theme_publish(actor=ACTOR, owner=owner)


@pytest.fixture(params=["reseller", "tenant"])
def themed(request, alpha):
    """Alpha under a themed reseller; in the "tenant" case alpha overrides name, colours and logo."""
    reseller = Reseller.objects.create(name="华信科技", slug="huaxin")
    publish(
        ThemeOwner.for_reseller(reseller),
        {
            "display_name": "华信政务云",
            "primary_color": RESELLER_COLOUR,
            "on_primary_color": RESELLER_ON,
            "contact_phone": "0311-888",
            "email_sender_name": "华信通知",
        },
        logo=RESELLER_LOGO,
    )
    tenant = tenant_of(alpha, reseller)
    if request.param == "tenant":
        publish(
            ThemeOwner.for_tenant(tenant),
            {
                "display_name": "甲省政务服务网",
                "primary_color": ALPHA_COLOUR,
                "on_primary_color": ALPHA_ON,
                "email_sender_name": "甲省政务服务网通知",
            },
            logo=ALPHA_LOGO,
        )
        expected = {"name": "甲省政务服务网", "colour": ALPHA_COLOUR, "on": ALPHA_ON, "logo": ALPHA_LOGO,
                    "sender": "甲省政务服务网通知"}  # fmt: skip
    else:
        expected = {"name": alpha.tenant.name, "colour": RESELLER_COLOUR, "on": RESELLER_ON,
                    "logo": RESELLER_LOGO, "sender": "华信通知"}  # fmt: skip
    assert theme_for_tenant(tenant).display_name == expected["name"]
    return expected


def test_admin_and_public_pages(themed, alpha, beta):
    client, anonymous = signed_in(alpha), host_client(alpha.host)
    for who, path in (
        (client, "/"),
        (client, "/settings/api-keys/"),
        (anonymous, "/portal/"),
        (anonymous, "/accounts/login/"),
    ):
        page = who.get(path).content.decode()
        assert themed["name"] in page and f"--brand: {themed['colour']}" in page, path
        assert f"--on-brand: {themed['on']}" in page and 'src="/theme/logo?v=' in page, path
        assert "0311-888" in page, path  # the inherited contact phone in the footer
    assert client.get("/theme/logo").content == themed["logo"]
    beta_page = host_client(beta.host).get("/portal/").content.decode()
    assert f"--brand: {BUILTIN['primary_color']}" in beta_page and themed["colour"] not in beta_page


def test_device_page(themed, alpha):
    page = host_client(alpha.host).get("/device/").content.decode()
    assert f'id="kiosk-org">{themed["name"]}<' in page
    assert f"--brand: {themed['colour']}" in page and f"--on-brand: {themed['on']}" in page


def test_qr_posters_in_three_formats(themed, alpha, world):
    client = signed_in(alpha)
    svg = client.get(f"/channels/windows/{world.window.pk}/poster.svg").content.decode()
    assert themed["name"] in svg
    assert f'<rect width="210" height="34" fill="{themed["colour"]}"/>' in svg
    assert f'font-weight="bold" fill="{themed["on"]}"' in svg
    pdf = client.get(f"/channels/windows/{world.window.pk}/poster.pdf").content
    _text, content, _images = pdf_first_page(pdf)
    assert pdf_colour(themed["colour"]) in content and pdf_colour(themed["on"]) in content
    from PIL import Image

    from tenants.channels import qr

    image = Image.open(io.BytesIO(client.get(f"/channels/windows/{world.window.pk}/poster.png").content))
    if qr.cjk_font_path():  # the A4 poster, its band in the brand colour
        assert image.convert("RGB").getpixel((5, 5)) == tuple(
            int(themed["colour"][i : i + 2], 16) for i in (1, 3, 5)
        )


def test_widget_script(themed, alpha):
    source = host_client(alpha.host).get("/widget.js").content.decode()
    assert f'"organisation": "{themed["name"]}"' in source
    assert f'"color": "{themed["colour"]}"' in source and f'"onColor": "{themed["on"]}"' in source


def test_paper_form_pdf(themed, alpha, world):
    pdf = signed_in(alpha).get(f"/assisted/paper/forms/{world.window.code}.pdf").content
    text, content, images = pdf_first_page(pdf)
    assert themed["name"] in text.replace("\n", "")
    assert pdf_colour(themed["colour"]) in content and pdf_colour(themed["on"]) in content
    assert images == 1  # the logo
    assert "0311-888" in text and len(pdf_pages(pdf)) == 1  # the contact in the band; still one sheet


def test_report_cover(themed, alpha):
    from tenants.insight.reports.models import Report
    from tenants.insight.reports.render_pdf import cover_pdf
    from tenants.insight.reports.services import _sender as report_sender
    from tenants.insight.reports.services import report_cover

    with schema_context(alpha.schema):
        report = Report(
            title="2026年10月好差评月报", kind="monthly", period_start=date(2026, 10, 1),
            period_end=date(2026, 10, 31), created_by="t",
        )  # fmt: skip
        cover = report_cover(report)
        sender = report_sender()  # the From of scheduled reports
    assert sender.startswith(f"{themed['sender']} <")
    assert (cover.tenant_name, cover.color, cover.logo) == (themed["name"], themed["colour"], themed["logo"])
    text, content, images = pdf_first_page(cover_pdf(cover))
    assert themed["name"] in text and "2026年10月好差评月报" in text
    assert pdf_colour(themed["colour"]) in content and images == 1


def test_notification_email(themed, alpha, smtp):  # noqa: F811
    with schema_context(alpha.schema):
        notification = notify_send(
            actor=Actor.system("t"),
            channel="email",
            to="zhang@example.cn",
            subject="案件已处理",
            body="您好。",
        )
        notification_deliver(notification_id=notification.pk)
    [(_to, message)] = smtp.messages
    assert message["From"].addresses[0].display_name == themed["sender"]
    text = message.get_content()
    assert text.startswith(f"【{themed['name']}】") and "0311-888" in text


def test_account_emails_carry_the_hosts_theme(themed, alpha, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = host_client(alpha.host).post("/accounts/password/reset/", {"email": alpha.admin_email})
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.from_email.startswith(f"{themed['sender']} <")
    assert message.subject.startswith(f"[{themed['name']}] ")
