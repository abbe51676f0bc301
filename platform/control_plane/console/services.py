"""Writes of the national staff console: a tenant's status (suspend, archive, resume), the periodic
measurements the tenant list shows (schema sizes, feed activity), and support access (a national staff
member's time-limited, read-only access to a tenant, approved by the tenant's administrator).

Every change leaves an audit row in the public schema; support access leaves one in the tenant's own trail
too, so the tenant sees who asked, who approved, and when the support session started and ended.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from control_plane.console.gate import SUPPORT_EMAIL_DOMAIN
from control_plane.console.models import (
    SUPPORT_MAX_MINUTES,
    ActivityCursor,
    GrantStatus,
    SupportGrant,
    TenantStatusChange,
    TenantStorage,
)
from tenants.accounts.actors import Actor
from tenants.accounts.roles import Role
from tenants.accounts.services import audit_record
from tenants.middleware import host_cache_clear
from tenants.models import Tenant, TenantStatus

# --- tenant status ----------------------------------------------------------------------------------------
# action → (statuses it applies to, status it sets; None: the one before the hold)
STATUS_ACTIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "suspend": (frozenset({TenantStatus.TRIAL, TenantStatus.ACTIVE}), TenantStatus.SUSPENDED),
    "archive": (
        frozenset({TenantStatus.TRIAL, TenantStatus.ACTIVE, TenantStatus.SUSPENDED}),
        TenantStatus.ARCHIVED,
    ),
    "resume": (frozenset({TenantStatus.SUSPENDED, TenantStatus.ARCHIVED}), None),
}
_HELD = frozenset({TenantStatus.SUSPENDED, TenantStatus.ARCHIVED})


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason.")]})
    if len(reason) > 2000:
        raise ValidationError({"reason": [_("Keep the reason under 2,000 characters.")]})
    return reason


def _status_before_hold(tenant: Tenant) -> str:
    """What the tenant was before it was suspended or archived (trial or active)."""
    befores = TenantStatusChange.objects.filter(tenant=tenant).values_list("before", flat=True)[:100]
    return next((b for b in befores if b not in _HELD), TenantStatus.ACTIVE)


def tenant_status_change(*, actor: Actor, tenant: Tenant, action: str, reason: str) -> Tenant:
    """Suspend, archive or resume a tenant. Effective at once in this process and within the host cache's
    10 s in the others (tenants.middleware); what each status allows is in console/gate.py."""
    if action not in STATUS_ACTIONS:
        raise ValidationError({"action": [_("Unknown action.")]})
    reason = _reason(reason)
    allowed, after = STATUS_ACTIONS[action]
    with schema_context("public"), transaction.atomic():
        locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
        if locked.is_control_plane:
            raise ValidationError(_("The control plane cannot be suspended or archived."))
        if locked.status not in allowed:
            raise ValidationError(
                _("A tenant that is “%(status)s” cannot be changed this way.")
                % {"status": locked.get_status_display()}
            )
        before = locked.status
        after = after or _status_before_hold(locked)
        locked.status = after
        locked.save(update_fields=["status", "updated_at"])
        TenantStatusChange.objects.create(
            tenant=locked, action=action, before=before, after=after, reason=reason,
            actor_id=actor.id, actor_label=actor.label[:254],
        )  # fmt: skip
        audit_record(
            actor=actor, action=f"tenant.{action}", target=locked, reason=reason,
            data={"tenant": locked.slug, "before": before, "after": after},
        )  # fmt: skip
        transaction.on_commit(host_cache_clear)
    host_cache_clear()
    return locked


# --- periodic measurements --------------------------------------------------------------------------------
_STORAGE_SQL = """
SELECT n.nspname, COALESCE(sum(pg_total_relation_size(c.oid)), 0)
FROM pg_namespace n
LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relkind IN ('r', 'm')
WHERE n.nspname = ANY(%s)
GROUP BY n.nspname
"""


def storage_measure() -> int:
    """Every tenant schema's size (tables with their indexes and TOAST) in one query; returns how many."""
    with schema_context("public"):
        by_schema = dict(Tenant.objects.exclude(schema_name="public").values_list("schema_name", "pk"))
        if not by_schema:
            return 0
        with connection.cursor() as cur:
            cur.execute(_STORAGE_SQL, [sorted(by_schema)])
            sizes = cur.fetchall()
        now = timezone.now()
        TenantStorage.objects.bulk_create(
            [TenantStorage(tenant_id=by_schema[name], bytes=size, measured_at=now) for name, size in sizes],
            update_conflicts=True,
            unique_fields=["tenant"],
            update_fields=["bytes", "measured_at"],
        )
    return len(sizes)


