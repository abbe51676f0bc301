"""Two resellers on the control plane: A bills wholesale and has tenant alpha, B bills directly (20 %) and has
tenant beta. Each has a staff member with a signed-in client; national staff and reseller staff without a
membership for the refusals."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django_tenants.utils import schema_context

from billing.entitlements import subscription_for
from billing.models import BillingModel, Plan, Reseller, ResellerMembership, WholesalePrice
from tenants.accounts.actors import Actor
from tenants.accounts.models import User
from tenants.accounts.roles import Role
from tenants.accounts.services import user_create
from tenants.models import Tenant
from tests.conftest import NATIONAL_EMAIL, PASSWORD
from tests.console.conftest import _english, public_client  # noqa: F401 (English pages; control-plane clients)

LONG_AGO = datetime(2025, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # the tenants exist since then


def staff_create(reseller: Reseller, email: str) -> User:
    with schema_context("public"):
        user = user_create(
            actor=Actor.system("tests"), email=email, role=Role.RESELLER_STAFF, password=PASSWORD
        )
        ResellerMembership.objects.create(reseller=reseller, user=user)
    return user


@dataclass
class Side:
    reseller: Reseller
    client: object
    user: User


def _plan(code: str) -> Plan:
    return Plan.objects.get(code=code)


@pytest.fixture
def side_a(alpha) -> Side:
    """Reseller A: wholesale, sells standard (¥300) and flagship (¥800); tenant alpha on flagship."""
    reseller = Reseller.objects.create(name="甲代理公司", slug="resa", billing_model=BillingModel.WHOLESALE)
    WholesalePrice.objects.create(reseller=reseller, plan=_plan("standard"), monthly_price=30000)
    WholesalePrice.objects.create(reseller=reseller, plan=_plan("flagship"), monthly_price=80000)
    Tenant.objects.filter(pk=alpha.tenant.pk).update(reseller=reseller, created_at=LONG_AGO)
    alpha.tenant.refresh_from_db()
    subscription_for(alpha.tenant)
    user = staff_create(reseller, "staff@resa.example")
    return Side(reseller=reseller, client=public_client(user), user=user)


@pytest.fixture
def side_b(beta) -> Side:
    """Reseller B: direct billing with 20 % commission, sells basic (¥50); tenant beta."""
    reseller = Reseller.objects.create(
        name="乙代理公司", slug="resb", billing_model=BillingModel.DIRECT, commission_percent=Decimal("20")
    )
    WholesalePrice.objects.create(reseller=reseller, plan=_plan("basic"), monthly_price=5000)
    Tenant.objects.filter(pk=beta.tenant.pk).update(reseller=reseller, created_at=LONG_AGO)
    beta.tenant.refresh_from_db()
    subscription_for(beta.tenant)
    user = staff_create(reseller, "staff@resb.example")
    return Side(reseller=reseller, client=public_client(user), user=user)


@pytest.fixture
def national(tenant_pair, db):
    with schema_context("public"):
        return public_client(User.objects.get(email=NATIONAL_EMAIL))


@pytest.fixture
def loose_staff(tenant_pair, db):
    """Reseller staff without a membership: no console."""
    with schema_context("public"):
        user = user_create(
            actor=Actor.system("tests"),
            email="loose@reseller.example",
            role=Role.RESELLER_STAFF,
            password=PASSWORD,
        )
    return public_client(user)
