from django import template

from tenants.accounts.roles import has_permission

register = template.Library()


@register.filter
def can(user, perm: str) -> bool:
    """{% if user|can:"catalog.manage" %}: the same check as the views (roles.py decides)."""
    return bool(user and user.is_authenticated and has_permission(getattr(user, "role", None), perm))
