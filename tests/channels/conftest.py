"""Fixtures for the rating channels: signed-in staff clients and a clean rate-limit budget per test."""

import pytest
from django.core.cache import cache
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.services import user_create
from tests.conftest import PASSWORD, host_client


def _forget_tenant_cache() -> None:
    # Cache keys carry the schema of the connection (django_tenants.cache.make_key), so a pattern only
    # matches inside that schema's context.
    for schema in ("alpha", "beta"):
        with schema_context(schema):
            cache.delete_pattern("*channels:ratelimit*")
            cache.delete_pattern("*intake-config*")
            cache.delete_pattern("*theme:*")


@pytest.fixture(autouse=True)
def _fresh_tenant_cache():
    """Rate-limit budgets and cached policies do not roll back with the test's transaction."""
    _forget_tenant_cache()
    yield
    _forget_tenant_cache()


def signed_in(info, email: str | None = None):
    """A browser-like client with a session on the tenant's host (the admin unless `email` is given).

    force_login rather than the sign-in form: allauth rate-limits sign-ins per address in the cache, which
    does not roll back between tests."""
    from tenants.accounts.models import User

    client = host_client(info.host)
    with schema_context(info.schema):
        user = User.objects.get(email=email or info.admin_email)
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/").status_code == 200
    return client


def staff_user(info, role: str, email: str):
    with schema_context(info.schema):
        return user_create(actor=Actor.system("tests"), email=email, role=role, password=PASSWORD)