ACTIVITY_CHUNK = 200_000  # feed records folded in per transaction

_ACTIVITY_SQL = """
WITH new AS (
    SELECT tenant_id, kind, cursor, occurred_at, appended_at FROM control_plane_feedrecord
    WHERE cursor > %(low)s AND cursor <= %(high)s
), agg AS (
    SELECT tenant_id, max(occurred_at) FILTER (WHERE kind = 'evaluation') AS last_rating_at,
           max(appended_at) AS last_appended_at, max(cursor) AS last_cursor
    FROM new GROUP BY tenant_id
), lag AS (
    SELECT DISTINCT ON (tenant_id) tenant_id, appended_at - occurred_at AS last_lag
    FROM new WHERE kind = 'evaluation' ORDER BY tenant_id, cursor DESC
)
INSERT INTO console_tenantactivity (tenant_id, last_rating_at, last_appended_at, last_lag, last_cursor)
SELECT a.tenant_id, a.last_rating_at, a.last_appended_at, l.last_lag, a.last_cursor
FROM agg a LEFT JOIN lag l USING (tenant_id)
ON CONFLICT (tenant_id) DO UPDATE SET
    last_rating_at = GREATEST(console_tenantactivity.last_rating_at, EXCLUDED.last_rating_at),
    last_appended_at = GREATEST(console_tenantactivity.last_appended_at, EXCLUDED.last_appended_at),
    last_lag = COALESCE(EXCLUDED.last_lag, console_tenantactivity.last_lag),
    last_cursor = GREATEST(console_tenantactivity.last_cursor, EXCLUDED.last_cursor)
"""


def activity_refresh(*, chunk: int = ACTIVITY_CHUNK, max_chunks: int = 50) -> int:
    """Fold the feed records appended since the last run into TenantActivity; returns how many were read.

    Reads only new records (a primary-key range), so its cost follows the feed's rate, not its size. The
    feed's cursors commit in order (control_plane.feed), so every record up to the highest visible cursor
    is there to be read and none is skipped."""
    folded = 0
    with schema_context("public"):
        for _ in range(max_chunks):
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute(
                    "INSERT INTO console_activitycursor (id, last) VALUES (1, 0) ON CONFLICT DO NOTHING"
                )
                state = ActivityCursor.objects.select_for_update().get(pk=1)
                cur.execute("SELECT coalesce(max(cursor), 0) FROM control_plane_feedrecord")
                top = cur.fetchone()[0]
                high = min(top, state.last + chunk)
                if high > state.last:
                    cur.execute(_ACTIVITY_SQL, {"low": state.last, "high": high})
                    folded += high - state.last
                state.last, state.refreshed_at = max(high, state.last), timezone.now()
                state.save(update_fields=["last", "refreshed_at"])
            if high >= top:
                break
    return folded


# --- support access ---------------------------------------------------------------------------------------
SUPPORT_ROLE = Role.AUDITOR  # read-only: no changes, no evaluator identity (roles.py)
ENTRY_SALT = "control_plane.console.support-entry"
ENTRY_MAX_AGE = 120  # seconds a one-time link may take from the console to the tenant's host


class SupportAccessRefused(Exception):
    """The link or the grant does not (or no longer) give access."""


def support_email(grant: SupportGrant) -> str:
    return f"support-{grant.pk}@{SUPPORT_EMAIL_DOMAIN}"


def _as_national(actor: Actor) -> Actor:
    """A public-schema person as the tenant's audit trail names them (their id is not a tenant user's)."""
    return Actor(kind="national", id=actor.id, label=actor.label, role=actor.role)


