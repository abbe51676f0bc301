from rest_framework.permissions import BasePermission

from tenants.accounts.roles import has_permission


def require(perm: str) -> type[BasePermission]:
    """A DRF permission class granting access to principals whose role has `perm` (roles.py decides)."""

    class RolePermission(BasePermission):
        message = f"Your role lacks the permission “{perm}”."

        def has_permission(self, request, view) -> bool:
            user = request.user
            return bool(user and user.is_authenticated and has_permission(getattr(user, "role", None), perm))

    RolePermission.__name__ = f"Require[{perm}]"
    RolePermission.required_permission = perm
    return RolePermission
