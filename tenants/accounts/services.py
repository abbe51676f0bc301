"""Writes on accounts: users, API keys and audit events. They act on the current schema."""

import hashlib
import secrets
import time

from allauth.account.models import EmailAddress
from config.observability import request_id_var
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.entitlements import entitlement_check, takes_no_seat
from tenants.accounts.actors import Actor
from tenants.accounts.models import ApiKey, AuditEvent, User
from tenants.accounts.roles import MACHINE_ROLES, Role, roles_for_schema

API_KEY_PREFIX = "hcp"
# What a new key counts against in the tenant's plan (billing.entitlements): a device key is a rating device;
# integration and work-order keys need API access. Widget and SMS-gateway keys count against nothing: they
# are citizen intake channels (the rating widget on a web page, SMS replies), open on every plan.
# Control-plane keys count against nothing.
KEY_ENTITLEMENTS = {
    Role.DEVICE: "devices",
    Role.INTEGRATION: "api",
    Role.WORK_ORDER: "api",
}


def audit_record(
    *, actor: Actor, action: str, target=None, data: dict | None = None, reason: str = ""
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_label=actor.label[:254],
        action=action,
        target_type=type(target).__name__ if target is not None else "",
        target_id=str(getattr(target, "pk", "") or "") if target is not None else "",
        reason=reason,
        data=data or {},
        request_id=request_id_var.get() if request_id_var.get() != "-" else "",
    )


def _check_role_for_schema(role: str, *, field: str = "role") -> None:
    if role not in roles_for_schema(connection.schema_name):
        raise ValidationError({field: [_("Role “%(role)s” does not exist here.") % {"role": role}]})


@transaction.atomic
def user_create(
    *, actor: Actor, email: str, role: str, password: str | None = None, display_name: str = ""
) -> User:
    if role in MACHINE_ROLES:
        raise ValidationError({"role": [_("Machine roles are for API keys, not people.")]})
    _check_role_for_schema(role)
    email = email.strip().lower()
    existing = User.objects.filter(email=email).first()
    if existing is not None:
        return existing  # re-running provisioning or the seed is safe
    if not takes_no_seat(email):  # a person's account takes a staff seat (nothing on the control plane)
        entitlement_check(feature="staff")
    user = User.objects.create_user(email=email, password=password, role=role, display_name=display_name)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    audit_record(actor=actor, action="user.create", target=user, data={"role": role})
    return user


def user_sessions_end(user: User) -> int:
    """End every session `user` has open in the current schema (sessions are kept per schema); returns how
    many. Scans the live sessions: called only when someone leaves, which is rare."""
    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.models import Session

    live = Session.objects.filter(expire_date__gt=timezone.now())
    keys = [s.session_key for s in live.iterator() if s.get_decoded().get(SESSION_KEY) == str(user.pk)]
    Session.objects.filter(session_key__in=keys).delete()
    return len(keys)


@transaction.atomic
def user_deactivate(*, actor: Actor, user: User, action: str = "user.deactivate") -> User:
    """Someone leaves: the account can no longer sign in (an invitation cannot be accepted either), its
    sessions end and its staff seat is free (billing.entitlements.usage_count counts active people only).
    Nothing is deleted: the audit trail and what they did keep their name. Not one's own account, nor the
    last active administrator, nor a support account (support access ends on its own page)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.role in MACHINE_ROLES or takes_no_seat(user.email):
        raise ValidationError(_("This account cannot be deactivated here."), code="not_a_person")
    if actor.kind == "user" and actor.id == user.pk:
        raise ValidationError(_("You cannot deactivate your own account."), code="self")
    if not user.is_active:
        return user
    if (
        user.role == Role.TENANT_ADMIN
        and not User.objects.filter(role=Role.TENANT_ADMIN, is_active=True).exclude(pk=user.pk).exists()
    ):
        raise ValidationError(
            _("%(email)s is the last active administrator: make someone else an administrator first.")
            % {"email": user.email},
            code="last_admin",
        )
    user.is_active = False
    user.save(update_fields=["is_active"])
    sessions = user_sessions_end(user)
    audit_record(
        actor=actor,
        action=action,
        target=user,
        data={"email": user.email, "role": user.role, "sessions_ended": sessions},
    )
    return user


def _digest(secret: str) -> str:
    # Keys carry 256 bits of randomness, so a fast hash is the right tool (no salt or KDF needed).
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, actor: Actor, name: str, role: str) -> tuple[ApiKey, str]:
    """Returns the stored key and the plaintext, which is never stored and must be shown once."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": [_("Give the key a name of 1–100 characters.")]})
    _check_role_for_schema(role)
    if role in KEY_ENTITLEMENTS:
        entitlement_check(feature=KEY_ENTITLEMENTS[role])
    prefix = secrets.token_hex(6)
    plaintext = f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        name=name, prefix=prefix, digest=_digest(plaintext), role=role, created_by=actor.label[:254]
    )
    audit_record(actor=actor, action="api_key.create", target=key, data={"name": name, "role": role})
    return key, plaintext


@transaction.atomic
def api_key_revoke(*, actor: Actor, api_key: ApiKey) -> ApiKey:
    _key_cache.clear()  # this process at once; the others within KEY_CACHE_SECONDS
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="api_key.revoke", target=api_key)
    return api_key


LAST_USED_RESOLUTION_SECONDS = 60
# A verified key is remembered by this process for a few seconds: devices send a rating every few seconds,
# and each lookup costs a query. A revocation reaches every process within this time.
KEY_CACHE_SECONDS = 5.0
KEY_CACHE_MAX = 10_000  # entries (keys × tenants served by this process); emptied beyond
_key_cache: dict[tuple[str, str], tuple[float, ApiKey]] = {}


def api_key_cache_clear() -> None:
    _key_cache.clear()


def api_key_authenticate(plaintext: str) -> ApiKey | None:
    """The active key in the current schema matching `plaintext`, or None. A key of another tenant's schema
    is simply not found here."""
    parts = plaintext.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        return None
    digest = _digest(plaintext)
    cache_key = (connection.schema_name, digest)
    cached = _key_cache.get(cache_key)
    if cached is not None and time.monotonic() - cached[0] < KEY_CACHE_SECONDS:
        return cached[1]
    key = ApiKey.objects.filter(prefix=parts[1], revoked_at__isnull=True).first()
    if key is None or not secrets.compare_digest(key.digest, digest):
        return None
    if len(_key_cache) > KEY_CACHE_MAX:
        _key_cache.clear()
    _key_cache[cache_key] = (time.monotonic(), key)
    now = timezone.now()
    # Record use at minute resolution so the hot path does not write on every request.
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def role_label(role: str) -> str:
    return str(Role(role).label) if role in Role.values else role
