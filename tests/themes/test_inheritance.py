"""platform default → reseller → tenant: each field comes from the nearest level that sets it, `sources` says
which, and publishing a level above reaches the tenants below at once (no stale cache)."""

import pytest
from django_tenants.utils import schema_context

from billing.models import Reseller
from tenants.accounts.models import AuditEvent
from tests.themes.conftest import ACTOR, png, tenant_of
from themes.models import TEXT_FIELDS, Theme, ThemeDraft
from themes.selectors import BUILTIN, PLATFORM_NAME, theme_for_reseller, theme_for_tenant
from themes.services import ThemeOwner, theme_draft_save, theme_publish

PLATFORM = {
    "display_name": "国家政务服务评价平台",
    "primary_color": "#1e3a8a",
    "on_primary_color": "#ffffff",
    "text_color": "#1f2937",
    "background_color": "#fffbeb",
    "font": "cjk_serif",
    "footer_text": "平台页脚",
    "contact_phone": "010-12345",
    "contact_email": "help@platform.example",
    "email_sender_name": "平台通知",
}
RESELLER = {
    "display_name": "华信政务云",
    "primary_color": "#14532d",
    "on_primary_color": "#f0fdf4",
    "text_color": "#111827",
    "background_color": "#f8fafc",
    "font": "cjk_kai",
    "footer_text": "华信页脚",
    "contact_phone": "0311-888",
    "contact_email": "help@huaxin.example",
    "email_sender_name": "华信通知",
}
TENANT = {
    "display_name": "甲省政务服务网",
    "primary_color": "#7c2d12",
    "on_primary_color": "#fff7ed",
    "text_color": "#0c0a09",
    "background_color": "#ffffff",
    "font": "system",
    "footer_text": "甲省页脚",
    "contact_phone": "12345",
    "contact_email": "help@alpha.example",
    "email_sender_name": "甲省通知",
}


def publish(owner: ThemeOwner, values: dict, **uploads) -> Theme:
    theme_draft_save(actor=ACTOR, owner=owner, values=values, uploads=uploads or None)
    return theme_publish(actor=ACTOR, owner=owner)


@pytest.fixture
def reseller(db):
    return Reseller.objects.create(name="华信科技", slug="huaxin")


def test_without_any_theme_a_tenant_gets_the_built_in_defaults_and_its_own_name(alpha):
    view = theme_for_tenant(tenant_of(alpha))
    assert view.display_name == alpha.tenant.name and view.sources["display_name"] == "organisation"
    assert view.primary_color == BUILTIN["primary_color"] and view.sources["primary_color"] == "default"
    assert view.email_sender_name == alpha.tenant.name  # falls back to the display name
    assert view.product_name == PLATFORM_NAME and not view.has_logo
    assert theme_for_tenant(None).display_name == PLATFORM_NAME


@pytest.mark.parametrize("field", [f for f in TEXT_FIELDS if f != "display_name"])
def test_each_field_is_inherited_from_the_nearest_level_that_sets_it(alpha, beta, reseller, field):
    # given the platform sets everything, alpha's reseller everything, alpha everything
    publish(ThemeOwner.platform(), PLATFORM)
    publish(ThemeOwner.for_reseller(reseller), RESELLER)
    alpha_tenant = tenant_of(alpha, reseller)
    publish(ThemeOwner.for_tenant(alpha_tenant), TENANT)
    # then alpha shows its own value, beta (no reseller, no theme) the platform's
    assert getattr(theme_for_tenant(alpha_tenant), field) == TENANT[field]
    assert theme_for_tenant(alpha_tenant).sources[field] == "tenant"
    assert getattr(theme_for_tenant(tenant_of(beta)), field) == PLATFORM[field]
    assert theme_for_tenant(tenant_of(beta)).sources[field] == "platform"
    # when alpha empties the field, the reseller's value shows
    publish(ThemeOwner.for_tenant(alpha_tenant), {field: ""})
    assert getattr(theme_for_tenant(alpha_tenant), field) == RESELLER[field]
    assert theme_for_tenant(alpha_tenant).sources[field] == "reseller"
    # when the reseller empties it too, the platform's
    publish(ThemeOwner.for_reseller(reseller), {field: ""})
    assert getattr(theme_for_tenant(alpha_tenant), field) == PLATFORM[field]
    assert theme_for_tenant(alpha_tenant).sources[field] == "platform"
    # and without the platform's, the built-in default (the sender name: the display name)
    publish(ThemeOwner.platform(), {field: ""})
    expected = BUILTIN[field] or (TENANT["display_name"] if field == "email_sender_name" else "")
    assert getattr(theme_for_tenant(alpha_tenant), field) == expected


