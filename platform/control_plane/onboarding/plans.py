"""The plans shown on the public site, from the plan catalogue (billing.Plan rows with `is_public`, as national
staff edit them at /billing/plans/): name, audience, price in yuan and what each allows."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from billing.models import Plan
from billing.selectors import plans_public, price_yuan


@dataclass(frozen=True)
class PlanCard:
    code: str
    name: str
    audience: str
    description: str
    price: str
    features: tuple[str, ...]
    highlighted: bool = False


def _limits(plan: Plan) -> list[str]:
    # Literal msgids in each call, so that makemessages finds them.
    halls, windows, devices, staff = plan.max_halls, plan.max_windows, plan.max_devices, plan.max_staff
    return [
        _("Unlimited halls")
        if halls is None
        else ngettext("Up to %(n)d hall", "Up to %(n)d halls", halls) % {"n": halls},
        _("Unlimited windows")
        if windows is None
        else ngettext("Up to %(n)d window", "Up to %(n)d windows", windows) % {"n": windows},
        _("Unlimited rating devices")
        if devices is None
        else ngettext("Up to %(n)d rating device", "Up to %(n)d rating devices", devices) % {"n": devices},
        _("Unlimited staff seats")
        if staff is None
        else ngettext("Up to %(n)d staff seat", "Up to %(n)d staff seats", staff) % {"n": staff},
    ]


def _features(plan: Plan) -> tuple[str, ...]:
    features = [
        *_limits(plan),
        _("Ratings on every channel and the closed loop for bad reviews"),  # every plan: citizens always rate
    ]
    switches = (
        (plan.api_access, _("API for business systems, work-order and 12345 hotline systems")),
        (plan.reports, _("Monthly and quarterly reports")),
        (plan.public_portal, _("The public disclosure portal")),
        (plan.national_feed, _("National feed participation and regional benchmarking")),
    )
    features += [text for included, text in switches if included]
    return tuple(features)


def _price(plan: Plan) -> str:
    price = _("%(price)s a month") % {"price": price_yuan(plan.monthly_price)}
    if plan.price_per_rating:
        price = _("%(price)s, plus %(per_rating)s per rating") % {
            "price": price,
            "per_rating": price_yuan(plan.price_per_rating),
        }
    if plan.trial_days:
        price = ngettext(
            "%(price)s; free %(n)d-day trial", "%(price)s; free %(n)d-day trial", plan.trial_days
        ) % {"price": price, "n": plan.trial_days}
    return price


def plans_list() -> list[PlanCard]:
    return [
        PlanCard(
            code=plan.code,
            name=plan.name,
            audience=plan.audience,
            description=plan.description,
            price=_price(plan),
            features=_features(plan),
            highlighted=plan.highlighted,
        )
        for plan in plans_public()
    ]
