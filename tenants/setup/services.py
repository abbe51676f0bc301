"""Writes for the first-run set-up: invitations (issue, send, accept once), staff invited by e-mail, the
checklist's explicit choices and the rating scale. They act on the current tenant schema."""

import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tenants.accounts.actors import Actor
from tenants.accounts.models import User
from tenants.accounts.roles import Role
from tenants.accounts.services import audit_record, role_label, user_create, user_deactivate
from tenants.setup.models import INVITATION_HOURS, Invitation, InvitationKind, SetupStep, StepState
from tenants.setup.selectors import STEP_KEYS, invitation_check, invitation_token, token_digest

logger = logging.getLogger(__name__)

# People an administrator may invite (machines get API keys instead).
INVITABLE_ROLES = (Role.TENANT_ADMIN, Role.SUPERVISOR, Role.OFFICER, Role.WINDOW_STAFF, Role.AUDITOR)


class InvitationError(ValidationError):
    """The link cannot be used; `code` is invalid / used / expired / revoked."""


@transaction.atomic
def invitation_issue(*, actor: Actor, user: User, kind: str = InvitationKind.STAFF) -> tuple[Invitation, str]:
    """A new one-time link for `user` (older unused ones stop working). Returns the invitation and its token,
    which is not stored and goes into the link once."""
    now = timezone.now()
    Invitation.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True).update(revoked_at=now)
    secret = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        user=user,
        kind=kind,
        token_hash=token_digest(secret),
        invited_by=actor.label[:254],
        created_at=now,
        expires_at=now + timedelta(hours=INVITATION_HOURS),
    )
    audit_record(
        actor=actor, action="invitation.issue", target=invitation, data={"user_id": user.pk, "kind": kind}
    )
    return invitation, invitation_token(secret)


def invitation_path(token: str) -> str:
    return reverse("setup-invitation", args=[token])


def invitation_email_send(
    *, user: User, link: str, kind: str, organisation: str, language: str = "", invited_by: str = ""
) -> None:
    """The invitation e-mail (raises when the mail server refuses it)."""
    with translation.override(language or settings.LANGUAGE_CODE):
        if kind == InvitationKind.FIRST_ADMIN:
            subject = _("Your workspace %(name)s is ready") % {"name": organisation}
            intro = _(
                "The workspace of %(name)s on 好差评 Cloud has been set up and you are its first administrator."
            ) % {"name": organisation}
        else:
            subject = _("You are invited to %(name)s") % {"name": organisation}
            intro = _("%(who)s invited you to %(name)s on 好差评 Cloud as %(role)s.") % {
                "who": invited_by or _("An administrator"),
                "name": organisation,
                "role": role_label(user.role),
            }
        body = "\n\n".join(
            [
                intro,
                _("Open this link to set your password and sign in (it works once, for %(hours)s hours):")
                % {"hours": INVITATION_HOURS},
                link,
                _("If the link has expired, open it anyway: the page lets you ask for a new one."),
                _("If you did not expect this e-mail, ignore it."),
            ]
        )
        from themes.email import email_body, email_from, email_theme, header_text

        theme = email_theme()  # the tenant's (this runs in its schema): sender name, name and footer
        send_mail(header_text(subject), email_body(theme, body), email_from(theme), [user.email])


@transaction.atomic
def invitation_accept(*, token: str, password: str) -> User:
    """Set the password of the invited person and spend the link (once: a second use is refused)."""
    check = invitation_check(token)
    if check.state != "ok":
        raise InvitationError(_("This invitation link cannot be used any more."), code=check.state)
    invitation = Invitation.objects.select_for_update().select_related("user").get(pk=check.invitation.pk)
    if invitation.used_at is not None or invitation.revoked_at is not None:
        raise InvitationError(_("This invitation link cannot be used any more."), code="used")
    user = invitation.user
    if not invitation_usable_for(user):  # an invitation never replaces a password someone already chose
        raise InvitationError(
            _(
                "This account already has a password (or is deactivated): sign in, or use “Forgot your "
                "password?” on the sign-in page."
            ),
            code="has_password",
        )
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    now = timezone.now()
    invitation.used_at = now
    invitation.save(update_fields=["used_at"])
    Invitation.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True).update(revoked_at=now)
    audit_record(
        actor=user.actor, action="invitation.accept", target=invitation, data={"kind": invitation.kind}
    )
    return user


def invitation_usable_for(user: User) -> bool:
    """Only an active person who has not set a password yet may set one with an invitation."""
    return user.is_active and not user.has_usable_password()


RENEW_MIN_SECONDS = 60  # a held link cannot be used to flood the invited mailbox