def test_the_display_name_of_a_tenant_is_its_own_the_levels_above_name_the_product(alpha, reseller):
    publish(ThemeOwner.platform(), {"display_name": PLATFORM["display_name"]})
    publish(ThemeOwner.for_reseller(reseller), {"display_name": RESELLER["display_name"]})
    alpha_tenant = tenant_of(alpha, reseller)
    view = theme_for_tenant(alpha_tenant)
    # the organisation's name on its citizens' pages, the reseller's brand as the product
    assert (view.display_name, view.sources["display_name"]) == (alpha.tenant.name, "organisation")
    assert (view.product_name, view.sources["product_name"]) == (RESELLER["display_name"], "reseller")
    assert theme_for_reseller(reseller.pk).display_name == RESELLER["display_name"]
    assert theme_for_tenant(None).display_name == PLATFORM["display_name"]
    publish(ThemeOwner.for_tenant(alpha_tenant), {"display_name": TENANT["display_name"]})
    assert theme_for_tenant(alpha_tenant).display_name == TENANT["display_name"]


def test_logo_and_favicon_are_inherited_and_overridden_like_the_other_fields(alpha, reseller):
    from themes.selectors import asset_bytes

    platform_logo, reseller_logo = png(2, 2, (1, 2, 3)), png(3, 3, (4, 5, 6))
    publish(ThemeOwner.platform(), {}, logo=platform_logo)
    alpha_tenant = tenant_of(alpha, reseller)
    assert asset_bytes(theme_for_tenant(alpha_tenant).logo_source, "logo")[0] == platform_logo
    publish(ThemeOwner.for_reseller(reseller), {}, logo=reseller_logo, favicon=png(1, 1))
    view = theme_for_tenant(alpha_tenant)
    assert asset_bytes(view.logo_source, "logo")[0] == reseller_logo
    assert (view.sources["logo"], view.sources["favicon"]) == ("reseller", "reseller")
    assert view.logo_url.startswith("/theme/logo?v=") and view.favicon_url.startswith("/theme/favicon?v=")


def test_publishing_the_platform_or_the_reseller_reaches_cached_tenants_at_once(alpha, beta, reseller):
    # given both tenants' themes are cached
    alpha_tenant, beta_tenant = tenant_of(alpha, reseller), tenant_of(beta)
    assert theme_for_tenant(alpha_tenant).primary_color == BUILTIN["primary_color"]
    assert theme_for_tenant(beta_tenant).primary_color == BUILTIN["primary_color"]
    # when the platform publishes a colour, both see it on their next lookup
    publish(ThemeOwner.platform(), {"primary_color": "#1e3a8a"})
    assert theme_for_tenant(alpha_tenant).primary_color == "#1e3a8a"
    assert theme_for_tenant(beta_tenant).primary_color == "#1e3a8a"
    # when alpha's reseller publishes one, alpha sees it and beta (another reseller's, or none) does not
    publish(ThemeOwner.for_reseller(reseller), {"primary_color": "#14532d"})
    assert theme_for_tenant(alpha_tenant).primary_color == "#14532d"
    assert theme_for_tenant(beta_tenant).primary_color == "#1e3a8a"
    # and the reseller console's own view follows too
    assert theme_for_reseller(reseller.pk).primary_color == "#14532d"


def test_a_cached_theme_is_read_without_a_query(alpha, django_assert_num_queries):
    alpha_tenant = tenant_of(alpha)
    theme_for_tenant(alpha_tenant)
    with django_assert_num_queries(0):
        theme_for_tenant(alpha_tenant)


def test_a_draft_changes_nothing_until_it_is_published_and_publishing_is_audited(alpha):
    owner = ThemeOwner.for_tenant(tenant_of(alpha))
    publish(owner, {"primary_color": "#0f766e"})
    theme_draft_save(actor=ACTOR, owner=owner, values={"primary_color": "#7c2d12"})
    assert theme_for_tenant(tenant_of(alpha)).primary_color == "#0f766e"
    theme = theme_publish(actor=ACTOR, owner=owner)
    assert theme_for_tenant(tenant_of(alpha)).primary_color == "#7c2d12"
    assert theme.version == 2 and not ThemeDraft.objects.filter(theme=theme).exists()
    with schema_context("public"):  # written from the public schema here (a system actor)
        event = AuditEvent.objects.filter(action="theme.publish", target_id=str(theme.pk)).latest("id")
    assert event.data["changes"]["primary_color"] == ["#0f766e", "#7c2d12"]
