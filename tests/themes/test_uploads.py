"""Logos and favicons: size-limited, typed by their content, SVG only from an allowlist; each refusal says why.
Served with nosniff, and SVG under a Content-Security-Policy that forbids scripts and fetches."""

from xml.etree.ElementTree import canonicalize

import pytest
from django.core.exceptions import ValidationError

from tests.conftest import host_client
from tests.themes.conftest import ACTOR, CLEAN_SVG, ico, png, tenant_of
from themes.services import ThemeOwner, theme_draft_save, theme_publish
from themes.uploads import asset_check, asset_clean

SVG_HEAD = (
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">'
)


def refusal(data: bytes, kind: str = "logo") -> str:
    with pytest.raises(ValidationError) as refused:
        asset_check(data, kind)
    return " ".join(refused.value.message_dict[kind])


@pytest.mark.parametrize(
    ("svg", "reason"),
    [
        (SVG_HEAD + b"<script>alert(1)</script></svg>", "contains a script"),
        (SVG_HEAD + b'<script xlink:href="https://evil.example/x.js"/></svg>', "contains a script"),
        (SVG_HEAD.replace(b"viewBox", b'onload="alert(1)" viewBox') + b"</svg>", "event handler (onload)"),
        (SVG_HEAD + b'<rect width="1" height="1" onclick="alert(1)"/></svg>', "event handler (onclick)"),
        (SVG_HEAD + b'<a href="javascript:alert(1)"><rect width="1" height="1"/></a></svg>', "<a> is not allowed"),
        (SVG_HEAD + b'<use href="javascript:alert(1)"/></svg>', "javascript: link"),
        (SVG_HEAD + b'<use xlink:href="  jav&#x09;ascript:alert(1)"/></svg>', "javascript: link"),
        (SVG_HEAD + b'<use xlink:href="https://evil.example/sprite.svg#a"/></svg>', "links to another address"),
        (SVG_HEAD + b'<image href="https://evil.example/track.png"/></svg>', "<image> is not allowed"),
        (SVG_HEAD + b'<rect width="1" height="1" fill="url(https://evil.example/p.svg#g)"/></svg>', "refers to another address"),
        (SVG_HEAD + b'<rect width="1" height="1" style="fill:url(//evil.example/a)"/></svg>', "refers to another address"),
        (SVG_HEAD + b"<style>@import url(https://evil.example/a.css);</style></svg>", "<style> is not allowed"),
        (SVG_HEAD + b"<foreignObject><div xmlns=\"http://www.w3.org/1999/xhtml\">x</div></foreignObject></svg>", "foreignObject"),
        (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "y">]>' + SVG_HEAD + b"<text>&x;</text></svg>", "DOCTYPE or entity"),
        (b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">' + SVG_HEAD + b"</svg>", "DOCTYPE or entity"),
        (SVG_HEAD + b"<rect></svg>", "not well-formed"),
        (b'<svg xmlns="http://www.w3.org/1999/xhtml"><p>x</p></svg>', "root element is not <svg>"),
        # processing instructions: a style sheet or XSLT fetched by the viewer (the XML declaration is fine)
        (b'<?xml-stylesheet type="text/css" href="https://evil.example/x.css"?>' + SVG_HEAD + b"</svg>", "processing instruction (<?xml-stylesheet"),
        (b'<?xml version="1.0"?>\n<?xml-stylesheet type="text/xsl" href="data:text/xml,x"?>' + SVG_HEAD + b"</svg>", "processing instruction (<?xml-stylesheet"),
        (SVG_HEAD + b'<?xml-stylesheet href="https://evil.example/x.css"?><rect width="1" height="1"/></svg>', "processing instruction"),
        # CSS that fetches without a literal url(, or hides a function behind an escape
        (SVG_HEAD + b'<rect width="1" height="1" style="fill:u\\72l(https://evil.example/a)"/></svg>', "backslash (a CSS escape) in attribute “style”"),
        (SVG_HEAD + b'<rect width="1" height="1" fill="u\\72l(https://evil.example/a)"/></svg>', "backslash (a CSS escape) in attribute “fill”"),
        (SVG_HEAD + b'<rect width="1" height="1" style="fill:\\75rl(https://evil.example/a)"/></svg>', "backslash"),
        (SVG_HEAD + b"<rect width=\"1\" height=\"1\" style=\"fill:image-set('https://evil.example/a' 1x)\"/></svg>", "loads an image with image-set()"),
        (SVG_HEAD + b"<rect width=\"1\" height=\"1\" style=\"fill:-webkit-image-set('//evil.example/a' 1x)\"/></svg>", "loads an image with image-set()"),
        (SVG_HEAD + b"<rect width=\"1\" height=\"1\" style=\"fill:IMAGE ('https://evil.example/a')\"/></svg>", "loads an image with image()"),
        (SVG_HEAD + b"<rect width=\"1\" height=\"1\" style=\"fill:src('https://evil.example/a')\"/></svg>", "loads an image with src()"),
        (SVG_HEAD + b'<rect width="1" height="1" style="fill:red;@font-face{src:x}"/></svg>', "imports styles from elsewhere"),
    ],
)  # fmt: skip
def test_an_svg_that_could_run_or_fetch_anything_is_refused_with_the_reason(svg, reason):
    assert reason in refusal(svg)


def test_a_clean_svg_is_accepted_and_served_under_a_strict_policy(alpha):
    assert asset_check(CLEAN_SVG, "logo") == "image/svg+xml"
    owner = ThemeOwner.for_tenant(tenant_of(alpha))
    theme_draft_save(actor=ACTOR, owner=owner, values={}, uploads={"logo": CLEAN_SVG, "favicon": CLEAN_SVG})
    theme_publish(actor=ACTOR, owner=owner)
    for path in ("/theme/logo", "/theme/favicon"):
        response = host_client(alpha.host).get(path)
        # the checked tree written out again: the same document (canonical form), not the uploaded bytes
        assert response.content != CLEAN_SVG
        assert canonicalize(response.content.decode()) == canonicalize(CLEAN_SVG.decode())
        assert response["Content-Type"] == "image/svg+xml"
        assert response["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'; sandbox"
        assert response["X-Content-Type-Options"] == "nosniff"
    page = host_client(alpha.host).get("/portal/").content.decode()
    assert '<link rel="icon" href="/theme/favicon?v=' in page and 'type="image/svg+xml"' in page


def test_what_is_stored_is_the_checked_tree_not_the_uploaded_bytes():
    # given an SVG with a comment and character references (nothing the checks refuse)
    upload = (
        SVG_HEAD
        + b'<!-- <?xml-stylesheet href="https://evil.example/x.css"?> --><title>A &amp; &#x42;</title></svg>'
    )
    # when it is cleaned
    content_type, stored = asset_clean(upload, "logo")
    # then what is stored has the checked elements and text only, and passes the check itself
    assert content_type == "image/svg+xml"
    assert stored == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
        b'xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10"><title>A &amp; B</title></svg>'
    )
    assert asset_clean(stored, "logo") == (content_type, stored)


def test_raster_images_are_typed_by_content_not_by_name():
    assert asset_clean(png(8, 8), "logo") == ("image/png", png(8, 8))  # stored as uploaded
    assert asset_check(png(8, 8), "logo") == "image/png"
    assert asset_check(ico(), "favicon") == "image/x-icon"
    from io import BytesIO

    from PIL import Image

    jpeg = BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(jpeg, format="JPEG")
    assert asset_check(jpeg.getvalue(), "logo") == "image/jpeg"
    gif = BytesIO()
    Image.new("RGB", (8, 8)).save(gif, format="GIF")
    assert "upload PNG, JPEG, SVG" in refusal(gif.getvalue())
    assert "upload PNG, ICO, SVG" in refusal(jpeg.getvalue(), "favicon")
    assert "not accepted" in refusal(b"\x89PNG\r\n\x1a\n not really a png")  # the magic alone is not enough
    assert "not accepted" in refusal(b"<html><script>alert(1)</script></html>")
    assert "empty" in refusal(b"")


def test_oversized_files_are_refused_with_the_limit():
    assert "at most 200 KB" in refusal(b"\x89PNG\r\n\x1a\n" + b"0" * (200 * 1024))
    assert "at most 50 KB" in refusal(png(1, 1) + b"0" * (50 * 1024), "favicon")
    assert "at most 4096 on each side" in refusal(png(5000, 1))


def test_a_refused_upload_changes_nothing(alpha):
    owner = ThemeOwner.for_tenant(tenant_of(alpha))
    with pytest.raises(ValidationError) as refused:
        theme_draft_save(
            actor=ACTOR,
            owner=owner,
            values={"display_name": "甲省"},
            uploads={"logo": SVG_HEAD + b"<script>alert(1)</script></svg>"},
        )
    assert set(refused.value.message_dict) == {"logo"}
    from themes.models import ThemeDraft

    assert not ThemeDraft.objects.filter(theme__tenant=alpha.tenant).exists()
