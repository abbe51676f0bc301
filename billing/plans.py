"""Writes on the plan catalogue (national staff, /billing/plans/ on the control plane). What a plan allows is
read by `billing.entitlements` at every check, so an edit applies to every tenant on the plan at once."""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from billing.models import Plan
from tenants.accounts.actors import Actor
from tenants.accounts.services import audit_record

LIMIT_FIELDS = ("max_halls", "max_windows", "max_devices", "max_staff")  # None = unlimited
SWITCH_FIELDS = ("api_access", "reports", "public_portal", "national_feed")
TEXT_FIELDS = {"name": 100, "audience": 200, "description": 5000}
STRIPE_PRICE_FIELDS = ("stripe_price_id", "stripe_metered_price_id")
EDITABLE = (
    *TEXT_FIELDS,
    *LIMIT_FIELDS,
    *SWITCH_FIELDS,
    "trial_days",
    "monthly_price",
    "price_per_rating",
    *STRIPE_PRICE_FIELDS,
    "is_public",
    "highlighted",
    "sort_order",
)
STRIPE_PRICE_ID = re.compile(r"^price_[A-Za-z0-9]{1,58}$")
MAX_COUNT = 2_000_000_000  # PostgreSQL integer


def _whole_number(value, *, optional: bool) -> str | None:
    """The problem with a count, or None when it is fine (a whole number ≥ 0; None allowed when optional)."""
    if value is None:
        return None if optional else _("Give a whole number of 0 or more.")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        if optional:
            return _("Give a whole number of 0 or more, or leave it empty for unlimited.")
        return _("Give a whole number of 0 or more.")
    return None


def _problems(values: dict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for field, max_length in TEXT_FIELDS.items():
        text = values[field]
        if field == "name" and not text:
            errors[field] = [_("Give the plan a name.")]
        elif len(text) > max_length:
            errors[field] = [_("At most %(n)d characters.") % {"n": max_length}]
    for field in LIMIT_FIELDS:
        if problem := _whole_number(values[field], optional=True):
            errors[field] = [problem]
    for field in ("trial_days", "monthly_price", "sort_order"):
        if problem := _whole_number(values[field], optional=False):
            errors[field] = [problem]
    if values["sort_order"] is not None and not errors.get("sort_order") and values["sort_order"] > 32767:
        errors["sort_order"] = [_("At most %(n)d.") % {"n": 32767}]
    per_rating = values["price_per_rating"]
    if per_rating is not None and (
        not isinstance(per_rating, Decimal) or per_rating < 0 or per_rating >= 10_000
    ):
        errors["price_per_rating"] = [_("Give an amount from 0 to 9999.9999 fen, or leave it empty.")]
    for field in STRIPE_PRICE_FIELDS:
        if values[field] and not STRIPE_PRICE_ID.match(values[field]):
            errors[field] = [_("A Stripe price id looks like price_1AbC…; leave it empty if there is none.")]
    return errors


@transaction.atomic
def plan_update(*, actor: Actor, plan: Plan, **changes) -> Plan:
    """Change a plan's texts, limits (a whole number ≥ 0, or None for unlimited), switches, trial, prices (fen)
    and Stripe price ids. Raises ValidationError per field and changes nothing then. Audited with what
    changed, before and after."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValueError(f"not editable: {unknown}")
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    values = {field: getattr(plan, field) for field in EDITABLE}
    values.update(changes)
    for field in (*TEXT_FIELDS, *STRIPE_PRICE_FIELDS):
        values[field] = (values[field] or "").strip()
    for field in (*SWITCH_FIELDS, "is_public", "highlighted"):
        values[field] = bool(values[field])
    errors = _problems(values)
    if errors:
        raise ValidationError(errors)
    changed = {
        field: [_jsonable(getattr(plan, field)), _jsonable(values[field])]
        for field in EDITABLE
        if getattr(plan, field) != values[field]
    }
    if not changed:
        return plan
    for field in changed:
        setattr(plan, field, values[field])
    plan.save(update_fields=list(changed))
    audit_record(
        actor=actor, action="billing.plan_update", target=plan, data={"code": plan.code, "changed": changed}
    )
    return plan


def _jsonable(value):
    return str(value) if isinstance(value, Decimal) else value
