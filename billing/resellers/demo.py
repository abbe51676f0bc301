"""Demo content for commerce: a reseller (服务商) that pays wholesale for 深圳, with its own staff login, wholesale
prices and theme (深圳's pages inherit it: white label), and 广东's own theme colour. Idempotent. Billing itself
stays disabled in the demo (no STRIPE_API_KEY): every workspace is on the default plan, as the UI says."""

from django.db import transaction
from django_tenants.utils import schema_context

from billing.models import BillingModel, Plan, Reseller, ResellerMembership
from billing.resellers.services import reseller_create, reseller_staff_add, wholesale_prices_set
from tenants.accounts.actors import Actor
from tenants.models import Tenant
from themes.models import Theme
from themes.services import ThemeOwner, theme_draft_save, theme_publish, theme_update

DEMO_RESELLER_LOGIN = "reseller@demo.haochaping.cn"
WHOLESALE_FEN = {"basic": 68000, "standard": 348000, "flagship": 1380000}


def commerce_demo_seed(
    *, actor: Actor, password: str, site_url: str, resold: str = "sz", themed: str = "gd"
) -> Reseller:
    """`resold`: the tenant the reseller sells (inherits its theme); `themed`: a tenant with its own colour."""
    with schema_context("public"), transaction.atomic():
        reseller = Reseller.objects.filter(slug="yuexin").first()
        if reseller is None:
            reseller = reseller_create(
                actor=actor,
                name="粤信数字政务服务有限公司",
                slug="yuexin",
                contact_email="sales@yuexin.demo.haochaping.cn",
                billing_model=BillingModel.WHOLESALE,
                commission_percent=0,
            )
            wholesale_prices_set(
                actor=actor,
                reseller=reseller,
                prices={plan: WHOLESALE_FEN.get(plan.code) for plan in Plan.objects.all()},
            )
            owner = ThemeOwner.for_reseller(reseller)
            theme_draft_save(
                actor=actor,
                owner=owner,
                values={
                    "primary_color": "#0f766e",
                    "footer_text": "由粤信数字政务提供技术支持",
                    "contact_phone": "400-800-1234",
                    "email_sender_name": "粤信政务服务",
                },
            )
            theme_publish(actor=actor, owner=owner)
        if not ResellerMembership.objects.filter(user__email=DEMO_RESELLER_LOGIN).exists():
            reseller_staff_add(
                actor=actor,
                reseller=reseller,
                email=DEMO_RESELLER_LOGIN,
                display_name="粤信 客户经理",
                password=password,
                site_url=site_url,
            )
        Tenant.objects.filter(slug=resold, reseller__isnull=True).update(reseller=reseller)
        own = Tenant.objects.filter(slug=themed).first()
        if own is not None and not Theme.objects.filter(tenant=own).exists():
            theme_update(actor=actor, tenant=own, primary_color="#9f1239")
    return reseller
