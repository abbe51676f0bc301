"""Onboarding fixtures: applicants on the control plane, national staff, a valid application, a real SMTP
server (tests/notify/conftest.py) and clean-up of what a committed provisioning made."""

import pytest
from allauth.account.models import EmailAddress
from control_plane.onboarding.models import SignupRequest
from django.db import connection
from django_tenants.utils import schema_context

from tenants.accounts.models import User
from tenants.models import Tenant
from tests.conftest import NATIONAL_EMAIL, PASSWORD, host_client
from tests.notify.conftest import smtp, smtp_server  # noqa: F401  (fixtures)

CONTROL_PLANE = "localhost"


def application(**overrides) -> dict:
    data = {
        "organisation_name": "丙市政务服务数据管理局",
        "kind": "city",
        "region_code": "440300",
        "slug": "bingshi",
        "contact_name": "王小明",
        "contact_phone": "13800138000",
        "contact_email": "wang@bingshi.example",
    }
    data.update(overrides)
    return data


def applicant_create(email: str = "applicant@bingshi.example", *, verified: bool = True) -> User:
    with schema_context("public"):
        user = User.objects.create_user(email=email, password=PASSWORD, role="")
        EmailAddress.objects.create(user=user, email=email, primary=True, verified=verified)
    return user


def client_for(user: User, **defaults):
    client = host_client(CONTROL_PLANE, HTTP_ACCEPT_LANGUAGE=defaults.pop("language", "en"), **defaults)
    with schema_context("public"):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    client.user = user
    return client


@pytest.fixture
def applicant(tenant_pair, db):
    """A client on the control plane, signed in as a person with a verified address and no role."""
    return client_for(applicant_create())


@pytest.fixture
def national(tenant_pair, db):
    with schema_context("public"):
        user = User.objects.get(email=NATIONAL_EMAIL)
    return client_for(user)


def forget_signup(slug: str, emails: tuple[str, ...] = ()) -> None:
    """Remove a committed sign-up: requests, tenant, schema, applicant accounts (run through `committed`)."""
    SignupRequest.objects.filter(slug=slug).delete()
    Tenant.objects.filter(slug=slug).delete()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{slug}" CASCADE')
    for email in emails:
        user = User.objects.filter(email=email).first()
        if user is not None:
            SignupRequest.objects.filter(requester=user).delete()
            EmailAddress.objects.filter(user=user).delete()
            # not user.delete(): its collector would look for tenant-only tables (memberships) in public
            with connection.cursor() as cursor:
                for table in ("accounts_user_groups", "accounts_user_user_permissions"):
                    cursor.execute(f"DELETE FROM {table} WHERE user_id = %s", [user.pk])
                cursor.execute("DELETE FROM accounts_user WHERE id = %s", [user.pk])
