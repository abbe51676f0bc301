"""Clients on the control-plane host: national staff (may act), reseller staff (may only look), anonymous."""

import pytest
from django.utils import translation
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import User
from tenants.accounts.roles import Role
from tenants.accounts.services import user_create
from tests.conftest import NATIONAL_EMAIL, host_client

CONTROL_PLANE = "localhost"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def public_client(user=None):
    client = host_client(CONTROL_PLANE, HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        with schema_context("public"):
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        client.user = user
    return client


@pytest.fixture
def national(tenant_pair, db):
    """National staff: sees and manages tenants."""
    with schema_context("public"):
        return public_client(User.objects.get(email=NATIONAL_EMAIL))


@pytest.fixture
def national_other(tenant_pair, db):
    """A second national staff member."""
    with schema_context("public"):
        user = user_create(
            actor=Actor.system("tests"), email="other-national@test.example", role=Role.NATIONAL_STAFF
        )
        return public_client(user)


@pytest.fixture
def viewer(tenant_pair, db):
    """Reseller staff: may see tenants (VIEW_TENANTS) but not manage them (no MANAGE_TENANTS)."""
    with schema_context("public"):
        user = user_create(
            actor=Actor.system("tests"), email="reseller@test.example", role=Role.RESELLER_STAFF
        )
        return public_client(user)
