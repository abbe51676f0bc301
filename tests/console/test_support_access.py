"""Support access: national staff ask with a reason and a duration (≤ 8 h), the tenant's administrator
approves or denies, the requester opens the tenant through a one-time link as a read-only user made for the
grant, every page shows the banner, and expiry or revocation ends it at once. Every step is in both audit
trails; a grant for alpha gives nothing on beta."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from control_plane.console.models import SupportGrant
from control_plane.console.services import support_grants_expire, support_request
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent, User
from tenants.accounts.roles import Role
from tenants.models import Tenant
from tests.conftest import host_client
from tests.supervision.conftest import rate_transactions, signed_in

REASON = "工单 #4711: the province reports that the hall dashboard shows no ratings since Monday"


def audit(schema: str, action: str) -> list[AuditEvent]:
    with schema_context(schema):
        return list(AuditEvent.objects.filter(action=action).order_by("id"))


def request_access(national, info, minutes: int = 60):
    response = national.post(
        f"/console/tenants/{info.tenant.pk}/support/", {"reason": REASON, "minutes": minutes}
    )
    assert response.status_code == 302, response.content
    return SupportGrant.objects.filter(tenant=info.tenant).latest("id")


def approve(admin, grant, note: str = "OK for today") -> None:
    response = admin.post(f"/support-access/{grant.pk}/approve", {"note": note})
    assert response.status_code == 302, response.content


def open_tenant(national, grant, info):
    """The console's one-time link, followed on the tenant's host; returns that host's client."""
    link = national.post(f"/console/support/{grant.pk}/open")
    assert link.status_code == 302, link.content
    url = urlsplit(link["Location"])
    assert url.hostname == info.host and url.path == "/support-access/enter"
    client = host_client(info.host, HTTP_ACCEPT_LANGUAGE="en")
    client.entered = client.get(f"{url.path}?{url.query}")
    client.link = f"{url.path}?{url.query}"
    return client


@pytest.fixture
def admin(alpha):
    return signed_in(alpha, Role.TENANT_ADMIN)


def test_request_approve_open_banner_and_both_audit_trails(national, alpha, admin):
    # national staff ask
    grant = request_access(national, alpha, minutes=120)
    assert (grant.status, grant.minutes, grant.role, grant.requested_by_label) == (
        "pending", 120, "auditor", "national@test.example"
    )  # fmt: skip
    assert "Open the tenant" not in national.get(f"/console/tenants/{alpha.tenant.pk}/").content.decode()
    # the tenant's administrators see the request with its reason, and approve
    listed = admin.get("/support-access/").content.decode()
    assert (
        REASON in listed
        and "national@test.example" in listed
        and f"/support-access/{grant.pk}/approve" in listed
    )
    approve(admin, grant)
    grant.refresh_from_db()
    assert grant.status == "approved" and grant.decided_by_label == "tenant_admin@alpha.example"
    assert timedelta(minutes=119) < grant.expires_at - timezone.now() <= timedelta(minutes=120)
    # the requester opens the tenant: signed in as the grant's read-only user, the banner on every page
    support = open_tenant(national, grant, alpha)
    assert support.entered.status_code == 302 and support.entered["Location"] == "/"
    until = timezone.localtime(grant.expires_at).strftime("%H:%M")
    for path in ["/", "/evaluations/", "/cases/"]:
        page = support.get(path)
        assert page.status_code == 200, path
        assert f"Platform support access (平台技术支持访问中) until {until}" in page.content.decode()
    grant.refresh_from_db()
    with schema_context(alpha.schema):
        user = User.objects.get(pk=grant.support_user_id)
    assert user.role == Role.AUDITOR and user.email == f"support-{grant.pk}@support.invalid"
    assert not user.has_usable_password()
    # both trails: request, approval, session start
    for action in ("support.request", "support.approve", "support.session_start"):
        (public,) = audit("public", action)
        (tenant,) = audit(alpha.schema, action)
        assert public.data["grant"] == tenant.data["grant"] == grant.pk
    assert audit(alpha.schema, "support.request")[0].actor_kind == "national"
    assert audit("public", "support.approve")[0].actor_label == "tenant_admin@alpha.example @ alpha"
    assert audit(alpha.schema, "support.approve")[0].reason == "OK for today"
    # the tenant's own people are unaffected by the banner
    assert "平台技术支持访问中" not in admin.get("/").content.decode()


