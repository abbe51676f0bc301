"""The plan's switches that leave something out rather than refuse a form: the public portal (its pages answer
the friendly "not available" 404, the settings page says why) and national-feed participation (the relay
leaves the tenant's outbox rows pending; an upgrade ships the whole history)."""

from datetime import datetime

import pytest
from control_plane.feed import feed_append, feed_sweep, pending_outbox
from control_plane.models import FeedRecord
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from billing.entitlements import EntitlementExceeded
from tenants.accounts.actors import Actor
from tenants.insight.services import rollups_drain
from tenants.portal.models import PortalSettings
from tenants.portal.services import portal_settings_set
from tests.billing.entitlement_fixtures import admin_client, billing_on, english, on_plan  # noqa: F401
from tests.conftest import build_capture_world, host_client
from tests.supervision.conftest import rate_transactions

pytestmark = pytest.mark.usefixtures("english", "billing_on")
SYSTEM = Actor.system("tests")
RATED = timezone.make_aware(datetime(2026, 3, 10, 9, 0))
PORTAL_PAGES = [
    "/portal/",
    "/portal/results/",
    "/portal/rankings/",
    "/portal/bad-reviews/",
    "/portal/reports/",
]


def portal_on(info) -> None:
    with schema_context(info.schema):
        portal_settings_set(actor=SYSTEM, enabled=True, min_group_size=5, show_comments=False)


# --- the public portal --------------------------------------------------------------------------------------
def test_without_the_portal_in_the_plan_every_portal_page_is_a_friendly_404(alpha):
    portal_on(alpha)
    on_plan(alpha, "basic", public_portal=False)
    client = host_client(alpha.host, HTTP_ACCEPT_LANGUAGE="en")
    for path in PORTAL_PAGES:
        response = client.get(path)
        assert response.status_code == 404, path
        assert "The public portal is not available for this organisation." in response.content.decode()
    assert client.get("/portal/reports/1.pdf").status_code == 404


def test_with_the_portal_in_the_plan_the_pages_are_served(alpha):
    portal_on(alpha)
    on_plan(alpha, "basic")  # the basic plan includes the portal
    client = host_client(alpha.host, HTTP_ACCEPT_LANGUAGE="en")
    assert [client.get(path).status_code for path in PORTAL_PAGES] == [200] * len(PORTAL_PAGES)


def test_the_settings_page_says_why_and_turning_the_portal_on_is_refused(alpha):
    with schema_context(alpha.schema):
        portal_settings_set(actor=SYSTEM, enabled=False, min_group_size=5, show_comments=False)
    on_plan(alpha, "basic", public_portal=False)
    admin = admin_client(alpha)

    page = admin.get("/settings/portal/").content.decode()
    turn_on = admin.post("/settings/portal/", {"enabled": "on", "min_group_size": "5", "intro": ""})
    other_change = admin.post("/settings/portal/", {"min_group_size": "8", "intro": ""})

    assert 'id="portal-not-in-plan"' in page and 'href="/billing/"' in page
    assert turn_on.status_code == 400 and "does not include the public portal" in turn_on.content.decode()
    assert other_change.status_code == 302  # the other settings stay editable
    with schema_context(alpha.schema):
        settings = PortalSettings.objects.get()
        assert (settings.enabled, settings.min_group_size) == (False, 8)


def test_a_portal_already_on_stays_configurable_after_a_downgrade_but_is_not_served(alpha):
    portal_on(alpha)
    on_plan(alpha, "basic", public_portal=False)
    with schema_context(alpha.schema):
        portal_settings_set(actor=SYSTEM, enabled=True, min_group_size=7, show_comments=False)  # no refusal
        portal_settings_set(actor=SYSTEM, enabled=False, min_group_size=7, show_comments=False)
        with pytest.raises(EntitlementExceeded):  # but switching it on again is refused
            portal_settings_set(actor=SYSTEM, enabled=True, min_group_size=7, show_comments=False)
        assert PortalSettings.objects.get().min_group_size == 7
    assert host_client(alpha.host).get("/portal/").status_code == 404


# --- the national feed -----------------------------------------------------------------------------------------
@pytest.fixture
def empty_outboxes(tenant_pair, db):
    """Start from empty outboxes (browser tests leave committed rows; rolled back after the test)."""
    for info in tenant_pair.values():
        with schema_context(info.schema), connection.cursor() as cur:
            cur.execute("DELETE FROM feed_feedoutbox")


def ship(info) -> int:
    with schema_context(info.schema):
        rollups_drain()
    return feed_sweep()


def test_a_tenant_without_feed_participation_is_not_shipped_and_an_upgrade_ships_its_history(
    world, beta, empty_outboxes
):
    # given alpha on a plan without the national feed, beta on the trial plan (with it), both rating
    beta_world = build_capture_world(beta)
    on_plan(world.info, "basic")
    rate_transactions(world, 3, start=RATED, level=1, prefix="F")
    rate_transactions(beta_world, 2, start=RATED, level=1, prefix="F")

    # when the relay runs
    ship(world.info)
    ship(beta_world.info)

    # then nothing of alpha's is shipped and its rows wait, in full; beta's are shipped
    assert not FeedRecord.objects.filter(tenant=world.info.tenant).exists()
    assert feed_append(world.info.tenant).taken == 0
    assert pending_outbox(world.info.tenant) >= 3
    assert FeedRecord.objects.filter(tenant=beta.tenant, kind="evaluation").count() == 2
    assert pending_outbox(beta.tenant) == 0

    # when alpha upgrades, the next run ships the history, in order
    on_plan(world.info, "standard")
    ship(world.info)
    shipped = list(FeedRecord.objects.filter(tenant=world.info.tenant).order_by("cursor"))
    assert len([r for r in shipped if r.kind == "evaluation"]) == 3
    assert pending_outbox(world.info.tenant) == 0
