"""Billing reads: what a tenant uses of its plan (its billing page) and the plans shown on the public site."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet
from django_tenants.utils import tenant_context

from billing.entitlements import COUNTED, SWITCHES, entitlements_for, usage_count
from billing.models import Plan


@dataclass(frozen=True)
class FeatureUsage:
    """One line of a tenant's plan: a counted feature has `used` and `limit` (None = unlimited); a switch has
    neither and only `allowed`. `allowed` says whether one more can be added (counted) or it is on (switch)."""

    feature: str
    label: str
    counted: bool
    used: int | None
    limit: int | None
    allowed: bool


def entitlement_usage(tenant) -> list[FeatureUsage]:
    """Per feature of the tenant's current plan: used, limit and whether more is allowed (counted features
    first, then the switches), in the order `billing.entitlements` lists them."""
    entitlements = entitlements_for(tenant)
    rows: list[FeatureUsage] = []
    with tenant_context(tenant):
        for feature, (_field, label) in COUNTED.items():
            used = usage_count(feature)
            limit = entitlements.limit(feature)
            rows.append(
                FeatureUsage(
                    feature=feature,
                    label=str(label),
                    counted=True,
                    used=used,
                    limit=limit,
                    allowed=limit is None or used < limit,
                )
            )
    for feature, (_field, label) in SWITCHES.items():
        rows.append(
            FeatureUsage(
                feature=feature,
                label=str(label),
                counted=False,
                used=None,
                limit=None,
                allowed=entitlements.allows(feature),
            )
        )
    return rows


def plans_all() -> QuerySet[Plan]:
    """Every plan in display order, with how many subscriptions are on it (`tenant_count`)."""
    return Plan.objects.annotate(tenant_count=Count("subscriptions")).order_by("sort_order", "code")


def plans_public() -> QuerySet[Plan]:
    """The plans shown on the public product page, in their display order."""
    return Plan.objects.filter(is_public=True).order_by("sort_order", "code")


def price_yuan(fen: int | Decimal) -> str:
    """A price kept in fen, shown in yuan: ¥9,800, ¥9,800.50, ¥0.005 (half a fen per rating)."""
    yuan = Decimal(fen) / 100
    if yuan == yuan.to_integral_value():
        return f"¥{int(yuan):,}"
    if yuan >= 1:
        return f"¥{yuan:,.2f}"
    return f"¥{yuan.normalize():f}"