def test_the_support_user_reads_but_never_reveals_or_administers(national, world):
    alpha = world.info
    (evaluation_id,) = rate_transactions(
        world, 1, start=timezone.now() - timedelta(hours=1), level=5, prefix="P"
    )
    grant = request_access(national, alpha)
    approve(signed_in(alpha, Role.TENANT_ADMIN), grant)
    support = open_tenant(national, grant, alpha)
    listing = support.get("/evaluations/")
    assert listing.status_code == 200 and "13800130000" not in listing.content.decode()
    assert support.post(f"/evaluations/{evaluation_id}/reveal", {"reason": "curious"}).status_code == 403
    assert support.get("/support-access/").status_code == 403  # cannot approve itself anything
    assert support.get("/settings/api-keys/").status_code == 403


def test_the_link_is_one_time_and_for_the_requester_only(national, national_other, alpha, admin):
    grant = request_access(national, alpha)
    approve(admin, grant)
    assert national_other.post(f"/console/support/{grant.pk}/open").status_code == 403
    support = open_tenant(national, grant, alpha)
    again = host_client(alpha.host, HTTP_ACCEPT_LANGUAGE="en").get(support.link)
    assert again.status_code == 403 and "does not give access" in again.content.decode()


def test_the_link_expires_after_two_minutes(national, alpha, admin):
    grant = request_access(national, alpha)
    approve(admin, grant)
    link = urlsplit(national.post(f"/console/support/{grant.pk}/open")["Location"])
    with time_machine.travel(timezone.now() + timedelta(minutes=3), tick=False):
        late = host_client(alpha.host).get(f"{link.path}?{link.query}")
    assert late.status_code == 403


def test_expiry_ends_the_session_at_once(national, alpha, admin):
    grant = request_access(national, alpha, minutes=30)
    approve(admin, grant)
    support = open_tenant(national, grant, alpha)
    grant.refresh_from_db()
    with time_machine.travel(grant.expires_at - timedelta(seconds=5), tick=False):
        assert support.get("/").status_code == 200
    with time_machine.travel(grant.expires_at + timedelta(seconds=1), tick=False):
        ended = support.get("/")
        after = support.get("/evaluations/")
        assert ended.status_code in (302, 403) and "平台技术支持访问中" not in ended.content.decode()
        assert after.status_code == 302 and after["Location"].startswith("/accounts/login/")
        # the periodic tidy-up deactivates the user and records the end on both sides
        assert support_grants_expire() == 1
        assert support_grants_expire() == 0
        # and an expired grant opens nothing
        assert national.post(f"/console/support/{grant.pk}/open").status_code == 302
    with schema_context(alpha.schema):
        assert not User.objects.get(pk=grant.support_user_id).is_active
    assert len(audit("public", "support.expire")) == len(audit(alpha.schema, "support.expire")) == 1
    grant.refresh_from_db()
    assert grant.entry_nonce == ""


def test_the_tenant_admin_revokes_and_the_session_ends_on_its_next_request(national, alpha, admin):
    grant = request_access(national, alpha)
    approve(admin, grant)
    support = open_tenant(national, grant, alpha)
    assert support.get("/").status_code == 200
    assert admin.post(f"/support-access/{grant.pk}/revoke", {"reason": "done"}).status_code == 302
    ended = support.get("/")
    assert ended.status_code == 403 and "Support access has ended" in ended.content.decode()
    assert support.get("/").status_code == 302  # signed out
    grant.refresh_from_db()
    assert grant.status == "revoked" and grant.revoked_by_label == "tenant_admin@alpha.example"
    assert audit("public", "support.revoke")[0].actor_kind == "tenant_user"
    assert audit(alpha.schema, "support.revoke")[0].actor_label == "tenant_admin@alpha.example"


