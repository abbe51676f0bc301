from django import template
from django.db import connection

from tenants.accounts.roles import Perm, has_permission
from tenants.setup.selectors import checklist_summary

register = template.Library()


@register.inclusion_tag("setup/_banner.html", takes_context=True)
def setup_banner(context) -> dict:
    """A link to the checklist for the tenant's administrators while a step is still to do."""
    user = getattr(context.get("request"), "user", None)
    if (
        connection.schema_name == "public"
        or user is None
        or not user.is_authenticated
        or not has_permission(getattr(user, "role", ""), Perm.MANAGE_USERS)
    ):
        return {"show": False}
    summary = checklist_summary()
    return {"show": not summary["complete"], "summary": summary}
