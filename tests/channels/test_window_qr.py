"""The window poster QR: the mobile page a citizen opens, rating without sign-in or JavaScript."""

import re

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tenants.catalog.models import ItemStatus
from tenants.channels.tokens import window_token
from tenants.evaluations.models import Evaluation, EvaluationPolicy, Transaction
from tenants.evaluations.selectors import intake_config_forget
from tenants.privacy.identity import identity_from_row
from tests.conftest import host_client
from tests.factories import ServiceItemFactory

NONCE = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def window_url(world):
    with schema_context(world.info.schema):
        return f"/q/{window_token(world.window.pk)}/"


def counts(schema: str) -> tuple[int, int]:
    with schema_context(schema):
        return Evaluation.objects.count(), Transaction.objects.count()


def rate(client, url, **fields):
    body = {"item": "ITEM-001", "level": "1", "nonce": NONCE, **fields}
    return client.post(url, body)


def test_page_shows_the_window_the_items_and_the_tenants_scale(world, window_url):
    with schema_context(world.info.schema):
        ServiceItemFactory(code="ITEM-DRAFT", name="尚未发布的事项", status=ItemStatus.DRAFT)
    response = host_client(world.info.host).get(window_url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "A01 综合受理窗口" in page and "市民中心政务服务大厅" in page
    assert "食品经营许可证核发" in page and "尚未发布的事项" not in page
    assert [w in page for w in ("很好", "好", "一般", "差", "很差")] == [True] * 5
    assert 'type="radio" name="level"' in page and 'name="csrfmiddlewaretoken"' in page
    assert "服务态度差" in page  # reasons are in the page: they work without JavaScript


def test_search_narrows_the_item_list(world, window_url):
    with schema_context(world.info.schema):
        ServiceItemFactory(code="ITEM-002", name="户口迁移登记")
    client = host_client(world.info.host)
    page = client.get(window_url, {"q": "户口"}).content.decode()
    assert "户口迁移登记" in page and "食品经营许可证核发" not in page
    assert "户口迁移登记" in client.get(window_url, {"q": "ITEM-002"}).content.decode()


def test_a_good_rating_is_stored_as_a_qr_rating_of_the_window(world, window_url):
    # a real browser round trip: CSRF enforced, no JavaScript
    client = Client(HTTP_HOST=world.info.host, enforce_csrf_checks=True)
    page = client.get(window_url).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    nonce = re.search(r'name="nonce" value="([0-9a-f]{32})"', page).group(1)
    response = client.post(
        window_url, {"csrfmiddlewaretoken": token, "item": "ITEM-001", "level": "1", "nonce": nonce}
    )
    assert response.status_code == 200
    assert "很好" in response.content.decode()
    with schema_context(world.info.schema):
        evaluation = Evaluation.objects.select_related("transaction").get()
        txn = evaluation.transaction
        assert (evaluation.channel, evaluation.level, evaluation.is_bad, evaluation.anonymous) == (
            "qr",
            1,
            False,
            True,
        )
        assert (txn.window, txn.unit, txn.item, txn.channel) == (world.window, world.hall, world.item, "qr")
        assert evaluation.source == "qr" and evaluation.device is None


def test_a_bad_rating_with_reasons_comment_and_real_name(world, window_url):
    response = rate(
        host_client(world.info.host),
        window_url,
        level="5",
        reason_tags=["attitude", "long_wait"],
        comment="等了一个小时",
        name="李华",
        phone="13800138000",
    )
    assert response.status_code == 200
    with schema_context(world.info.schema):
        evaluation = Evaluation.objects.get()
    assert (evaluation.level, evaluation.is_bad, evaluation.reason_tags) == (
        5,
        True,
        ["attitude", "long_wait"],
    )
    assert evaluation.comment == "等了一个小时" and not evaluation.anonymous
    identity = identity_from_row(evaluation, "evaluator")
    assert (identity.name, identity.phone) == ("李华", "13800138000")
    assert evaluation.evaluator_phone != "13800138000"  # encrypted at rest


@pytest.mark.parametrize(
    ("fields", "message_fragment"),
    [
        ({"level": "5"}, "reason"),  # a bad rating needs a reason
        ({"level": "9"}, "level"),
        ({"level": ""}, "level"),
        ({"phone": "12345"}, "phone"),
        ({"reason_tags": ["no-such-tag"], "level": "4"}, "reason_tags"),
        ({"item": ""}, "item"),
        ({"item": "NO-SUCH-ITEM"}, "item"),
        ({"nonce": "not-a-nonce"}, "nonce"),
    ],
)
def test_bad_input_shows_the_form_again_and_stores_nothing(world, window_url, fields, message_fragment):
    before = counts(world.info.schema)
    response = rate(host_client(world.info.host), window_url, **fields)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'role="alert"' in page and 'name="level"' in page  # the same form, with a message on top
    assert counts(world.info.schema) == before


def test_bad_input_keeps_what_the_citizen_typed(world, window_url):
    response = rate(
        host_client(world.info.host), window_url, level="4", comment="材料要求不一致", name="王芳"
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "材料要求不一致" in page and 'value="王芳"' in page
    assert re.search(r'value="4"[^>]*checked', page)
    assert 'value="ITEM-001" checked' in page
    assert "rate-reasons is-open" in page  # reasons stay open for the bad rating


def test_a_comment_longer_than_the_policy_allows_is_refused(world, window_url):
    with schema_context(world.info.schema):
        EvaluationPolicy.objects.update(comment_max_length=10)
        intake_config_forget()
    response = rate(host_client(world.info.host), window_url, comment="很" * 11)
    assert response.status_code == 400
    assert 'maxlength="10"' in response.content.decode()
    assert counts(world.info.schema) == (0, 0)


def test_a_double_submit_of_one_form_rates_once(world, window_url):
    client = host_client(world.info.host)
    first, second = rate(client, window_url), rate(client, window_url)
    assert first.status_code == second.status_code == 200
    assert counts(world.info.schema) == (1, 1)


def test_the_window_systems_item_in_the_link_is_used_without_a_list(world, window_url):
    with schema_context(world.info.schema):
        ServiceItemFactory(code="ITEM-002", name="户口迁移登记")
    client = host_client(world.info.host)
    page = client.get(window_url, {"item": "ITEM-002"}).content.decode()
    assert "户口迁移登记" in page and 'name="item"' not in page and 'role="search"' not in page
    assert client.post(f"{window_url}?item=ITEM-002", {"level": "2", "nonce": NONCE}).status_code == 200
    with schema_context(world.info.schema):
        assert Evaluation.objects.get().transaction.item.code == "ITEM-002"


@pytest.mark.parametrize("mangle", [lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), lambda t: "1:abc"])
def test_a_forged_window_token_is_a_404(world, mangle):
    with schema_context(world.info.schema):
        token = mangle(window_token(world.window.pk))
    client = host_client(world.info.host)
    assert client.get(f"/q/{token}/").status_code == 404
    assert rate(client, f"/q/{token}/").status_code == 404
    assert counts(world.info.schema) == (0, 0)


def test_an_inactive_window_stops_its_posters(world, window_url):
    with schema_context(world.info.schema):
        type(world.window).objects.filter(pk=world.window.pk).update(active=False)
    assert host_client(world.info.host).get(window_url).status_code == 404


def test_beta_host_with_alphas_window_token_is_404_and_nothing_is_stored(world, beta, window_url):
    client = host_client(beta.host)
    assert client.get(window_url).status_code == 404
    assert rate(client, window_url).status_code == 404
    assert counts(beta.schema) == (0, 0)
    assert counts(world.info.schema) == (0, 0)


def test_ratings_are_limited_per_window_not_per_address(world, window_url, settings):
    from tests.factories import UnitFactory

    settings.CHANNELS_QR_WINDOW_RATE = (2, 600)
    with schema_context(world.info.schema):
        other = UnitFactory(code="W02", name="A02 窗口", kind="window", parent=world.hall)
        other_url = f"/q/{window_token(other.pk)}/"
    client = host_client(world.info.host)  # every request from the same address, like phones behind a NAT
    codes = [rate(client, window_url, nonce=f"{n:032x}").status_code for n in range(3)]
    assert codes == [200, 200, 429]
    assert rate(client, other_url, nonce=f"{9:032x}").status_code == 200
    assert counts(world.info.schema)[0] == 3
