"""Checks on uploaded logos and favicons: size, type by content (never by name or the browser's claim), and for
SVG an allowlist of elements and attributes. A refusal says why, in the uploader's language.

SVG is accepted only when nothing in it can run or fetch: no script, no event handlers, no javascript: or
external links, no foreignObject (HTML inside), no DOCTYPE or entities (XML bombs, external entities), no
processing instructions (<?xml-stylesheet?> fetches a style sheet), no CSS that fetches or hides what it does
(url() to another address, image-set(), escapes). It is parsed with defusedxml, and what is stored and served
is the checked tree written out again, never the uploaded bytes; it is served with a restrictive
Content-Security-Policy as a second line (themes/views.py).
"""

import io
import re
from dataclasses import dataclass
from xml.etree.ElementTree import TreeBuilder
from xml.sax.saxutils import escape, quoteattr

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from defusedxml.ElementTree import DefusedXMLParser
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
MAX_PIXELS = 4096  # per side: a logo larger than this is a mistake or a decompression bomb


@dataclass(frozen=True)
class AssetRule:
    field: str
    max_bytes: int
    types: tuple[str, ...]  # content types accepted


LOGO = AssetRule("logo", 200 * 1024, ("image/png", "image/jpeg", "image/svg+xml"))
FAVICON = AssetRule("favicon", 50 * 1024, ("image/png", "image/x-icon", "image/svg+xml"))
RULES = {"logo": LOGO, "favicon": FAVICON}

RASTER_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "ICO": "image/x-icon"}

SVG_ELEMENTS = frozenset(
    {
        "svg", "g", "defs", "title", "desc", "symbol", "use",
        "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
        "text", "tspan",
        "linearGradient", "radialGradient", "stop", "clipPath", "mask", "pattern",
    }
)  # fmt: skip
SVG_ATTRIBUTES = frozenset(
    {
        "id", "class", "version", "baseProfile", "viewBox", "preserveAspectRatio", "width", "height",
        "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy", "dx", "dy",
        "d", "points", "pathLength", "transform", "href",
        "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity", "stroke-linecap",
        "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset", "opacity",
        "color", "clip-path", "clip-rule", "mask", "display", "visibility", "style",
        "offset", "stop-color", "stop-opacity", "gradientUnits", "gradientTransform", "spreadMethod",
        "patternUnits", "patternContentUnits", "patternTransform", "clipPathUnits", "maskUnits",
        "maskContentUnits",
        "font-family", "font-size", "font-weight", "font-style", "text-anchor", "dominant-baseline",
        "letter-spacing", "word-spacing", "text-decoration", "textLength", "lengthAdjust",
        "role", "aria-label", "aria-hidden", "aria-labelledby", "focusable", "space",
    }
)  # fmt: skip
# url(...) in a value may only point inside the document (#id); anything else fetches
_URL = re.compile(r"url\(\s*['\"]?\s*([^'\")\s]*)", re.IGNORECASE)
# CSS functions that load an image (or read one from an attribute) without url(...)
_FETCHING_FUNCTIONS = ("image-set(", "image(", "cross-fade(", "src(", "attr(")


def _refuse(field: str, message: str):
    raise ValidationError({field: [message]}, code="upload")


