"""`Authorization: Api-Key <key>` for machines. Keys live in the schema of their tenant (or the public
schema for control-plane keys), so a key presented on another tenant's host is simply unknown there."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from tenants.accounts.actors import Actor
from tenants.accounts.models import ApiKey
from tenants.accounts.services import api_key_authenticate

KEYWORD = "Api-Key"


@dataclass
class ApiKeyPrincipal:
    """What request.user is for a machine: authenticated, with the key's role."""

    api_key: ApiKey
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_active: bool = True

    @property
    def pk(self):
        return None

    @property
    def role(self) -> str:
        return self.api_key.role

    @property
    def actor(self) -> Actor:
        return Actor(
            kind="api_key", id=self.api_key.pk, label=f"key:{self.api_key.prefix}", role=self.api_key.role
        )

    @property
    def throttle_ident(self) -> str:
        return f"key:{self.api_key.pk}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = request.headers.get("Authorization", "")
        if not header.startswith(KEYWORD + " "):
            return None
        key = api_key_authenticate(header[len(KEYWORD) + 1 :].strip())
        if key is None:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked API key for this host."))
        return ApiKeyPrincipal(api_key=key), key

    def authenticate_header(self, request) -> str:
        return KEYWORD
