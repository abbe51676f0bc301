"""Publishing a platform or reseller theme checks the colours of everybody below it that sets colours of its own:
a change above must not make a tenant's (or a reseller's) own colour pair unreadable."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import Reseller
from tests.themes.conftest import ACTOR, reseller_with_staff, tenant_of
from themes.models import Theme, ThemeDraft, ThemeScope
from themes.selectors import theme_for_tenant
from themes.services import ThemeOwner, below_contrast_problems, theme_draft_save, theme_publish

# a dark theme, valid on its own: light text on a dark background, dark text on a light-blue primary colour
DARK = {"background_color": "#111827", "text_color": "#f9fafb", "primary_color": "#93c5fd"}
DARK_ON_YELLOW = {**DARK, "primary_color": "#fde047", "on_primary_color": "#111827"}


def publish(owner, values):
    theme_draft_save(actor=ACTOR, owner=owner, values=values)
    return theme_publish(actor=ACTOR, owner=owner)


def test_a_reseller_publish_that_breaks_its_tenants_own_colours_is_refused_naming_them(alpha, beta):
    # given alpha, under the reseller, with near-white button text of its own (fine on the default blue)
    reseller, client = reseller_with_staff("huaxin")
    tenant = tenant_of(alpha, reseller)
    publish(ThemeOwner.for_tenant(tenant), {"on_primary_color": "#fefce8"})
    # and beta, not the reseller's, with the same colour
    publish(ThemeOwner.for_tenant(tenant_of(beta)), {"on_primary_color": "#fefce8"})
    # when the reseller saves a yellow primary colour with dark button text (valid for the reseller itself)
    owner = ThemeOwner.for_reseller(reseller)
    theme_draft_save(actor=ACTOR, owner=owner, values=DARK_ON_YELLOW)
    response = client.post("/themes/reseller/publish")
    # then the publish is refused, naming alpha (not beta) and the ratio its own pair would fall to
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "would fall under 4.5:1" in page
    assert f"{tenant.name} — Text on buttons and the header (on the primary colour): 1.2:1" in page
    assert beta.tenant.name not in page
    # and nothing changed: alpha keeps its colours, the draft waits
    theme = Theme.objects.get(reseller=reseller)
    assert (theme.version, theme.primary_color) == (0, "")
    assert ThemeDraft.objects.filter(theme=theme).exists()
    assert theme_for_tenant(tenant_of(alpha)).primary_color == "#1d4ed8"


def test_a_reseller_publish_that_its_tenants_colours_survive_goes_through(alpha):
    reseller, _client = reseller_with_staff("huaxin")
    tenant = tenant_of(alpha, reseller)
    publish(ThemeOwner.for_tenant(tenant), {"on_primary_color": "#ffffff"})
    # the reseller's dark green: alpha's own white text on it stays readable
    theme = publish(
        ThemeOwner.for_reseller(reseller), {"primary_color": "#14532d", "on_primary_color": "#f0fdf4"}
    )
    assert theme.version == 1
    view = theme_for_tenant(tenant_of(alpha))
    assert (view.primary_color, view.on_primary_color) == ("#14532d", "#ffffff")


def test_a_platform_publish_checks_every_tenant_and_reseller_with_colours_of_its_own(national, alpha, beta):
    # given beta with dark text of its own (fine on the default white background)
    publish(ThemeOwner.for_tenant(tenant_of(beta)), {"text_color": "#1f2937"})
    # and seven resellers with a text colour of their own
    for n in range(7):
        reseller = Reseller.objects.create(name=f"代理商{n}", slug=f"agent{n}")
        publish(ThemeOwner.for_reseller(reseller), {"text_color": "#1f2937"})
    # when national staff save a dark platform theme and publish it
    theme_draft_save(actor=ACTOR, owner=ThemeOwner.platform(), values={**DARK, "on_primary_color": "#111827"})
    with pytest.raises(ValidationError) as refused:
        theme_publish(actor=ACTOR, owner=ThemeOwner.platform())
    # then five of the eight are named with the ratio, and the rest counted
    lines = refused.value.messages
    assert lines[1:] == [
        *[f"代理商{n} — Text on the background: 1.2:1" for n in range(5)],
        "… and 3 more.",
    ]
    assert not Theme.objects.filter(scope=ThemeScope.PLATFORM, version__gt=0).exists()
    # and the page says so too
    response = national.post("/themes/platform/publish")
    assert "… and 3 more." in national.get(response["Location"]).content.decode()


def test_the_check_below_costs_the_same_few_queries_whatever_the_number_of_owners(alpha):
    def queries() -> int:
        theme = Theme.objects.get(scope=ThemeScope.PLATFORM)
        with CaptureQueriesContext(connection) as captured:
            problems = below_contrast_problems(theme, ThemeDraft.objects.get(theme=theme))
        assert len(problems) > 1
        return len(captured)

    reseller = Reseller.objects.create(name="代理商", slug="agent")
    publish(ThemeOwner.for_reseller(reseller), {"text_color": "#1f2937"})
    publish(ThemeOwner.for_tenant(tenant_of(alpha, reseller)), {"text_color": "#1f2937"})
    theme_draft_save(actor=ACTOR, owner=ThemeOwner.platform(), values={**DARK, "on_primary_color": "#111827"})
    few = queries()
    for n in range(6):
        publish(
            ThemeOwner.for_reseller(Reseller.objects.create(name=f"代理{n}", slug=f"ag{n}")),
            {"text_color": "#1f2937"},
        )
    assert queries() == few <= 5


def test_a_tenant_publish_checks_nothing_below(alpha):
    theme = publish(ThemeOwner.for_tenant(tenant_of(alpha)), {"primary_color": "#0f766e"})
    assert below_contrast_problems(theme, None) == []
