"""The billing banner's state for base.html (billing/banner.html): past due, unpaid or cancelled.

Nothing for the control plane, anonymous visitors (citizens: not even a session lookup when they carry no
cookie) and API keys; for signed-in staff one cached lookup (billing/state.py)."""

from billing.state import billing_state
from tenants.accounts.roles import Perm, has_permission


def billing(request) -> dict:
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.schema_name == "public":
        return {}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not hasattr(user, "email"):
        return {}
    state = billing_state(tenant)
    if not state.banner:
        return {}
    return {"billing_banner": state, "billing_can_pay": has_permission(user.role, Perm.MANAGE_BILLING)}
