"""Helpers shared by the supervision services."""

from django.core.exceptions import PermissionDenied

from tenants.accounts.actors import Actor
from tenants.accounts.roles import has_permission


def require_permission(actor: Actor, perm: str) -> None:
    """Services check the role themselves, so no caller (page, API, shell) can skip the rule.
    The system actor (migrations, seeds, jobs) is trusted."""
    if actor.kind != "system" and not has_permission(actor.role, perm):
        raise PermissionDenied(perm)
