"""Staff seats are freed on the staff page (/setup/staff/): deactivating someone who left (they cannot sign in any
more, their sessions end) or withdrawing an invitation (its link stops working) frees the seat, so a plan at its
limit takes a new invitation. Audited; never one's own account or the last administrator; another tenant's people
are not found."""

import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent, User
from tenants.accounts.roles import Role
from tenants.accounts.services import user_create, user_deactivate
from tenants.setup.models import Invitation
from tenants.setup.services import staff_invite
from tests.billing.entitlement_fixtures import admin_client, billing_on, english, on_plan, used  # noqa: F401
from tests.conftest import PASSWORD, host_client

pytestmark = pytest.mark.usefixtures("english", "billing_on")
SYSTEM = Actor.system("tests")


def _person(info, email: str, role: str = Role.OFFICER, password: str | None = PASSWORD) -> User:
    with schema_context(info.schema):
        return user_create(actor=SYSTEM, email=email, role=role, password=password)


def _signed_in(info, user: User):
    client = host_client(info.host, HTTP_ACCEPT_LANGUAGE="en")
    with schema_context(info.schema):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _invite(admin, email: str):
    return admin.post("/setup/staff/", {"email": email, "role": "officer"})


def _exists(info, email: str) -> bool:
    with schema_context(info.schema):
        return User.objects.filter(email=email).exists()


def test_deactivating_someone_who_left_frees_their_seat_and_ends_their_access(alpha):
    # given a plan whose seats are all taken, one of them by an officer who is signed in
    leaver = _person(alpha, "leaver@alpha.example")
    on_plan(alpha, "basic", max_staff=used(alpha, "staff"))
    leaver_client = _signed_in(alpha, leaver)
    assert leaver_client.get("/cases/").status_code == 200
    admin = admin_client(alpha)
    refused = _invite(admin, "newcomer@alpha.example")
    assert refused.status_code == 200 and "staff seats" in refused.content.decode()
    assert not _exists(alpha, "newcomer@alpha.example")

    # when the administrator deactivates the leaver
    response = admin.post(f"/setup/staff/{leaver.pk}/deactivate")

    # then the account is inactive, its session ended, the change audited
    assert response.status_code == 302 and response["Location"] == "/setup/staff/"
    with schema_context(alpha.schema):
        assert User.objects.get(pk=leaver.pk).is_active is False
        event = AuditEvent.objects.get(action="user.deactivate", target_id=str(leaver.pk))
        assert event.actor_label == alpha.admin_email and event.data["sessions_ended"] == 1
        assert not [
            s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(leaver.pk)
        ]
    assert leaver_client.get("/cases/").status_code == 302  # sent to sign in
    again = host_client(alpha.host, HTTP_ACCEPT_LANGUAGE="en")
    again.post("/accounts/login/", {"login": "leaver@alpha.example", "password": PASSWORD})
    assert "_auth_user_id" not in again.session
    # and the freed seat takes the new invitation
    assert _invite(admin, "newcomer@alpha.example").status_code == 302
    assert _exists(alpha, "newcomer@alpha.example")
    page = admin.get("/setup/staff/").content.decode()
    assert 'data-state="deactivated"' in page and f'/setup/staff/{leaver.pk}/deactivate"' not in page


def test_withdrawing_an_invitation_frees_its_seat_and_its_link_stops_working(alpha):
    # given the last seat taken by an invitation to a mistyped address
    on_plan(alpha, "basic", max_staff=used(alpha, "staff") + 1)
    with schema_context(alpha.schema):
        typo, token = staff_invite(
            actor=SYSTEM, email="offcer@alpha.example", role=Role.OFFICER, link_for=lambda t: t
        )
    admin = admin_client(alpha)
    assert "staff seats" in _invite(admin, "officer@alpha.example").content.decode()
    assert not _exists(alpha, "officer@alpha.example")
    page = admin.get("/setup/staff/").content.decode()
    assert f'action="/setup/staff/{typo.pk}/withdraw"' in page

    # when the administrator withdraws it
    response = admin.post(f"/setup/staff/{typo.pk}/withdraw")

    # then its link no longer works, the seat is free, the change audited
    assert response.status_code == 302
    with schema_context(alpha.schema):
        assert User.objects.get(pk=typo.pk).is_active is False
        assert not Invitation.objects.filter(
            user=typo, revoked_at__isnull=True, used_at__isnull=True
        ).exists()
        assert AuditEvent.objects.filter(action="invitation.withdraw", target_id=str(typo.pk)).exists()
    assert host_client(alpha.host).get(f"/setup/invite/{token}").status_code in (404, 410)
    assert _invite(admin, "officer@alpha.example").status_code == 302
    assert _exists(alpha, "officer@alpha.example")
    # a withdrawn invitation is not sent again
    admin.post(f"/setup/staff/{typo.pk}/reinvite")
    with schema_context(alpha.schema):
        assert not Invitation.objects.filter(user=typo, revoked_at__isnull=True).exists()


def test_not_ones_own_account_nor_the_last_administrator(alpha):
    admin = admin_client(alpha)
    with schema_context(alpha.schema):
        me = User.objects.get(email=alpha.admin_email)
    own = admin.post(f"/setup/staff/{me.pk}/deactivate", follow=True)
    assert "You cannot deactivate your own account." in own.content.decode()
    with schema_context(alpha.schema):
        assert not User.objects.filter(role=Role.TENANT_ADMIN, is_active=True).exclude(pk=me.pk).exists()
        with pytest.raises(ValidationError, match="last active administrator"):
            user_deactivate(actor=SYSTEM, user=me)
        assert User.objects.get(pk=me.pk).is_active is True
        assert not AuditEvent.objects.filter(action="user.deactivate").exists()


def test_another_tenants_person_is_not_found_and_nothing_changes(alpha, beta):
    # given a person of alpha whose id names nobody in beta
    victim = _person(alpha, "victim@alpha.example")
    with schema_context(beta.schema):
        taken = set(User.objects.values_list("pk", flat=True))
    while victim.pk in taken:
        victim = _person(alpha, f"victim{victim.pk}@alpha.example")
    beta_admin = admin_client(beta)
    # when beta's administrator tries to deactivate it or withdraw its invitation
    for action in ("deactivate", "withdraw", "reinvite"):
        assert beta_admin.post(f"/setup/staff/{victim.pk}/{action}").status_code == 404, action
    # then nothing changed in alpha
    with schema_context(alpha.schema):
        assert User.objects.get(pk=victim.pk).is_active is True
        assert not AuditEvent.objects.filter(action__in=["user.deactivate", "invitation.withdraw"]).exists()
    # and only administrators may deactivate at all
    officer = _person(alpha, "plain@alpha.example")
    assert _signed_in(alpha, officer).post(f"/setup/staff/{victim.pk}/deactivate").status_code == 403
    with schema_context(alpha.schema):
        assert User.objects.get(pk=victim.pk).is_active is True
