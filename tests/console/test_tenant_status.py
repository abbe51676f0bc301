"""Suspend, archive and resume from the console: confirmed with a reason, audited, and effective on the
tenant's host — suspended: staff and administrators stopped, citizens' ratings still accepted; archived:
nothing served, intake refused with 410; resume: the status before, and everything works again."""

import pytest
from control_plane.console.models import TenantStatusChange
from django.db import connection
from django_tenants.utils import schema_context

from tenants.accounts.models import AuditEvent
from tenants.accounts.roles import Role
from tenants.models import Tenant
from tests.conftest import host_client, key_client, make_key
from tests.console.conftest import public_client
from tests.supervision.conftest import signed_in


def rating(number: str) -> dict:
    return {"transaction": number, "level": 1, "channel": "device", "item_code": "ITEM-001"}


def act(client, tenant, action: str, reason: str = "Unpaid for three months; agreed with the province"):
    return client.post(f"/console/tenants/{tenant.pk}/{action}", {"reason": reason, "confirm": "on"})


def status_of(info) -> str:
    return Tenant.objects.get(pk=info.tenant.pk).status


def public_audit(action: str):
    with schema_context("public"):
        return list(AuditEvent.objects.filter(action=action))


def test_a_change_needs_a_reason_and_a_confirmation(national, alpha):
    page = national.get(f"/console/tenants/{alpha.tenant.pk}/suspend")
    assert page.status_code == 200 and 'name="reason"' in page.content.decode()
    no_reason = national.post(f"/console/tenants/{alpha.tenant.pk}/suspend", {"reason": " ", "confirm": "on"})
    unconfirmed = national.post(f"/console/tenants/{alpha.tenant.pk}/suspend", {"reason": "why"})
    assert no_reason.status_code == unconfirmed.status_code == 400
    assert status_of(alpha) == "trial" and not public_audit("tenant.suspend")


def test_suspension_stops_staff_and_keeps_citizens_rating(national, world, beta):
    alpha = world.info
    admin = signed_in(alpha, Role.TENANT_ADMIN)
    admin_key = key_client(alpha.host, make_key(alpha.schema, Role.TENANT_ADMIN, "admin key"))
    work_orders = key_client(alpha.host, make_key(alpha.schema, Role.WORK_ORDER, "12345 hotline"))
    device = key_client(alpha.host, world.device_key)
    assert admin.get("/").status_code == 200

    # when national staff suspend alpha
    response = act(national, alpha.tenant, "suspend")

    # then it is recorded with who, why, before and after
    assert response.status_code == 302 and status_of(alpha) == "suspended"
    change = TenantStatusChange.objects.get(tenant=alpha.tenant)
    assert (change.action, change.before, change.after) == ("suspend", "trial", "suspended")
    (event,) = public_audit("tenant.suspend")
    assert event.actor_label == "national@test.example" and event.reason.startswith("Unpaid")
    assert event.data == {"tenant": "alpha", "before": "trial", "after": "suspended"}
    assert event.target_id == str(alpha.tenant.pk)
    # staff pages show "suspended", sign-in included
    page = admin.get("/")
    assert page.status_code == 403 and 'data-status="suspended"' in page.content.decode()
    assert "This account is suspended" in page.content.decode()
    assert host_client(alpha.host).get("/accounts/login/").status_code == 403
    # the API refuses staff and administrators, sessions and keys alike, and work-order systems
    for client, path in [
        (admin, "/api/v1/me"),
        (admin_key, "/api/v1/api-keys"),
        (work_orders, "/api/v1/cases"),
    ]:
        refused = client.get(path)
        assert refused.status_code == 403 and refused["Content-Type"] == "application/problem+json"
        assert refused.json()["type"].endswith("/tenant-suspended")
    # a staff session cannot rate through the intake API either (its keys only pass)
    assert (
        admin.post("/api/v1/evaluations", rating("S-STAFF"), content_type="application/json").status_code
        == 403
    )
    # citizens still rate: the device's API, the device page, the public portal
    assert (
        device.post("/api/v1/evaluations", rating("S-1"), content_type="application/json").status_code == 201
    )
    assert device.get("/api/v1/device").status_code == 200
    assert host_client(alpha.host).get("/device/").status_code == 200
    assert "tenant-unavailable" not in host_client(alpha.host).get("/portal/").content.decode()
    # another tenant is untouched
    assert signed_in(beta, Role.TENANT_ADMIN).get("/").status_code == 200