@transaction.atomic
def invitation_renew(*, invitation: Invitation, link_for) -> Invitation | None:
    """Someone holding an expired or used link asks for a new one: it goes to the invited address only (the
    page never shows it). `link_for(token)` makes the absolute link. None when one was sent a moment ago, or
    when the person already set a password or was deactivated (they sign in or reset the password instead)."""
    if not invitation_usable_for(invitation.user):
        return None
    latest = Invitation.objects.filter(user=invitation.user).order_by("-created_at").first()
    if latest is not None and (timezone.now() - latest.created_at).total_seconds() < RENEW_MIN_SECONDS:
        return None
    organisation = _organisation_name()
    new, token = invitation_issue(
        actor=Actor.system("invitation-renewal"), user=invitation.user, kind=invitation.kind
    )
    transaction.on_commit(
        lambda: invitation_email_send(
            user=invitation.user,
            link=link_for(token),
            kind=invitation.kind,
            organisation=organisation,
            language=translation.get_language() or "",
        ),
        robust=True,  # a mail server failure is logged; the page offers to send a new link
    )
    return new


def _organisation_name() -> str:
    from django.db import connection

    tenant = getattr(connection, "tenant", None)
    return getattr(tenant, "name", "") or ""


@transaction.atomic
def staff_invite(
    *, actor: Actor, email: str, role: str, display_name: str = "", link_for
) -> tuple[User, str]:
    """A new staff account without a password and a one-time link to set one, e-mailed after commit."""
    email = (email or "").strip().lower()
    errors: dict[str, list[str]] = {}
    if "@" not in email or len(email) > 254:
        errors["email"] = [_("Enter a valid e-mail address.")]
    elif User.objects.filter(email=email).exists():
        errors["email"] = [_("%(email)s already has an account here.") % {"email": email}]
    if role not in INVITABLE_ROLES:
        errors["role"] = [_("Choose a role for a person.")]
    if errors:
        raise ValidationError(errors)
    user = user_create(actor=actor, email=email, role=role, password=None, display_name=display_name.strip())
    _invitation, token = invitation_issue(actor=actor, user=user, kind=InvitationKind.STAFF)
    organisation, language = _organisation_name(), translation.get_language() or ""
    link = link_for(token)
    transaction.on_commit(
        lambda: invitation_email_send(
            user=user,
            link=link,
            kind=InvitationKind.STAFF,
            organisation=organisation,
            language=language,
            invited_by=actor.label,
        ),
        robust=True,  # a mail server failure is logged; the page offers to send a new link
    )
    return user, token


@transaction.atomic
def staff_reinvite(*, actor: Actor, user: User, link_for) -> str:
    if not user.is_active:
        raise ValidationError(_("%(email)s is deactivated.") % {"email": user.email})
    if user.has_usable_password():
        raise ValidationError(_("%(email)s has already set a password.") % {"email": user.email})
    _invitation, token = invitation_issue(actor=actor, user=user, kind=InvitationKind.STAFF)
    organisation, language = _organisation_name(), translation.get_language() or ""
    link = link_for(token)
    transaction.on_commit(
        lambda: invitation_email_send(
            user=user,
            link=link,
            kind=InvitationKind.STAFF,
            organisation=organisation,
            language=language,
            invited_by=actor.label,
        ),
        robust=True,  # a mail server failure is logged; the page offers to send a new link
    )
    return token


@transaction.atomic
def staff_invitation_withdraw(*, actor: Actor, user: User) -> User:
    """Take back an invitation nobody has accepted yet (a mistyped address, someone who will not come): its
    links stop working and the account is deactivated, which frees its staff seat."""
    if user.has_usable_password():
        raise ValidationError(
            _("%(email)s has accepted the invitation already: deactivate the account instead.")
            % {"email": user.email}
        )
    user = user_deactivate(actor=actor, user=user, action="invitation.withdraw")
    Invitation.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    return user


# --- the checklist -----------------------------------------------------------------------------------------
@transaction.atomic
def setup_step_mark(*, actor: Actor, key: str, state: str | None) -> None:
    """Mark a step done or skipped, or (None) resume it: back to the list of things to do."""
    if key not in STEP_KEYS:
        raise ValidationError(_("Unknown set-up step."))
    if state is None:
        deleted, _rows = SetupStep.objects.filter(key=key).delete()
        if deleted:
            audit_record(actor=actor, action="setup.step_resume", data={"step": key})
        return
    if state not in StepState.values:
        raise ValidationError(_("Unknown state."))
    SetupStep.objects.update_or_create(key=key, defaults={"state": state, "changed_by": actor.label[:254]})
    audit_record(actor=actor, action=f"setup.step_{state}", data={"step": key})


@transaction.atomic
def setup_scale_set(*, actor: Actor, scale: str) -> None:
    """The rating scale's wording (the tenant's evaluation policy); confirms the checklist's first step."""
    from tenants.evaluations.models import EvaluationPolicy, Scale
    from tenants.evaluations.selectors import intake_config_forget

    if scale not in Scale.values:
        raise ValidationError({"scale": [_("Choose one of the scales.")]})
    policy = EvaluationPolicy.objects.select_for_update().first() or EvaluationPolicy()
    before = policy.scale if policy.pk else None
    policy.scale = scale
    policy.save()
    transaction.on_commit(intake_config_forget)
    audit_record(actor=actor, action="evaluation_policy.scale", data={"before": before, "after": scale})
    setup_step_mark(actor=actor, key="evaluation", state=StepState.DONE)
