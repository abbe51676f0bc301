"""GET /api/v1/indicators: every §10 indicator with numerator and denominator, from the rollups; precise 400s;
tenant-bound keys; responses true to the OpenAPI schema."""

from datetime import datetime

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.insight.selectors import INDICATORS
from tenants.insight.services import rollups_drain
from tests.api.test_openapi import assert_matches_schema, load_spec
from tests.conftest import key_client
from tests.supervision.conftest import rate_transactions

RATED = timezone.make_aware(datetime(2026, 3, 10, 9, 0))
MARCH = "/api/v1/indicators?from=2026-03-01&to=2026-03-31"


@pytest.fixture
def rated(world):
    rate_transactions(world, 3, start=RATED, level=2, prefix="G")
    rate_transactions(world, 1, start=RATED, level=4, prefix="B")
    with schema_context(world.info.schema):
        rollups_drain()
    return world


def test_every_indicator_with_numerator_and_denominator(rated):
    client = key_client(rated.info.host, rated.integration_key)
    body = client.get(MARCH).json()
    assert list(body) == list(INDICATORS)
    assert body["good_rate"] == {"numerator": 3, "denominator": 4, "value": 0.75}
    assert body["bad_rate"] == {"numerator": 1, "denominator": 4, "value": 0.25}
    assert body["participation_rate"] == {"numerator": 4, "denominator": 4, "value": 1.0}
    assert body["reply_rate"] == {"numerator": 0, "denominator": 1, "value": 0.0}  # one open case
    assert body["on_time_rate"] == {"numerator": 0, "denominator": 0, "value": None}


def test_filters_narrow_the_figures(rated):
    client = key_client(rated.info.host, rated.integration_key)
    assert client.get(MARCH + "&unit=W01").json()["good_rate"]["denominator"] == 4
    assert client.get(MARCH + "&item=ITEM-001&channel=device").json()["good_rate"]["denominator"] == 4
    assert client.get(MARCH + "&channel=web").json()["good_rate"]["denominator"] == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "from"),
        ("?from=2026-03-01", "to"),
        ("?from=2026-03-31&to=2026-03-01", "to"),
        ("?from=2026-13-01&to=2026-03-01", "from"),
        ("?from=2020-01-01&to=2026-03-01", "to"),
        ("?from=2026-03-01&to=2026-03-31&unit=NOPE", "unit"),
        ("?from=2026-03-01&to=2026-03-31&item=NOPE", "item"),
        ("?from=2026-03-01&to=2026-03-31&channel=fax", "channel"),
    ],
)
def test_bad_queries_get_a_problem_naming_the_parameter(rated, query, field):
    response = key_client(rated.info.host, rated.integration_key).get("/api/v1/indicators" + query)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert field in str(response.json()), response.json()


def test_keys_that_may_not_read_indicators_are_refused(rated):
    assert key_client(rated.info.host, rated.device_key).get(MARCH).status_code == 403


def test_another_tenant_sees_only_its_own_figures(rated, beta):
    from tests.conftest import make_key

    beta_key = make_key(beta.schema, "integration")
    assert key_client(beta.host, beta_key).get(MARCH).json()["good_rate"]["denominator"] == 0
    assert key_client(beta.host, rated.integration_key).get(MARCH).status_code == 401


def test_responses_match_the_schema(rated):
    spec = load_spec(rated.info.host)
    client = key_client(rated.info.host, rated.integration_key)
    for response in (client.get(MARCH), client.get("/api/v1/indicators?from=x")):
        assert_matches_schema(spec, response)