def test_archiving_refuses_everything_with_410_ratings_included(national, world):
    alpha = world.info
    device = key_client(alpha.host, world.device_key)
    assert act(national, alpha.tenant, "archive").status_code == 302 and status_of(alpha) == "archived"

    refused = device.post("/api/v1/evaluations", rating("A-1"), content_type="application/json")
    assert refused.status_code == 410 and refused.json()["type"].endswith("/tenant-archived")
    page = host_client(alpha.host).get("/device/")
    assert page.status_code == 410 and 'data-status="archived"' in page.content.decode()
    assert signed_in(alpha, Role.TENANT_ADMIN).get("/").status_code == 410
    assert host_client(alpha.host).get("/portal/").status_code == 410
    with schema_context(alpha.schema), connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM evaluations_evaluation")
        assert cur.fetchone()[0] == 0


def test_resume_restores_the_status_before_the_hold(national, world):
    alpha = world.info
    device = key_client(alpha.host, world.device_key)
    act(national, alpha.tenant, "suspend")
    act(national, alpha.tenant, "archive")
    assert act(national, alpha.tenant, "resume").status_code == 302
    assert status_of(alpha) == "trial"  # what it was before it was suspended
    assert [e.data["after"] for e in reversed(public_audit("tenant.resume"))] == ["trial"]
    assert signed_in(alpha, Role.TENANT_ADMIN).get("/").status_code == 200
    assert (
        device.post("/api/v1/evaluations", rating("R-1"), content_type="application/json").status_code == 201
    )
    history = national.get(f"/console/tenants/{alpha.tenant.pk}/").content.decode()
    assert "Archived → Trial" in history and "Suspended → Archived" in history


def test_only_changes_that_apply_are_offered_and_accepted(national, alpha):
    detail = national.get(f"/console/tenants/{alpha.tenant.pk}/").content.decode()
    assert f"/console/tenants/{alpha.tenant.pk}/suspend" in detail
    assert f"/console/tenants/{alpha.tenant.pk}/resume" not in detail
    refused = act(national, alpha.tenant, "resume")  # a trial tenant is not held
    assert refused.status_code == 400 and "cannot be changed this way" in refused.content.decode()
    assert status_of(alpha) == "trial" and not TenantStatusChange.objects.exists()
    assert national.post(f"/console/tenants/{alpha.tenant.pk}/delete", {"reason": "x"}).status_code == 404


def test_the_control_plane_is_not_a_tenant_to_act_on(national, tenant_pair):
    public = Tenant.objects.get(schema_name="public")
    assert act(national, public, "suspend").status_code == 404
    assert Tenant.objects.get(schema_name="public").status == "active"


def test_viewing_without_manage_tenants_cannot_act(viewer, alpha):
    assert viewer.get(f"/console/tenants/{alpha.tenant.pk}/suspend").status_code == 403
    assert act(viewer, alpha.tenant, "suspend").status_code == 403
    assert act(viewer, alpha.tenant, "archive").status_code == 403
    assert status_of(alpha) == "trial" and not public_audit("tenant.suspend")


@pytest.mark.parametrize("action", ["suspend", "archive", "resume"])
def test_anonymous_is_sent_to_sign_in_and_changes_nothing(alpha, action):
    response = act(public_client(), alpha.tenant, action)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert status_of(alpha) == "trial"


def test_a_post_needs_the_csrf_token(alpha, national):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True, HTTP_HOST="localhost")
    strict.cookies = national.cookies
    assert act(strict, alpha.tenant, "suspend").status_code == 403
    assert status_of(alpha) == "trial"
