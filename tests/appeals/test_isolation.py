"""Tenant isolation of the appeal pages: beta's people reach none of alpha's appeals or evidence, and nothing of
alpha's changes."""

import pytest
from django_tenants.utils import schema_context

from tenants.appeals.models import Appeal, AppealState
from tenants.appeals.services import EvidenceUpload, appeal_file
from tests.appeals.conftest import FILED, bad_ratings, client_of
from tests.appeals.test_services import PNG
from tests.supervision.conftest import signed_in

PAGES = [
    ("get", "/appeals/mine/{appeal}/"),
    ("post", "/appeals/mine/{appeal}/"),
    ("post", "/appeals/mine/{appeal}/withdraw"),
    ("get", "/appeals/{appeal}/evidence/{evidence}"),
    ("get", "/appeals/review/{appeal}/"),
    ("post", "/appeals/review/{appeal}/"),
    ("get", "/appeals/ratings/{evaluation}/appeal"),
    ("post", "/appeals/ratings/{evaluation}/appeal"),
]


@pytest.fixture
def alpha_appeal(scene) -> dict:
    (rating,) = bad_ratings(scene)
    with schema_context(scene.schema):
        appeal = appeal_file(
            actor=scene.staff.actor,
            evaluation=rating,
            statement="申诉",
            evidence=[EvidenceUpload("a.png", PNG)],
            now=FILED,
        )
        return {"appeal": appeal.pk, "evidence": appeal.evidence.get().pk, "evaluation": rating.pk}


@pytest.mark.parametrize(("method", "path"), PAGES)
@pytest.mark.parametrize("role", ["supervisor", "window_staff", "tenant_admin"])
def test_beta_people_get_404_for_alpha_objects(scene, beta, alpha_appeal, method, path, role):
    client = signed_in(beta, role)
    body = {"decision": "upheld", "note": "越权", "statement": "x", "kind": "staff"}
    response = getattr(client, method)(path.format(**alpha_appeal), body)
    assert response.status_code in (403, 404), (path, response.status_code)
    with schema_context(scene.schema):
        assert Appeal.objects.get().state == AppealState.SUBMITTED


def test_an_alpha_session_is_unknown_on_betas_host(scene, beta, alpha_appeal):
    alpha_client = client_of(scene.world.info, scene.staff)
    alpha_client.defaults["HTTP_HOST"] = beta.host
    response = alpha_client.get(f"/appeals/mine/{alpha_appeal['appeal']}/")
    assert response.status_code == 302 and "/accounts/login/" in response.url
