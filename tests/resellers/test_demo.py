"""The commerce demo: a reseller with a staff login, wholesale prices and a theme that its tenant inherits."""

from django_tenants.utils import schema_context

from billing.models import Reseller, ResellerMembership, WholesalePrice
from billing.resellers.demo import DEMO_RESELLER_LOGIN, commerce_demo_seed
from tenants.accounts.actors import Actor
from tenants.accounts.models import User
from tenants.models import Tenant
from tests.conftest import host_client
from themes.services import theme_for_tenant


def test_the_commerce_demo_is_idempotent_and_shows_white_label_inheritance(alpha, beta):
    # given the demo seeded twice, selling alpha and giving beta its own colour
    for _ in range(2):
        commerce_demo_seed(
            actor=Actor.system("demo-seed"),
            password="haochaping-demo-2026",
            site_url="http://localhost:8000",
            resold="alpha",
            themed="beta",
        )
    # then one reseller, one staff login, a wholesale price per plan
    reseller = Reseller.objects.get(slug="yuexin")
    assert Reseller.objects.count() == 1 and ResellerMembership.objects.filter(reseller=reseller).count() == 1
    assert WholesalePrice.objects.filter(reseller=reseller).count() == 3
    # alpha wears the reseller's theme, beta its own colour
    assert Tenant.objects.get(slug="alpha").reseller == reseller
    assert theme_for_tenant(Tenant.objects.get(slug="alpha")).primary_color == "#0f766e"
    assert theme_for_tenant(Tenant.objects.get(slug="beta")).primary_color == "#9f1239"
    # the reseller's staff sign in to the console and see their tenant
    client = host_client("localhost")
    with schema_context("public"):
        client.force_login(
            User.objects.get(email=DEMO_RESELLER_LOGIN), backend="django.contrib.auth.backends.ModelBackend"
        )
    page = client.get("/reseller/")
    assert page.status_code == 200 and alpha.tenant.name in page.content.decode()
