"""GET /api/v1/items/<code>/guides: published versions only, and nothing across tenants."""

import pytest
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.catalog.services import guide_edit, item_create, item_publish
from tests.conftest import host_client, key_client, make_key

ACTOR = Actor.system("tests")


def _item(schema):
    with schema_context(schema):
        item = item_create(
            actor=ACTOR,
            code="G-1",
            name="户口迁移",
            item_type="confirmation",
            time_limit_days=5,
            publish=True,
        )
        guide_edit(actor=ACTOR, item=item, time_limit_days=3)
        item_publish(actor=ACTOR, item=item)
        guide_edit(actor=ACTOR, item=item, time_limit_days=1)  # a draft v3, never shown
        return item


def test_published_versions_newest_first_with_the_one_in_force(alpha):
    _item(alpha.schema)
    response = key_client(alpha.host, make_key(alpha.schema, "device")).get("/api/v1/items/G-1/guides")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "G-1" and body["status"] == "published"
    assert [(v["version"], v["in_force"], v["time_limit_days"]) for v in body["versions"]] == [
        (2, True, 3),
        (1, False, 5),
    ]


def test_unknown_and_draft_items_are_404_problems(alpha):
    with schema_context(alpha.schema):
        item_create(actor=ACTOR, code="D-1", name="草稿", item_type="confirmation", time_limit_days=5)
    client = key_client(alpha.host, make_key(alpha.schema, "integration"))
    for code in ("D-1", "NOPE"):
        response = client.get(f"/api/v1/items/{code}/guides")
        assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("role", ["device", "tenant_admin"])
def test_beta_key_cannot_read_alphas_item_and_alpha_key_is_unknown_on_beta(alpha, beta, role):
    _item(alpha.schema)
    assert (
        key_client(beta.host, make_key(beta.schema, role)).get("/api/v1/items/G-1/guides").status_code == 404
    )
    assert (
        key_client(beta.host, make_key(alpha.schema, role)).get("/api/v1/items/G-1/guides").status_code == 401
    )


def test_anonymous_is_401(alpha):
    _item(alpha.schema)
    assert host_client(alpha.host).get("/api/v1/items/G-1/guides").status_code == 401