def _local_name(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _sep, name = tag[1:].partition("}")
        return ns, name
    return "", tag


def _check_value(field: str, name: str, value: str) -> None:
    # A CSS escape (u\72l( is url( to a browser) would hide a function from the checks below; values of
    # presentation attributes are parsed as CSS too.
    if "\\" in value:
        _refuse(
            field,
            _(
                "The SVG file contains a backslash (a CSS escape) in attribute “%(name)s”, which is not allowed."
            )
            % {"name": name},
        )
    compact = re.sub(r"[\s\x00-\x1f]+", "", value).lower()
    if "javascript:" in compact or "vbscript:" in compact or "data:text/html" in compact:
        _refuse(field, _("The SVG file contains a javascript: link (attribute “%(name)s”).") % {"name": name})
    for target in _URL.findall(value):
        if target and not target.startswith("#"):
            _refuse(
                field,
                _(
                    "The SVG file refers to another address (%(target)s); only references inside the file are allowed."
                )
                % {"target": target[:80]},
            )
    if "@import" in compact or "expression(" in compact or (name == "style" and "@" in compact):
        _refuse(
            field, _("The SVG file imports styles from elsewhere (attribute “%(name)s”).") % {"name": name}
        )
    for function in _FETCHING_FUNCTIONS:
        if function in compact:
            _refuse(
                field,
                _(
                    "The SVG file loads an image with %(function)s) (attribute “%(name)s”), which is not allowed."
                )
                % {"function": function, "name": name},
            )


class _Builder(TreeBuilder):
    """The parser's tree, noting the processing instructions it meets (they are left out of the tree, even
    before the root element, so the check would not see them)."""

    def __init__(self):
        super().__init__()
        self.instructions: list[str] = []

    def pi(self, target, data=None):
        self.instructions.append(target)
        return super().pi(target, data)


def _svg_serialise(root) -> bytes:
    """The checked tree written out: elements, attributes and text only (comments, processing instructions
    and whatever else the parser left out are gone). Iterative, so that deep nesting cannot exhaust the stack."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    stack = [(root, True)]
    while stack:
        element, opening = stack.pop()
        name = _local_name(element.tag)[1]
        if not opening:
            parts.append(f"</{name}>")
            if element is not root and element.tail:
                parts.append(escape(element.tail))
            continue
        attributes = [f' xmlns="{SVG_NS}" xmlns:xlink="{XLINK_NS}"'] if element is root else []
        for key, value in element.attrib.items():
            ns, attribute = _local_name(key)
            prefix = {XLINK_NS: "xlink:", XML_NS: "xml:"}.get(ns, "")
            attributes.append(f" {prefix}{attribute}={quoteattr(value)}")
        parts.append(f"<{name}{''.join(attributes)}>")
        if element.text:
            parts.append(escape(element.text))
        stack.append((element, False))
        stack.extend((child, True) for child in reversed(element))
    return "".join(parts).encode()


def svg_clean(data: bytes, field: str) -> bytes:
    """The SVG written out again from its checked tree; ValidationError (with the reason) unless it is on the
    allowlist."""
    head = data[:2048].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        _refuse(field, _("The SVG file has a DOCTYPE or entity declarations, which are not allowed."))
    builder = _Builder()
    try:
        parser = DefusedXMLParser(target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True)
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException:
        _refuse(field, _("The SVG file has a DOCTYPE or entity declarations, which are not allowed."))
    except SafeET.ParseError:
        _refuse(field, _("The SVG file is not well-formed XML."))
    if builder.instructions:  # the XML declaration (<?xml version…?>) is not one
        _refuse(
            field,
            _("The SVG file contains a processing instruction (<?%(target)s …?>), which is not allowed.")
            % {"target": builder.instructions[0][:40]},
        )
    if _local_name(root.tag) != (SVG_NS, "svg"):
        _refuse(field, _("The file is not an SVG image (its root element is not <svg>)."))
    for element in root.iter():
        if not isinstance(element.tag, str):  # comments and processing instructions are dropped by the parser
            continue
        ns, name = _local_name(element.tag)
        if name == "script":
            _refuse(field, _("The SVG file contains a script, which is not allowed."))
        if name == "foreignObject":
            _refuse(
                field, _("The SVG file contains a <foreignObject> (embedded HTML), which is not allowed.")
            )
        if ns != SVG_NS or name not in SVG_ELEMENTS:
            _refuse(field, _("The SVG element <%(name)s> is not allowed.") % {"name": name})
        for attribute, value in element.attrib.items():
            attr_ns, attr = _local_name(attribute)
            if attr.lower().startswith("on"):
                _refuse(
                    field,
                    _("The SVG file contains an event handler (%(name)s), which is not allowed.")
                    % {"name": attr},
                )
            if attr_ns not in ("", XLINK_NS, XML_NS) or attr not in SVG_ATTRIBUTES:
                _refuse(field, _("The SVG attribute “%(name)s” is not allowed.") % {"name": attr})
            if attr == "href" and not value.strip().startswith("#"):
                _check_value(field, attr, value)
                _refuse(
                    field,
                    _(
                        "The SVG file links to another address (%(target)s); only links inside the file are allowed."
                    )
                    % {"target": value.strip()[:80]},
                )
            _check_value(field, attr, value)
    return _svg_serialise(root)


def _raster_type(data: bytes, rule: AssetRule) -> str | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format = image.format
            width, height = image.size
            image.verify()  # reads the whole file: a truncated or corrupt image fails here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    content_type = RASTER_FORMATS.get(image_format or "")
    if content_type is None or content_type not in rule.types:
        return None
    if width > MAX_PIXELS or height > MAX_PIXELS:
        _refuse(
            rule.field,
            _("The image is %(w)s×%(h)s pixels; at most %(max)s on each side.")
            % {"w": width, "h": height, "max": MAX_PIXELS},
        )
    return content_type


def _looks_like_svg(data: bytes) -> bool:
    start = data.lstrip()[:512].lower()
    return start.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype")) and b"<svg" in data[:4096].lower()


def asset_check(data: bytes, kind: str) -> str:
    """The content type of an acceptable logo or favicon; ValidationError (on the field) otherwise."""
    return asset_clean(data, kind)[0]


def asset_clean(data: bytes, kind: str) -> tuple[str, bytes]:
    """(content type, the bytes to store) of an acceptable logo or favicon: an SVG written out again from its
    checked tree, a raster image as uploaded. ValidationError (on the field) otherwise."""
    rule = RULES[kind]
    if len(data) > rule.max_bytes:
        _refuse(
            rule.field,
            _("The file is %(size)s KB; at most %(max)s KB is allowed.")
            % {"size": -(-len(data) // 1024), "max": rule.max_bytes // 1024},
        )
    if not data:
        _refuse(rule.field, _("The file is empty."))
    if _looks_like_svg(data):
        return "image/svg+xml", svg_clean(data, rule.field)
    content_type = _raster_type(data, rule)
    if content_type is None:
        allowed = "PNG, ICO, SVG" if kind == "favicon" else "PNG, JPEG, SVG"
        _refuse(rule.field, _("This file type is not accepted; upload %(types)s.") % {"types": allowed})
    return content_type, data
