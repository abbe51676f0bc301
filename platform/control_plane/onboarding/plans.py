"""The plans shown on the public site. A static list for now: the commerce issue (billing) replaces
`plans_list()` with its own catalogue, and nothing else needs to change."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Plan:
    code: str
    name: Promise
    audience: Promise
    price: Promise
    features: tuple[Promise, ...]
    highlighted: bool = False


PLANS: tuple[Plan, ...] = (
    Plan(
        code="basic",
        name=_("Basic (基础版)"),
        audience=_("A county, a single agency or one service hall"),
        price=_("Free 30-day trial, then priced per hall"),
        features=(
            _("Ratings on every channel: window devices, QR codes, web, SMS and paper"),
            _("The closed loop for bad reviews: callback, rectification, feedback"),
            _("Dashboards and the public disclosure portal"),
        ),
    ),
    Plan(
        code="standard",
        name=_("Standard (标准版)"),
        audience=_("A city with its districts, departments and halls"),
        price=_("Priced per hall and window"),
        features=(
            _("Everything in Basic"),
            _("Comment analysis, scorecards and rankings, scheduled reports"),
            _("Appeals, supervision surveys and random callbacks"),
            _("API for business systems, work-order and 12345 hotline systems"),
        ),
        highlighted=True,
    ),
    Plan(
        code="flagship",
        name=_("Flagship (旗舰版)"),
        audience=_("A province, with its cities and counties as linked workspaces"),
        price=_("On quotation"),
        features=(
            _("Everything in Standard"),
            _("Regional benchmarking through the national feed"),
            _("Two-factor sign-in enforced, dedicated support and data export"),
        ),
    ),
)


def plans_list() -> tuple[Plan, ...]:
    return PLANS
