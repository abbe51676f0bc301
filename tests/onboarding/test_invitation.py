"""Invitation links: one-time, 72 hours, a hash stored; a used, expired or replaced link says so and offers a new
one (e-mailed to the invited address only); staff invited by e-mail set their own password."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent, User
from tenants.accounts.roles import Role
from tenants.accounts.services import user_create
from tenants.setup.models import Invitation, InvitationKind
from tenants.setup.selectors import token_digest
from tenants.setup.services import invitation_issue
from tests.conftest import PASSWORD, host_client
from tests.supervision.conftest import signed_in

NEW_PASSWORD = "a-fresh-Passw0rd!"


def _invite(info, email="new.admin@alpha.example", role=Role.TENANT_ADMIN, kind=InvitationKind.FIRST_ADMIN):
    with schema_context(info.schema):
        user = user_create(actor=Actor.system("tests"), email=email, role=role, password=None)
        invitation, token = invitation_issue(actor=Actor.system("tests"), user=user, kind=kind)
    return user, invitation, token


def _set(client, token, password=NEW_PASSWORD, confirm=None):
    return client.post(
        f"/setup/invite/{token}", {"new_password1": password, "new_password2": confirm or password}
    )


def admin_client(info):
    client = host_client(info.host, HTTP_ACCEPT_LANGUAGE="en")
    with schema_context(info.schema):
        client.force_login(
            User.objects.get(email=info.admin_email), backend="django.contrib.auth.backends.ModelBackend"
        )
    return client


def test_only_a_hash_of_the_token_is_stored(alpha):
    _user, invitation, token = _invite(alpha)
    secret = token.rsplit(":", 1)[0]
    assert invitation.token_hash == token_digest(secret) and secret not in invitation.token_hash
    assert invitation.expires_at - invitation.created_at == timedelta(hours=72)


def test_the_link_sets_the_password_signs_in_and_works_once(alpha):
    user, _invitation, token = _invite(alpha)
    client = host_client(alpha.host, HTTP_ACCEPT_LANGUAGE="en")
    page = client.get(f"/setup/invite/{token}")
    assert page.status_code == 200 and "new.admin@alpha.example" in page.content.decode()
    response = _set(client, token)
    assert response.status_code == 302 and response["Location"] == "/setup/"
    assert client.get("/setup/").status_code == 200  # signed in
    with schema_context(alpha.schema):
        user.refresh_from_db()
        assert user.check_password(NEW_PASSWORD)
        assert Invitation.objects.get(user=user).used_at is not None
        assert AuditEvent.objects.filter(action="invitation.accept", actor_id=user.pk).exists()
    # a second use, by anyone, is refused clearly and changes nothing
    other = host_client(alpha.host, HTTP_ACCEPT_LANGUAGE="en")
    again = other.get(f"/setup/invite/{token}")
    assert again.status_code == 410
    html = again.content.decode()
    assert "already used" in html and 'data-state="used"' in html and "Send me a new link" in html
    assert _set(other, token, password="another-Passw0rd!").status_code == 410
    with schema_context(alpha.schema):
        user.refresh_from_db()
        assert user.check_password(NEW_PASSWORD)


def test_staff_land_on_the_workspace_home(alpha):
    _user, _invitation, token = _invite(
        alpha, "officer.new@alpha.example", Role.OFFICER, InvitationKind.STAFF
    )
    response = _set(host_client(alpha.host), token)
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_weak_or_mismatched_password_is_refused_and_the_link_stays_valid(alpha):
    user, _invitation, token = _invite(alpha)
    client = host_client(alpha.host, HTTP_ACCEPT_LANGUAGE="en")
    short = _set(client, token, password="short")
    assert short.status_code == 200 and short.context["form"].errors
    mismatch = _set(client, token, confirm="something-else-9")
    assert "The two password fields didn’t match." in mismatch.context["form"].errors["new_password2"]
    with schema_context(alpha.schema):
        assert Invitation.objects.get(user=user).used_at is None
    assert _set(client, token).status_code == 302


def test_an_expired_link_says_so_and_sends_a_new_one_to_the_invited_address(
    alpha, smtp, django_capture_on_commit_callbacks
):
    user, _invitation, token = _invite(alpha)
    later = timezone.now() + timedelta(hours=72, minutes=1)
    with time_machine.travel(later, tick=False):
        client = host_client(alpha.host, HTTP_ACCEPT_LANGUAGE="en")
        expired = client.get(f"/setup/invite/{token}")
        assert expired.status_code == 410
        assert "has expired" in expired.content.decode()
        assert _set(client, token).status_code == 410
        with django_capture_on_commit_callbacks(execute=True):
            renewed = client.post(f"/setup/invite/{token}/renew")
        html = renewed.content.decode()
        assert "a new link is on its way" in html and "Send me a new link" not in html
        assert user.email not in html  # masked: the page never reveals the address
    ((to, message),) = smtp.messages
    assert to == [user.email]
    new_link = re.search(
        r"http://alpha\.localhost(?::\d+)?(/setup/invite/\S+)", message.get_body().get_content()
    )
    assert new_link
    with time_machine.travel(later + timedelta(minutes=5), tick=False):
        client = host_client(alpha.host)
        assert client.get(f"/setup/invite/{token}").status_code == 410  # the old one stays dead
        assert _set(client, new_link.group(1).split("/setup/invite/")[1]).status_code == 302


def test_a_replaced_link_points_at_the_latest_e_mail(alpha):
    user, _first, old_token = _invite(alpha)
    with schema_context(alpha.schema):
        invitation_issue(actor=Actor.system("tests"), user=user, kind=InvitationKind.FIRST_ADMIN)
    response = host_client(alpha.host, HTTP_ACCEPT_LANGUAGE="en").get(f"/setup/invite/{old_token}")
    assert response.status_code == 410 and "replaced by a newer one" in response.content.decode()


def test_renewals_are_not_sent_twice_within_a_minute(alpha, smtp, django_capture_on_commit_callbacks):
    _user, _invitation, token = _invite(alpha)
    with schema_context(alpha.schema):
        Invitation.objects.update(used_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        host_client(alpha.host).post(f"/setup/invite/{token}/renew")
    assert smtp.messages == []  # the invitation was made seconds ago


@pytest.mark.parametrize("token", ["nonsense", "abc:def", "x" * 80])
def test_a_forged_link_is_not_found(alpha, token):
    response = host_client(alpha.host, HTTP_ACCEPT_LANGUAGE="en").get(f"/setup/invite/{token}")
    assert response.status_code == 404 and "is not valid" in response.content.decode()


def test_a_link_of_one_tenant_is_unknown_on_another(alpha, beta):
    _user, _invitation, token = _invite(alpha)
    response = host_client(beta.host).get(f"/setup/invite/{token}")
    assert response.status_code == 404
    assert "new.admin@alpha.example" not in response.content.decode()


# --- inviting staff ---------------------------------------------------------------------------------------
def test_an_admin_invites_staff_by_e_mail(alpha, smtp, django_capture_on_commit_callbacks):
    client = admin_client(alpha)
    assert client.get("/setup/staff/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/setup/staff/",
            {"email": "Li.Officer@alpha.example", "display_name": "李科员", "role": Role.OFFICER},
        )
    assert response.status_code == 302
    with schema_context(alpha.schema):
        user = User.objects.get(email="li.officer@alpha.example")
        assert user.role == Role.OFFICER and not user.has_usable_password()
    ((to, message),) = smtp.messages
    assert to == ["li.officer@alpha.example"]
    body = message.get_body().get_content()
    link = re.search(r"http://alpha\.localhost(/setup/invite/\S+)", body)
    assert link and "admin@alpha.example" in body
    listing = client.get("/setup/staff/").content.decode()
    assert "li.officer@alpha.example" in listing and "Invited, link valid until" in listing
    # the invited person sets a password
    assert _set(host_client(alpha.host), link.group(1).split("/setup/invite/")[1]).status_code == 302
    # a second invitation to the same address is refused clearly
    again = client.post("/setup/staff/", {"email": "li.officer@alpha.example", "role": Role.OFFICER})
    assert "li.officer@alpha.example already has an account here." in again.context["form"].errors["email"]


def test_a_new_link_for_someone_who_has_not_set_a_password(alpha, smtp, django_capture_on_commit_callbacks):
    user, _invitation, _token = _invite(alpha, "late@alpha.example", Role.AUDITOR, InvitationKind.STAFF)
    client = admin_client(alpha)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/setup/staff/{user.pk}/reinvite")
    assert response.status_code == 302
    assert len(smtp.messages) == 1
    with schema_context(alpha.schema):
        assert Invitation.objects.filter(user=user, revoked_at__isnull=True).count() == 1
        admin = User.objects.get(email=alpha.admin_email)
    refused = client.post(f"/setup/staff/{admin.pk}/reinvite", follow=True)
    assert "has already set a password" in refused.content.decode()


def test_only_administrators_invite_staff(alpha, beta):
    officer = signed_in(alpha, Role.OFFICER)
    assert officer.get("/setup/staff/").status_code == 403
    assert (
        officer.post("/setup/staff/", {"email": "x@alpha.example", "role": Role.OFFICER}).status_code == 403
    )
    anonymous = host_client(alpha.host).get("/setup/staff/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    # beta's administrator, signed in on beta, is a stranger on alpha's host
    beta_admin = host_client(beta.host)
    beta_admin.post("/accounts/login/", {"login": beta.admin_email, "password": PASSWORD})
    assert beta_admin.get("/setup/staff/").status_code == 200
    beta_on_alpha = host_client(alpha.host)
    beta_on_alpha.cookies = beta_admin.cookies
    response = beta_on_alpha.get("/setup/staff/")
    assert response.status_code == 302 and "admin@alpha.example" not in response.content.decode()
    with schema_context(alpha.schema):
        assert not User.objects.filter(email="x@alpha.example").exists()


def test_a_mail_server_failure_keeps_the_invited_account_and_a_new_link_can_be_sent(
    alpha, smtp, django_capture_on_commit_callbacks
):
    smtp.refuse.add("down@alpha.example")
    client = admin_client(alpha)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/setup/staff/", {"email": "down@alpha.example", "role": Role.AUDITOR})
    assert response.status_code == 302  # logged, not a server error
    assert smtp.messages == []
    smtp.refuse.clear()
    with schema_context(alpha.schema):
        user = User.objects.get(email="down@alpha.example")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/setup/staff/{user.pk}/reinvite")
    assert [to for to, _m in smtp.messages] == [["down@alpha.example"]]


def test_an_invitation_never_replaces_a_password_already_chosen(
    alpha, smtp, django_capture_on_commit_callbacks
):
    from tenants.setup.services import InvitationError, invitation_accept, invitation_renew

    user, _old, old_token = _invite(alpha)
    with schema_context(alpha.schema):
        _newer, token = invitation_issue(actor=Actor.system("tests"), user=user, kind=InvitationKind.STAFF)
        user.set_password("chosen-by-the-Person-1")
        user.save()
    client = host_client(alpha.host, HTTP_ACCEPT_LANGUAGE="en")
    page = client.get(f"/setup/invite/{token}")
    assert page.status_code == 410 and "already has a password" in page.content.decode()
    assert _set(client, token).status_code == 410
    with schema_context(alpha.schema):
        with pytest.raises(InvitationError) as refused:
            invitation_accept(token=token, password=NEW_PASSWORD)
        assert refused.value.code == "has_password" and "already has a password" in str(refused.value)
        assert User.objects.get(pk=user.pk).check_password("chosen-by-the-Person-1")
        # nor does an old link bring a new one, for them or for a deactivated person
        old = Invitation.objects.get(token_hash=_old.token_hash)
        Invitation.objects.update(created_at=timezone.now() - timedelta(hours=1))
        with django_capture_on_commit_callbacks(execute=True):
            assert invitation_renew(invitation=old, link_for=lambda t: t) is None
        User.objects.filter(pk=user.pk).update(password="!unusable", is_active=False)
        with django_capture_on_commit_callbacks(execute=True):
            assert invitation_renew(invitation=old, link_for=lambda t: t) is None
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/setup/invite/{old_token}/renew")
    assert smtp.messages == []
