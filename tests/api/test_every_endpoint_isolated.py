"""Every API route, listed from the URL configuration: a key of another tenant gets 401 and changes nothing."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django_tenants.utils import schema_context

from tenants.accounts.models import AuditEvent
from tests.conftest import key_client, make_key


def api_routes(urlconf: str, prefix: str) -> list[str]:
    def walk(patterns, base=""):
        for entry in patterns:
            route = base + str(entry.pattern)
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern):
                yield route

    paths = {
        "/" + re.sub(r"<(?:int:)?\w+>", "1", re.sub(r"<str:\w+>", "x", r)).lstrip("^").rstrip("$")
        for r in walk(get_resolver(urlconf).url_patterns)
    }
    return sorted(p for p in paths if p.startswith(prefix) and "{" not in p)


TENANT_API = api_routes("config.urls_tenants", "/api/v1/")


def test_the_route_list_is_not_empty():
    assert {"/api/v1/evaluations", "/api/v1/api-keys", "/api/v1/items"} <= set(TENANT_API)


@pytest.mark.parametrize("path", TENANT_API)
@pytest.mark.parametrize("method", ["get", "post"])
def test_foreign_key_gets_401_everywhere(alpha, beta, path, method):
    alpha_key = make_key(alpha.schema, "tenant_admin")
    with schema_context(beta.schema):
        before = AuditEvent.objects.count()
    response = getattr(key_client(beta.host, alpha_key), method)(path, {}, content_type="application/json")
    assert response.status_code in (401, 405), (path, response.status_code)
    with schema_context(beta.schema):
        assert AuditEvent.objects.count() == before
