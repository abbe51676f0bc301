from django import template

from control_plane.onboarding.plans import plans_list

register = template.Library()


@register.simple_tag
def onboarding_plans():
    """The plans for the public site, from the plan catalogue (billing.Plan)."""
    return plans_list()
