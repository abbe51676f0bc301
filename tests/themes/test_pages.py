"""The editors: a tenant administrator at /settings/theme/, national staff at /themes/platform/, reseller staff at
/themes/reseller/. Edits are drafts, the preview shows them, publishing applies them; nobody reaches another
owner's theme or draft."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from tenants.accounts.models import AuditEvent
from tenants.accounts.services import user_create
from tests.conftest import PASSWORD, host_client
from tests.themes.conftest import ACTOR, png, reseller_with_staff, signed_in, tenant_of
from themes.models import Theme, ThemeDraft, ThemeScope
from themes.selectors import BUILTIN, theme_for_reseller, theme_for_tenant

TEAL = "#0f766e"


def form_data(**values) -> dict:
    return {"display_name": "", "primary_color": "", "on_primary_color": "", "text_color": "",
            "background_color": "", "font": "", "footer_text": "", "contact_phone": "", "contact_email": "",
            "email_sender_name": "", **values}  # fmt: skip


def test_the_old_branding_page_leads_to_the_theme_page(alpha):
    response = signed_in(alpha).get("/settings/branding/")
    assert (response.status_code, response["Location"]) == (302, "/settings/theme/")


def test_a_saved_draft_shows_in_the_preview_and_nowhere_else_until_published(alpha, beta):
    client = signed_in(alpha)
    # when the administrator saves a name, a colour and a logo
    response = client.post(
        "/settings/theme/",
        form_data(
            display_name="甲省政务服务网",
            primary_color=TEAL,
            contact_phone="0311-12345",
            logo=SimpleUploadedFile("logo.png", png(4, 4)),
        ),
    )
    assert (response.status_code, response["Location"]) == (302, "/settings/theme/preview/")
    # then the preview and every surface in it show the draft
    preview = client.get("/settings/theme/preview/").content.decode()
    assert 'data-state="draft"' in preview and "甲省政务服务网" in preview
    admin = client.get("/settings/theme/preview/admin")
    assert admin["X-Frame-Options"] == "SAMEORIGIN"
    page = admin.content.decode()
    assert "甲省政务服务网" in page and f"--brand: {TEAL}" in page
    assert 'src="/settings/theme/preview/logo?v=' in page and "0311-12345" in page
    assert client.get("/settings/theme/preview/logo").content == png(4, 4)
    # and nothing published changed: the admin's own pages, the citizens' pages, the logo
    for path in ("/", "/settings/api-keys/", "/portal/"):
        live = client.get(path).content.decode()
        assert "甲省政务服务网" not in live and TEAL not in live, path
    assert client.get("/theme/logo").status_code == 404
    # when it is published
    response = client.post("/settings/theme/publish")
    assert (response.status_code, response["Location"]) == (302, "/settings/theme/")
    # then every page of alpha wears it, and none of beta's
    for path in ("/", "/settings/theme/", "/settings/api-keys/", "/accounts/2fa/", "/portal/", "/device/"):
        live = client.get(path).content.decode()
        assert "甲省政务服务网" in live and f"--brand: {TEAL}" in live and "/theme/logo?v=" in live, path
    assert client.get("/theme/logo").content == png(4, 4)
    other = host_client(beta.host).get("/accounts/login/").content.decode()
    assert "甲省政务服务网" not in other and TEAL not in other
    assert host_client(beta.host).get("/theme/logo").status_code == 404
    assert not ThemeDraft.objects.filter(theme__tenant=alpha.tenant).exists()
    with schema_context(alpha.schema):  # the tenant's own audit trail
        actions = set(
            AuditEvent.objects.filter(actor_label=alpha.admin_email).values_list("action", flat=True)
        )
    assert {"theme.draft_save", "theme.publish"} <= actions


def test_a_draft_can_be_discarded_and_the_published_theme_stays(alpha):
    client = signed_in(alpha)
    client.post("/settings/theme/", form_data(primary_color=TEAL))
    client.post("/settings/theme/publish")
    client.post("/settings/theme/", form_data(primary_color="#7c2d12"))
    assert "#7c2d12" in client.get("/settings/theme/preview/admin").content.decode()
    response = client.post("/settings/theme/discard")
    assert response.status_code == 302
    assert not ThemeDraft.objects.filter(theme__tenant=alpha.tenant).exists()
    assert theme_for_tenant(tenant_of(alpha)).primary_color == TEAL
    assert 'data-state="published"' in client.get("/settings/theme/preview/").content.decode()
    assert client.post("/settings/theme/publish").status_code == 302  # no draft: nothing happens
    assert Theme.objects.get(tenant=alpha.tenant).version == 1


def test_a_colour_pair_under_aa_is_refused_with_its_ratio(alpha):
    client = signed_in(alpha)
    # #9ca3af on white is 2.54:1
    response = client.post("/settings/theme/", form_data(primary_color="#9ca3af"))
    assert response.status_code == 400
    errors = response.context["form"].errors["primary_color"]
    assert any("contrast 2.5:1, at least 4.5:1" in e for e in errors), errors
    assert "contrast 2.5:1" in response.content.decode()
    # button text too close to the primary colour
    response = client.post("/settings/theme/", form_data(on_primary_color="#3b82f6"))
    assert any(
        "Text on buttons" in e and ":1, at least 4.5:1" in e
        for e in response.context["form"].errors["on_primary_color"]
    )
    # nothing was stored
    assert not ThemeDraft.objects.filter(theme__tenant=alpha.tenant).exists()


def test_a_refused_colour_never_reaches_a_style_attribute(alpha):
    # when an administrator posts a colour field carrying CSS
    hostile = "red;background-image:url(//evil.example/x)"
    response = signed_in(alpha).post(
        "/settings/theme/", form_data(primary_color=hostile, text_color="#0f766e")
    )
    # then it is refused, shown back only in its text field, and the swatches show valid colours only
    assert response.status_code == 400 and "primary_color" in response.context["form"].errors
    page = response.content.decode()
    swatches = re.findall(r'<span class="swatch"[^>]*>', page)
    assert len(swatches) == 4
    assert f'style="background: {BUILTIN["primary_color"]}"' in swatches[0]  # the inherited colour
    assert 'style="background: #0f766e"' in swatches[2]  # a valid typed one still shows
    assert "evil.example" not in "".join(swatches)
    assert 'class="colour-picker" data-for="id_primary_color" value="#1d4ed8"' in page


def test_bad_uploads_are_refused_on_the_page(alpha):
    client = signed_in(alpha)
    response = client.post(
        "/settings/theme/",
        form_data(
            logo=SimpleUploadedFile(
                "logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
            )
        ),
    )
    assert response.status_code == 400
    assert "event handler (onload)" in " ".join(response.context["form"].errors["logo"])
    response = client.post(
        "/settings/theme/",
        form_data(favicon=SimpleUploadedFile("icon.png", b"\x89PNG\r\n\x1a\n" + b"0" * 60_000)),
    )
    assert "at most 50 KB" in " ".join(response.context["form"].errors["favicon"])
    assert not ThemeDraft.objects.filter(theme__tenant=alpha.tenant).exists()


def test_the_theme_pages_need_the_branding_permission(alpha):
    with schema_context(alpha.schema):
        user_create(actor=ACTOR, email="window@alpha.example", role="window_staff", password=PASSWORD)
    client = host_client(alpha.host)
    client.post("/accounts/login/", {"login": "window@alpha.example", "password": PASSWORD})
    for path in ("/settings/theme/", "/settings/theme/preview/", "/settings/theme/preview/admin"):
        assert client.get(path).status_code == 403, path
    assert client.post("/settings/theme/", form_data(primary_color=TEAL)).status_code == 403
    assert client.post("/settings/theme/publish").status_code == 403
    assert not Theme.objects.filter(tenant=alpha.tenant).exists()
    anonymous = host_client(alpha.host).get("/settings/theme/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_another_tenant_neither_sees_nor_changes_the_draft(alpha, beta):
    signed_in(alpha).post("/settings/theme/", form_data(display_name="甲省草稿名", primary_color=TEAL))
    beta_admin = signed_in(beta)
    # beta's own preview shows beta's theme, never alpha's draft
    for path in ("/settings/theme/", "/settings/theme/preview/", "/settings/theme/preview/admin"):
        page = beta_admin.get(path).content.decode()
        assert "甲省草稿名" not in page and TEAL not in page, path
    assert beta_admin.get("/settings/theme/preview/logo").status_code == 404
    # beta's session is worth nothing on alpha's host
    beta_admin.defaults["HTTP_HOST"] = alpha.host
    assert beta_admin.get("/settings/theme/preview/").status_code == 302
    assert beta_admin.post("/settings/theme/publish").status_code == 302
    # beta publishing its own theme leaves alpha's draft and published theme alone
    signed_in(beta).post("/settings/theme/", form_data(primary_color="#7c2d12"))
    signed_in(beta).post("/settings/theme/publish")
    assert ThemeDraft.objects.get(theme__tenant=alpha.tenant).display_name == "甲省草稿名"
    assert theme_for_tenant(tenant_of(alpha)).primary_color == BUILTIN["primary_color"]
    assert theme_for_tenant(tenant_of(beta)).primary_color == "#7c2d12"


def test_national_staff_publish_the_platform_default_for_every_tenant(national, alpha, beta):
    response = national.post("/themes/platform/", form_data(primary_color="#1e3a8a", footer_text="全国平台"))
    assert (response.status_code, response["Location"]) == (302, "/themes/platform/preview/")
    preview = national.get("/themes/platform/preview/").content.decode()
    assert "Example government service centre" in preview  # the tenant surfaces of an inheriting tenant
    assert "#1e3a8a" in national.get("/themes/platform/preview/device").content.decode()
    assert theme_for_tenant(tenant_of(alpha)).primary_color == BUILTIN["primary_color"]
    assert national.post("/themes/platform/publish").status_code == 302
    for info in (alpha, beta):
        page = host_client(info.host).get("/accounts/login/").content.decode()
        assert "--brand: #1e3a8a" in page and "全国平台" in page
    assert "--brand: #1e3a8a" in national.get("/").content.decode()  # the control plane wears it too
    with schema_context("public"):
        assert AuditEvent.objects.filter(action="theme.publish", data__scope="platform").exists()


def test_reseller_staff_cannot_edit_the_platform_default_and_national_staff_have_no_reseller_theme(national):
    _reseller, staff = reseller_with_staff("huaxin")
    assert staff.get("/themes/platform/").status_code == 403
    assert staff.post("/themes/platform/", form_data(primary_color="#7c2d12")).status_code == 403
    assert national.get("/themes/reseller/").status_code == 403  # no membership: no reseller
    assert not Theme.objects.filter(scope=ThemeScope.PLATFORM).exists()


def test_a_reseller_themes_its_own_tenants_and_console_only(alpha, beta):
    huaxin, huaxin_staff = reseller_with_staff("huaxin")
    other, other_staff = reseller_with_staff("zhongke")
    alpha_tenant, beta_tenant = tenant_of(alpha, huaxin), tenant_of(beta, other)
    # when huaxin's staff save and publish a theme for huaxin
    response = huaxin_staff.post(
        "/themes/reseller/", form_data(display_name="华信政务云", primary_color="#14532d")
    )
    assert response.status_code == 302
    # the other reseller's staff see their own (empty) draft and preview, never huaxin's
    for path in ("/themes/reseller/", "/themes/reseller/preview/", "/themes/reseller/preview/admin"):
        page = other_staff.get(path).content.decode()
        assert "华信政务云" not in page and "#14532d" not in page, path
    # and publishing there changes zhongke's theme only
    other_staff.post("/themes/reseller/", form_data(primary_color="#7c2d12"))
    other_staff.post("/themes/reseller/publish")
    assert ThemeDraft.objects.get(theme__reseller=huaxin).primary_color == "#14532d"
    assert not Theme.objects.filter(reseller=huaxin, published_at__isnull=False).exists()
    huaxin_staff.post("/themes/reseller/publish")
    # huaxin's tenant and console wear huaxin's theme; zhongke's tenant its own
    assert theme_for_tenant(alpha_tenant).primary_color == "#14532d"
    assert theme_for_tenant(alpha_tenant).product_name == "华信政务云"
    assert theme_for_tenant(beta_tenant).primary_color == "#7c2d12"
    assert theme_for_reseller(huaxin.pk).display_name == "华信政务云"
    assert "--brand: #14532d" in huaxin_staff.get("/themes/reseller/").content.decode()
    assert "Powered by 华信政务云" in host_client(alpha.host).get("/accounts/login/").content.decode()


@pytest.mark.parametrize(
    "surface",
    [
        "admin",
        "device",
        "portal",
        "widget",
        "widget.js",
        "poster.svg",
        "paper.pdf",
        "report.pdf",
        "email.txt",
    ],
)
def test_every_preview_surface_renders_from_the_control_plane_too(national, surface):
    national.post("/themes/platform/", form_data(primary_color="#1e3a8a"))
    response = national.get(f"/themes/platform/preview/{surface}")
    assert response.status_code == 200, response.content[:500]
    assert response["Cache-Control"] == "private, no-store"
