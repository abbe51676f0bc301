"""One-time QR per transaction: the API a window system calls, and the page the code opens."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.roles import Role
from tenants.channels.models import QrTokenUse
from tenants.channels.tokens import transaction_token
from tenants.evaluations.models import Channel, Evaluation
from tenants.evaluations.services import TransactionInput, transaction_register
from tests.conftest import host_client, key_client, make_key

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def register(info, number: str = "T-QR-1", **extra):
    from tenants.accounts.actors import Actor

    with schema_context(info.schema):
        return transaction_register(
            actor=Actor.system("tests"),
            data=TransactionInput(
                number=number,
                item_code="ITEM-001",
                unit_code="H01",
                window_code="W01",
                channel=Channel.DEVICE,
                finished_at=extra.pop("finished_at", timezone.now()),
                **extra,
            ),
        )


@pytest.fixture
def txn(world):
    return register(world.info)


@pytest.fixture
def link(world, txn):
    response = key_client(world.info.host, world.integration_key).get(f"/api/v1/transactions/{txn.number}/qr")
    assert response.status_code == 200, response.content
    url = response.json()["url"]
    assert url.startswith(f"http://{world.info.host}/r/")
    return url.removeprefix(f"http://{world.info.host}")


def evaluations(schema: str) -> int:
    with schema_context(schema):
        return Evaluation.objects.count()


# --- the API ------------------------------------------------------------------------------------------
def test_the_api_gives_the_link_its_expiry_and_both_images(world, txn):
    client = key_client(world.info.host, world.integration_key)
    body = client.get(f"/api/v1/transactions/{txn.number}/qr").json()
    assert body["transaction"] == "T-QR-1" and body["url"].startswith("http://alpha.localhost/r/")
    assert body["svg"].endswith("/api/v1/transactions/T-QR-1/qr.svg")
    svg = client.get("/api/v1/transactions/T-QR-1/qr.svg")
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    assert svg.content.startswith(b"<?xml") and b"<svg" in svg.content and b"T-QR-1" in svg.content
    png = client.get("/api/v1/transactions/T-QR-1/qr.png")
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert png.content.startswith(PNG_SIGNATURE)


@pytest.mark.parametrize("role", [Role.INTEGRATION, Role.DEVICE, Role.TENANT_ADMIN])
def test_keys_that_register_or_rate_may_ask_for_a_code(world, txn, role):
    client = key_client(world.info.host, make_key(world.info.schema, role))
    assert client.get("/api/v1/transactions/T-QR-1/qr").status_code == 200


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.SUPERVISOR])
def test_other_roles_may_not(world, txn, role):
    response = key_client(world.info.host, make_key(world.info.schema, role)).get(
        "/api/v1/transactions/T-QR-1/qr.svg"
    )
    assert response.status_code == 403 and response["Content-Type"] == "application/problem+json"


def test_unknown_transaction_and_format_are_404_problems(world, txn):
    client = key_client(world.info.host, world.integration_key)
    for path in ("/api/v1/transactions/NOPE/qr", "/api/v1/transactions/T-QR-1/qr.gif"):
        response = client.get(path)
        assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"


def test_no_key_is_401(world, txn):
    assert host_client(world.info.host).get("/api/v1/transactions/T-QR-1/qr").status_code == 401


def test_cross_tenant_keys_and_numbers_find_nothing(world, beta, txn):
    assert (
        key_client(beta.host, world.integration_key).get("/api/v1/transactions/T-QR-1/qr").status_code == 401
    )
    beta_key = make_key(beta.schema, Role.INTEGRATION)
    response = key_client(beta.host, beta_key).get("/api/v1/transactions/T-QR-1/qr.png")
    assert response.status_code == 404


# --- the page ------------------------------------------------------------------------------------------
def test_the_code_opens_a_form_for_that_transaction(world, link):
    response = host_client(world.info.host).get(link)
    page = response.content.decode()
    assert response.status_code == 200
    assert "食品经营许可证核发" in page and "A01 综合受理窗口" in page
    assert 'name="item"' not in page and 'name="level"' in page


def test_rating_through_the_code_once(world, link):
    client = host_client(world.info.host)
    response = client.post(link, {"level": "2"})
    assert response.status_code == 200 and "好" in response.content.decode()
    with schema_context(world.info.schema):
        evaluation = Evaluation.objects.select_related("transaction").get()
        use = QrTokenUse.objects.get()
    assert (evaluation.transaction.number, evaluation.channel, evaluation.level) == ("T-QR-1", "qr", 2)
    assert use.evaluation == evaluation and use.transaction_number == "T-QR-1"
    assert link.split("/")[2] not in use.digest  # only the digest is kept

    # a second scan: "already rated", and nothing to fill in
    again = client.get(link)
    assert again.status_code == 200
    assert (
        'name="level"' not in again.content.decode() and '<form method="post"' not in again.content.decode()
    )
    resubmit = client.post(link, {"level": "5", "reason_tags": ["attitude"]})
    assert resubmit.status_code == 200 and 'name="level"' not in resubmit.content.decode()
    assert evaluations(world.info.schema) == 1


def test_a_refused_rating_leaves_the_code_unused(world, link):
    client = host_client(world.info.host)
    assert client.post(link, {"level": "4"}).status_code == 400  # a bad rating needs a reason
    with schema_context(world.info.schema):
        assert not QrTokenUse.objects.exists()
    assert client.post(link, {"level": "4", "reason_tags": ["overdue"]}).status_code == 200
    assert evaluations(world.info.schema) == 1


def test_the_code_expires_after_the_supplementary_period(world, link):
    with time_machine.travel(timezone.now() + timedelta(days=8)):  # the default period is 7 days
        client = host_client(world.info.host)
        assert client.get(link).status_code == 410
        assert client.post(link, {"level": "1"}).status_code == 410
    assert evaluations(world.info.schema) == 0


def test_a_transaction_finished_long_ago_cannot_be_rated_with_a_fresh_code(world):
    register(world.info, "T-OLD", finished_at=timezone.now() - timedelta(days=30))
    with schema_context(world.info.schema):
        path = f"/r/{transaction_token('T-OLD')}/"
    response = host_client(world.info.host).post(path, {"level": "1"})
    assert response.status_code == 400 and "7" in response.content.decode()
    assert evaluations(world.info.schema) == 0


def test_a_forged_code_is_a_404(world, link):
    client = host_client(world.info.host)
    assert client.get(link[:-3] + "xx/").status_code == 404
    assert client.post(link[:-3] + "xx/", {"level": "1"}).status_code == 404
    assert evaluations(world.info.schema) == 0


def test_beta_host_with_alphas_code_is_404_even_for_a_number_beta_also_has(world, beta, link):
    # beta happens to hold a transaction with the same number
    from tests.conftest import build_capture_world

    build_capture_world(beta)
    register(beta, "T-QR-1")
    client = host_client(beta.host)
    assert client.get(link).status_code == 404
    assert client.post(link, {"level": "1"}).status_code == 404
    assert evaluations(beta.schema) == 0 and evaluations(world.info.schema) == 0
    with schema_context(beta.schema):
        assert not QrTokenUse.objects.exists()


def test_submits_are_limited_per_code(world, link, settings):
    settings.CHANNELS_QR_TOKEN_RATE = (2, 600)
    client = host_client(world.info.host)
    codes = [client.post(link, {"level": "4"}).status_code for _ in range(3)]
    assert codes == [400, 400, 429]
    assert evaluations(world.info.schema) == 0
