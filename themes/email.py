"""E-mails in the sender's colours: the From name is the theme's e-mail sender name, the text starts with the
display name and ends with the footer and contact details. Used by every e-mail a tenant sends
(notifications, reports, invitations, allauth's account mails)."""

from email.headerregistry import Address
from email.utils import parseaddr

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from tenants.validators import CONTROL_CHARACTERS
from themes.selectors import ThemeView, theme_for_tenant

SIGNATURE_DELIMITER = "-- "  # RFC 3676: mail clients fold or grey what follows


def current_tenant():
    """The tenant of the connection's schema (None on the control plane)."""
    from tenants.models import Tenant

    tenant = getattr(connection, "tenant", None)
    if not isinstance(tenant, Tenant) or tenant.schema_name != connection.schema_name:
        tenant = Tenant.objects.filter(schema_name=connection.schema_name).first()
    return None if tenant is None or tenant.is_control_plane else tenant


def email_theme(tenant=None) -> ThemeView:
    return theme_for_tenant(tenant if tenant is not None else current_tenant())


def header_text(value: str) -> str:
    """`value` on one line, for a mail header (From's name, Subject). The forms refuse control characters, but a
    name stored before they did (or by a system caller, or inherited from a level above) must not make every
    e-mail of the tenant fail: a line break in a header raises, so each one becomes a space."""
    return " ".join(CONTROL_CHARACTERS.sub(" ", value or "").split())


def email_from(view: ThemeView) -> str:
    """DEFAULT_FROM_EMAIL's address under the theme's sender name."""
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return str(
        Address(
            display_name=header_text(view.email_sender_name) or header_text(name),
            addr_spec=address or "noreply@localhost",
        )
    )


def email_footer_lines(view: ThemeView) -> list[str]:
    lines = [view.display_name]
    if view.footer_text:
        lines.append(view.footer_text)
    if view.contact_phone:
        lines.append(_("Phone: %(phone)s") % {"phone": view.contact_phone})
    if view.contact_email:
        lines.append(_("E-mail: %(email)s") % {"email": view.contact_email})
    if view.product_name and view.product_name != view.display_name:
        lines.append(_("Sent with %(product)s") % {"product": view.product_name})
    return lines


def email_body(view: ThemeView, body: str) -> str:
    """The text framed by the display name above and the footer below."""
    return "\n".join(
        [f"【{view.display_name}】", "", body.rstrip(), "", SIGNATURE_DELIMITER, *email_footer_lines(view)]
    )
