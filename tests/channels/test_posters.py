"""Staff print a QR poster per window: the list page and the SVG, PDF and PNG posters."""

import io
import re

import pytest
import segno
from django_tenants.utils import schema_context

from tenants.accounts.roles import Role
from tenants.channels import qr
from tenants.channels.tokens import window_token
from tests.channels.conftest import signed_in, staff_user
from tests.conftest import host_client

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def admin(world):
    return signed_in(world.info)


def expected_url(world) -> str:
    with schema_context(world.info.schema):
        return f"http://alpha.localhost/q/{window_token(world.window.pk)}/"


def test_the_list_shows_each_window_with_its_posters_and_link(world, admin):
    response = admin.get("/channels/windows/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "A01 综合受理窗口" in page and "市民中心政务服务大厅" in page
    for fmt in ("pdf", "svg", "png"):
        assert f"/channels/windows/{world.window.pk}/poster.{fmt}" in page
    assert expected_url(world) in page
    # the link in the code opens the rating page
    path = expected_url(world).removeprefix("http://alpha.localhost")
    assert host_client(world.info.host).get(path).status_code == 200


def test_svg_poster_carries_the_names_and_the_windows_link(world, admin):
    response = admin.get(f"/channels/windows/{world.window.pk}/poster.svg")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert "attachment" in response["Content-Disposition"]
    svg = response.content.decode()
    assert svg.startswith("<?xml") and "甲省政务服务管理局" in svg
    assert (
        "A01 综合受理窗口" in svg and "市民中心政务服务大厅" in svg and "很好 · 好 · 一般 · 差 · 很差" in svg
    )
    # the modules drawn are exactly those of the QR code for the window's link
    drawn = re.search(r'scale\([0-9.]+\)" fill="#000000" d="([^"]+)"', svg).group(1)
    assert drawn == "".join(
        f"M{x} {y}h{n}v1h-{n}z" for x, y, n in qr._runs(segno.make(expected_url(world), error="m"))
    )


def test_pdf_poster_uses_the_built_in_chinese_font(world, admin):
    response = admin.get(f"/channels/windows/{world.window.pk}/poster.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and b"STSong-Light" in response.content


def test_png_poster_is_a4_with_names_when_a_chinese_font_exists(world, admin):
    from PIL import Image

    response = admin.get(f"/channels/windows/{world.window.pk}/poster.png")
    assert response.status_code == 200 and response.content.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(response.content))
    expected = (1240, 1754) if qr.cjk_font_path() else None
    assert expected is None or image.size == expected


def test_png_poster_falls_back_to_the_bare_code_without_a_font(world, monkeypatch):
    monkeypatch.setattr(qr, "cjk_font_path", lambda: None)
    poster = qr.Poster(url="http://alpha.localhost/q/1:x/", organisation="甲", heading="扫码", title="窗口")
    data, with_text = qr.poster_png(poster)
    assert data.startswith(PNG_SIGNATURE) and with_text is False


def test_very_long_names_still_fit(world):
    poster = qr.Poster(
        url="http://alpha.localhost/q/1:x/", organisation="甲" * 80, heading="扫码评价", title="窗" * 200
    )
    svg = qr.poster_svg(poster).decode()
    assert "…" in svg
    assert qr.poster_pdf(poster).startswith(b"%PDF")


@pytest.mark.parametrize("role", [Role.WINDOW_STAFF, Role.AUDITOR])
def test_roles_without_organisation_management_are_refused(world, role):
    email = f"{role}@alpha.example"
    staff_user(world.info, role, email)
    client = signed_in(world.info, email)
    assert client.get("/channels/windows/").status_code == 403
    assert client.get(f"/channels/windows/{world.window.pk}/poster.svg").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(world):
    response = host_client(world.info.host).get("/channels/windows/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_beta_admin_cannot_print_alphas_window(world, beta):
    client = signed_in(beta)
    assert client.get(f"/channels/windows/{world.window.pk}/poster.svg").status_code == 404
    assert "A01 综合受理窗口" not in client.get("/channels/windows/").content.decode()


def test_unknown_format_is_404(world, admin):
    assert admin.get(f"/channels/windows/{world.window.pk}/poster.gif").status_code == 404