def _as_tenant_user(actor: Actor, tenant: Tenant) -> Actor:
    """A tenant's person as the public audit trail names them."""
    return Actor(
        kind="tenant_user", id=actor.id, label=f"{actor.label} @ {tenant.slug}"[:254], role=actor.role
    )


def _audit_both(
    *, grant: SupportGrant, action: str, public_actor: Actor, tenant_actor: Actor, reason: str = "", **data
) -> None:
    data = {"grant": grant.pk, "tenant": grant.tenant.slug, **data}
    with schema_context("public"):
        audit_record(actor=public_actor, action=action, target=grant, reason=reason, data=data)
    with schema_context(grant.tenant.schema_name):
        audit_record(actor=tenant_actor, action=action, target=grant, reason=reason, data=data)


def _minutes(minutes) -> int:
    try:
        minutes = int(minutes)
    except (TypeError, ValueError):
        minutes = 0
    if not 1 <= minutes <= SUPPORT_MAX_MINUTES:
        raise ValidationError(
            {
                "minutes": [
                    _("Access lasts from 1 minute to %(n)s minutes (8 hours).") % {"n": SUPPORT_MAX_MINUTES}
                ]
            }
        )
    return minutes


def support_request(*, actor: Actor, tenant: Tenant, reason: str, minutes: int) -> SupportGrant:
    """A national staff member asks the tenant's administrators for read-only access."""
    reason, minutes = _reason(reason), _minutes(minutes)
    if tenant.is_control_plane or tenant.status == TenantStatus.ARCHIVED:
        raise ValidationError(_("Support access is only for tenants in use."))
    with transaction.atomic():
        grant = SupportGrant.objects.create(
            tenant=tenant, requested_by_id=actor.id, requested_by_label=actor.label[:254], reason=reason,
            minutes=minutes, role=SUPPORT_ROLE,
        )  # fmt: skip
        _audit_both(
            grant=grant, action="support.request", public_actor=actor, tenant_actor=_as_national(actor),
            reason=reason, minutes=minutes, role=SUPPORT_ROLE,
        )  # fmt: skip
    return grant


def _locked(tenant: Tenant, grant_id: int) -> SupportGrant:
    """The grant of THIS tenant (another tenant's grant is simply not found), locked."""
    return (
        SupportGrant.objects.select_for_update(of=("self",))
        .select_related("tenant")
        .get(pk=grant_id, tenant=tenant)
    )


def support_decide(
    *, actor: Actor, tenant: Tenant, grant_id: int, approve: bool, note: str = ""
) -> SupportGrant:
    """The tenant's administrator approves (access starts now, for the minutes asked) or denies."""
    now = timezone.now()
    with transaction.atomic():
        grant = _locked(tenant, grant_id)
        if not grant.is_pending(now):
            raise ValidationError(_("This request is no longer waiting for a decision."))
        grant.status = GrantStatus.APPROVED if approve else GrantStatus.DENIED
        grant.decided_at, grant.decided_by_label = now, actor.label[:254]
        grant.decision_note = (note or "").strip()[:2000]
        grant.expires_at = now + timedelta(minutes=grant.minutes) if approve else None
        grant.save()
        _audit_both(
            grant=grant, action="support.approve" if approve else "support.deny",
            public_actor=_as_tenant_user(actor, tenant), tenant_actor=actor, reason=grant.decision_note,
            expires_at=grant.expires_at.isoformat() if grant.expires_at else None,
        )  # fmt: skip
    return grant


def _support_user_deactivate(grant: SupportGrant) -> None:
    if grant.support_user_id is None:
        return
    from tenants.accounts.models import User

    with schema_context(grant.tenant.schema_name):
        User.objects.filter(pk=grant.support_user_id).update(is_active=False)