def test_national_staff_end_it_too(national, alpha, admin):
    grant = request_access(national, alpha)
    approve(admin, grant)
    support = open_tenant(national, grant, alpha)
    assert national.post(f"/console/support/{grant.pk}/revoke").status_code == 302
    assert support.get("/").status_code == 403
    assert audit(alpha.schema, "support.revoke")[0].actor_kind == "national"
    with schema_context(alpha.schema):
        assert not User.objects.get(pk=SupportGrant.objects.get(pk=grant.pk).support_user_id).is_active


def test_a_denied_request_opens_nothing(national, alpha, admin):
    grant = request_access(national, alpha)
    assert admin.post(f"/support-access/{grant.pk}/deny", {"note": "not now"}).status_code == 302
    grant.refresh_from_db()
    assert grant.status == "denied" and grant.expires_at is None
    national.post(f"/console/support/{grant.pk}/open")
    grant.refresh_from_db()
    assert grant.entry_nonce == ""
    assert len(audit("public", "support.deny")) == len(audit(alpha.schema, "support.deny")) == 1
    assert admin.post(f"/support-access/{grant.pk}/approve").status_code == 302  # too late: refused
    grant.refresh_from_db()
    assert grant.status == "denied"


def test_a_request_not_decided_within_a_day_lapses(national, alpha, admin):
    grant = request_access(national, alpha)
    later = timezone.now() + timedelta(hours=25)
    with time_machine.travel(later, tick=False):
        admin.post(f"/support-access/{grant.pk}/approve")
    grant.refresh_from_db()
    assert grant.status == "pending" and grant.state(later) == "lapsed"
    assert not audit("public", "support.approve")


def test_at_most_eight_hours_and_a_reason(national, alpha):
    actor = Actor(kind="user", id=1, label="national@test.example", role=Role.NATIONAL_STAFF)
    with pytest.raises(ValidationError):
        support_request(actor=actor, tenant=alpha.tenant, reason=REASON, minutes=8 * 60 + 1)
    with pytest.raises(ValidationError):
        support_request(actor=actor, tenant=alpha.tenant, reason="  ", minutes=60)
    refused = national.post(
        f"/console/tenants/{alpha.tenant.pk}/support/", {"reason": REASON, "minutes": 600}
    )
    assert refused.status_code == 400 and not SupportGrant.objects.exists()


def test_viewing_without_manage_tenants_cannot_request_or_open(viewer, national, alpha, admin):
    assert (
        viewer.post(
            f"/console/tenants/{alpha.tenant.pk}/support/", {"reason": REASON, "minutes": 60}
        ).status_code
        == 403
    )
    grant = request_access(national, alpha)
    approve(admin, grant)
    assert viewer.post(f"/console/support/{grant.pk}/open").status_code == 403
    assert viewer.post(f"/console/support/{grant.pk}/revoke").status_code == 403
    grant.refresh_from_db()
    assert grant.is_active()


def test_a_grant_for_alpha_gives_nothing_on_beta(national, alpha, beta, admin):
    grant = request_access(national, alpha)
    beta_admin = signed_in(beta, Role.TENANT_ADMIN)
    # beta's administrators neither see nor decide alpha's request
    assert REASON not in beta_admin.get("/support-access/").content.decode()
    assert beta_admin.post(f"/support-access/{grant.pk}/approve").status_code == 404
    assert beta_admin.post(f"/support-access/{grant.pk}/revoke").status_code == 404
    grant.refresh_from_db()
    assert grant.status == "pending"
    approve(admin, grant)
    # alpha's one-time link presented on beta's host signs nobody in, and stays unused for alpha
    link = urlsplit(national.post(f"/console/support/{grant.pk}/open")["Location"])
    on_beta = host_client(beta.host, HTTP_ACCEPT_LANGUAGE="en")
    assert on_beta.get(f"{link.path}?{link.query}").status_code == 403
    assert on_beta.get("/").status_code == 302
    with schema_context(beta.schema):
        assert not User.objects.filter(email__endswith="@support.invalid").exists()
    assert not audit(beta.schema, "support.request") and not audit(beta.schema, "support.session_start")
    on_alpha = host_client(alpha.host).get(f"{link.path}?{link.query}")
    assert on_alpha.status_code == 302  # still good where it belongs


