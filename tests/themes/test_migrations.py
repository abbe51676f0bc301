"""Tenant themes from the old branding page (before inheritance) stored its defaults explicitly; the data
migration empties those, so that the levels above reach the tenant again."""

import importlib

from django.apps import apps

from billing.models import Reseller
from tests.themes.conftest import tenant_of
from themes.models import Theme, ThemeDraft, ThemeScope
from themes.selectors import generation_set, theme_for_tenant

migration = importlib.import_module("themes.migrations.0003_tenant_themes_inherit_old_defaults")
OLD = "#1d4ed8"


def _values(theme: Theme) -> tuple[str, str]:
    theme.refresh_from_db()
    return theme.primary_color, theme.display_name


def test_old_defaults_stored_on_tenant_themes_are_inherited_again(alpha, beta):
    # given alpha, under a themed reseller, with what the old branding page stored: #1d4ed8 and its own name
    reseller = Reseller.objects.create(name="华信科技", slug="huaxin")
    reseller_theme = Theme.objects.create(
        scope=ThemeScope.RESELLER, reseller=reseller, primary_color="#14532d", display_name="华信政务云"
    )
    tenant = tenant_of(alpha, reseller)
    old = Theme.objects.create(
        scope=ThemeScope.TENANT, tenant=tenant, primary_color="#1D4ED8", display_name=tenant.name
    )
    draft = ThemeDraft.objects.create(
        theme=old, primary_color=OLD, display_name=tenant.name, footer_text="页脚"
    )
    # and beta, which chose #1d4ed8 against its own button text colour, and a name of its own
    chosen = Theme.objects.create(
        scope=ThemeScope.TENANT,
        tenant=tenant_of(beta),
        primary_color=OLD,
        on_primary_color="#fefce8",
        display_name="乙市政务服务网",
    )
    platform = Theme.objects.create(scope=ThemeScope.PLATFORM, primary_color=OLD, display_name="好差评 Cloud")
    # when the migration runs
    migration.tenant_themes_inherit_old_defaults(apps, None)
    # then alpha's stored defaults are empty (its draft's too, other fields kept) and it wears its reseller's colour
    assert _values(old) == ("", "")
    draft.refresh_from_db()
    assert (draft.primary_color, draft.display_name, draft.footer_text) == ("", "", "页脚")
    for theme in (old, reseller_theme, platform):
        generation_set(theme, committed=True)
    view = theme_for_tenant(tenant)
    assert (view.primary_color, view.display_name) == ("#14532d", tenant.name)
    # and what was chosen, or belongs to another level, is untouched
    assert _values(chosen) == (OLD, "乙市政务服务网")
    assert _values(reseller_theme) == ("#14532d", "华信政务云")
    assert _values(platform) == (OLD, "好差评 Cloud")
