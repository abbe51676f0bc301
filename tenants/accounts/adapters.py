from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    """Staff are created by administrators (or provisioning), never by open sign-up on a tenant host."""

    def is_open_for_signup(self, request) -> bool:
        return settings.ACCOUNT_ALLOW_REGISTRATION

    # Account e-mails (password reset, address confirmation) in the host's theme: its sender name in From,
    # its display name as the subject prefix (allauth's default is the bare host name).
    def get_from_email(self) -> str:
        from themes.email import email_from

        return email_from(self._theme())

    def format_email_subject(self, subject: str) -> str:
        from themes.email import header_text

        return header_text(f"[{self._theme().display_name}] {subject}")

    def _theme(self):
        from allauth.core import context

        from themes.email import email_theme
        from themes.selectors import theme_for_request

        request = getattr(context, "request", None)
        return theme_for_request(request) if request is not None else email_theme()