def test_an_archived_tenant_gets_no_support_request(national, alpha):
    Tenant.objects.filter(pk=alpha.tenant.pk).update(status="archived")
    refused = national.post(f"/console/tenants/{alpha.tenant.pk}/support/", {"reason": REASON, "minutes": 60})
    assert refused.status_code == 400 and not SupportGrant.objects.exists()


# --- the support user is keyed on the user, not on the session's marker (review, issue 6) ------------------
PASSWORD = "A-long-enough-passw0rd!"


def test_a_support_user_cannot_set_a_password_nor_change_addresses(national, alpha, admin):
    grant = request_access(national, alpha)
    approve(admin, grant)
    support = open_tenant(national, grant, alpha)
    refused = support.post("/accounts/password/set/", {"password1": PASSWORD, "password2": PASSWORD})
    assert refused.status_code == 403 and "Not available in a support session" in refused.content.decode()
    for path in ["/accounts/password/change/", "/accounts/email/", "/accounts/2fa/"]:
        assert support.get(path).status_code == 403, path
    grant.refresh_from_db()
    with schema_context(alpha.schema):
        assert not User.objects.get(pk=grant.support_user_id).has_usable_password()
    assert support.get("/").status_code == 200  # the session itself goes on, with its banner
    assert support.post("/accounts/logout/").status_code == 302  # leaving is allowed


def test_a_support_user_never_signs_in_with_a_password(national, alpha, admin):
    grant = request_access(national, alpha)
    approve(admin, grant)
    open_tenant(national, grant, alpha)
    grant.refresh_from_db()
    with schema_context(alpha.schema):
        user = User.objects.get(pk=grant.support_user_id)
        user.set_password(PASSWORD)  # however it got one
        user.save()
    client = host_client(alpha.host, HTTP_ACCEPT_LANGUAGE="en")
    refused = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert refused.status_code == 403
    assert "cannot sign in with a password" in refused.content.decode()
    assert client.get("/").status_code == 302  # not signed in


def test_a_session_without_the_marker_ends_with_its_grant(national, alpha, admin):
    grant = request_access(national, alpha, minutes=30)
    approve(admin, grant)
    open_tenant(national, grant, alpha)
    grant.refresh_from_db()
    with schema_context(alpha.schema):
        user = User.objects.get(pk=grant.support_user_id)
    # a session signed in some other way (no marker): refused even while the grant lasts
    other = host_client(alpha.host, HTTP_ACCEPT_LANGUAGE="en")
    with schema_context(alpha.schema):
        other.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    page = other.get("/")
    assert page.status_code == 403 and "平台技术支持访问中" not in page.content.decode()
    assert other.get("/").status_code == 302  # signed out
    # once the grant has run out, such a session is signed out and the user deactivated
    late = host_client(alpha.host, HTTP_ACCEPT_LANGUAGE="en")
    with schema_context(alpha.schema):
        late.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    with time_machine.travel(grant.expires_at + timedelta(seconds=1), tick=False):
        ended = late.get("/evaluations/")
        assert ended.status_code == 403 and "Support access has ended" in ended.content.decode()
        assert late.get("/evaluations/").status_code == 302
    with schema_context(alpha.schema):
        assert not User.objects.get(pk=user.pk).is_active