def support_revoke(
    *, actor: Actor, tenant: Tenant, grant_id: int, by_tenant: bool, reason: str = ""
) -> SupportGrant:
    """End (or withdraw) a grant at once, from either side. Its session ends on its next request."""
    now = timezone.now()
    with transaction.atomic():
        grant = _locked(tenant, grant_id)
        if grant.state(now) not in ("pending", "active"):
            raise ValidationError(_("This access has already ended."))
        grant.status, grant.revoked_at, grant.revoked_by_label = GrantStatus.REVOKED, now, actor.label[:254]
        grant.entry_nonce, grant.ended_at = "", now
        grant.save()
        _support_user_deactivate(grant)
        public_actor, tenant_actor = (
            (_as_tenant_user(actor, tenant), actor) if by_tenant else (actor, _as_national(actor))
        )
        _audit_both(
            grant=grant, action="support.revoke", public_actor=public_actor, tenant_actor=tenant_actor,
            reason=(reason or "").strip()[:2000],
        )  # fmt: skip
    return grant


def support_link_issue(*, actor: Actor, grant_id: int) -> str:
    """A one-time, two-minute token that signs the requester in on the tenant's host (support_session_start).
    Only the staff member who asked may use their grant."""
    with transaction.atomic():
        grant = SupportGrant.objects.select_for_update(of=("self",)).select_related("tenant").get(pk=grant_id)
        if grant.requested_by_id != actor.id:
            raise PermissionDenied
        if not grant.is_active():
            raise ValidationError(_("This access is not active."))
        grant.entry_nonce = secrets.token_urlsafe(24)
        grant.save(update_fields=["entry_nonce"])
    return signing.dumps({"g": grant.pk, "n": grant.entry_nonce}, salt=ENTRY_SALT)


def support_session_start(*, token: str, tenant: Tenant):
    """Check a one-time link on the tenant's host and return (grant, the grant's read-only user), made on first
    use. Runs in the tenant's schema."""
    from tenants.accounts.models import User
    from tenants.accounts.services import user_create

    try:
        payload = signing.loads(token, salt=ENTRY_SALT, max_age=ENTRY_MAX_AGE)
        grant_id, nonce = int(payload["g"]), str(payload["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise SupportAccessRefused from exc
    now = timezone.now()
    with transaction.atomic():
        try:
            grant = _locked(tenant, grant_id)
        except SupportGrant.DoesNotExist as exc:
            raise SupportAccessRefused from exc
        if (
            not grant.is_active(now)
            or not grant.entry_nonce
            or not secrets.compare_digest(grant.entry_nonce, nonce)
        ):
            raise SupportAccessRefused
        national = Actor(kind="national", id=grant.requested_by_id, label=grant.requested_by_label, role="")
        with schema_context(tenant.schema_name):
            user = User.objects.filter(pk=grant.support_user_id).first() if grant.support_user_id else None
            if user is None:
                user = user_create(
                    actor=national, email=support_email(grant), role=grant.role, password=None,
                    display_name=(_("Platform support (%(who)s)") % {"who": grant.requested_by_label})[:100],
                )  # fmt: skip
            if not user.is_active:
                raise SupportAccessRefused
        grant.support_user_id, grant.entry_nonce, grant.last_entered_at = user.pk, "", now
        grant.save(update_fields=["support_user_id", "entry_nonce", "last_entered_at"])
        _audit_both(
            grant=grant, action="support.session_start", public_actor=Actor(kind="user", id=grant.requested_by_id,
            label=grant.requested_by_label), tenant_actor=national, expires_at=grant.expires_at.isoformat(),
        )  # fmt: skip
    return grant, user


def support_grants_expire() -> int:
    """Deactivate the read-only users of grants that ran out (the gate already refuses them; this tidies up
    and records the end in both trails). Returns how many."""
    now = timezone.now()
    ended = 0
    with schema_context("public"):
        due = list(
            SupportGrant.objects.filter(
                status=GrantStatus.APPROVED, expires_at__lte=now, ended_at__isnull=True
            ).select_related("tenant")
        )
        system = Actor.system("support-access")
        for grant in due:
            with transaction.atomic():
                _support_user_deactivate(grant)
                grant.ended_at = now
                grant.save(update_fields=["ended_at"])
                _audit_both(grant=grant, action="support.expire", public_actor=system, tenant_actor=system)
            ended += 1
    return ended
