"""QR codes and printable posters: segno makes the code; the poster adds the tenant's and the window's names.

Three poster formats, because halls print on whatever they have:
- SVG (vector, any size; the browser's or printer's CJK font draws the text),
- PDF via reportlab with its built-in CID font STSong-Light (no font file needed),
- PNG via Pillow, with the text drawn only when a CJK font file is found on the server (Pillow's own font
  has no Chinese glyphs); otherwise the PNG is the bare code and the SVG/PDF posters carry the names.
"""

import io
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

import segno

QR_ERROR = "m"  # segno raises it when the data leaves room; posters get scuffed, so never lower
BORDER = 4  # quiet zone in modules, as the standard asks
FONT_STACK = "'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',sans-serif"
CJK_FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)


@dataclass(frozen=True)
class Poster:
    """What a printed poster says, top to bottom around the code."""

    url: str
    organisation: str  # the tenant's display name
    heading: str  # "Scan to rate our service"
    title: str  # the window's name, large, under the code
    subtitle: str = ""  # the hall
    scale_line: str = ""  # 很好 · 好 · 一般 · 差 · 很差
    footer: str = ""
    color: str = "#1d4ed8"  # the theme's primary colour: the band and the frame
    on_color: str = "#ffffff"  # the theme's text colour on the primary colour: the name in the band


def make(url: str) -> segno.QRCode:
    return segno.make(url, error=QR_ERROR, micro=False)


def qr_svg(url: str, *, title: str = "", scale: int = 8) -> bytes:
    buffer = io.BytesIO()
    make(url).save(buffer, kind="svg", scale=scale, border=BORDER, xmldecl=True, title=title or None)
    return buffer.getvalue()


def qr_png(url: str, *, scale: int = 10) -> bytes:
    buffer = io.BytesIO()
    make(url).save(buffer, kind="png", scale=scale, border=BORDER)
    return buffer.getvalue()


def _runs(qr: segno.QRCode):
    """(x, y, length) of each horizontal run of dark modules, quiet zone excluded."""
    for y, row in enumerate(qr.matrix):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                yield start, y, x - start
            else:
                x += 1


def _estimate_width(text: str, size: float) -> float:
    """Rough advance of a line: CJK and full-width glyphs one em, others about half."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.55 for ch in text)


def _fit(text: str, size: float, width: float, minimum: float) -> tuple[str, float]:
    """Shrink the font to fit the line; below the minimum size, cut the text with an ellipsis."""
    while size > minimum and _estimate_width(text, size) > width:
        size -= 0.5
    while len(text) > 1 and _estimate_width(text, size) > width:
        text = text[:-2] + "…"
    return text, size


# --- layout (millimetres on A4), shared by the three formats ----------------------------------------------
PAGE_W, PAGE_H = 210, 297
BAND_H = 34  # brand-coloured band with the organisation's name
ORG_Y, HEADING_Y = 22, 52  # text baselines
QR_TOP, QR_SIDE = 76, 136
TITLE_Y, SUBTITLE_Y, SCALE_Y, FOOTER_Y = 242, 255, 270, 288
# The frame sits outside the code's quiet zone (4 modules): a line closer than that hinders scanners.


# --- SVG -----------------------------------------------------------------------------------------------


def poster_svg(poster: Poster) -> bytes:
    qr = make(poster.url)
    modules = qr.symbol_size(border=0)[0]
    unit = QR_SIDE / modules
    left, top, gap = (PAGE_W - QR_SIDE) / 2, QR_TOP, BORDER * unit
    path = "".join(f"M{x} {y}h{n}v1h-{n}z" for x, y, n in _runs(qr))
    lines = []

    def text(value: str, y: float, size: float, *, weight: str = "normal", fill: str = "#111827") -> None:
        if not value:
            return
        value, size = _fit(value, size, PAGE_W - 24, size * 0.5)
        lines.append(
            f'<text x="{PAGE_W / 2}" y="{y}" font-size="{size:.1f}" font-weight="{weight}" fill="{fill}" '
            f'text-anchor="middle">{escape(value)}</text>'
        )

    text(poster.organisation, ORG_Y, 9, weight="bold", fill=escape(poster.on_color))
    text(poster.heading, HEADING_Y, 15, weight="bold")
    text(poster.title, TITLE_Y, 13, weight="bold")
    text(poster.subtitle, SUBTITLE_Y, 8, fill="#374151")
    text(poster.scale_line, SCALE_Y, 7, fill="#374151")
    text(poster.footer, FOOTER_Y, 4.5, fill="#374151")
    svg = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{PAGE_W}mm" height="{PAGE_H}mm" '
        f'viewBox="0 0 {PAGE_W} {PAGE_H}" role="img" aria-label="{escape(poster.heading)}: '
        f'{escape(poster.title)}">'
        f"<title>{escape(poster.organisation)} · {escape(poster.title)}</title>"
        f'<rect width="{PAGE_W}" height="{PAGE_H}" fill="#ffffff"/>'
        f'<rect width="{PAGE_W}" height="{BAND_H}" fill="{escape(poster.color)}"/>'
        f'<g font-family="{FONT_STACK}">{"".join(lines)}</g>'
        f'<rect x="{left - gap:.3f}" y="{top - gap:.3f}" width="{QR_SIDE + 2 * gap:.3f}" '
        f'height="{QR_SIDE + 2 * gap:.3f}" fill="none" stroke="{escape(poster.color)}" stroke-width="1"/>'
        f'<path transform="translate({left} {top}) scale({unit:.5f})" fill="#000000" d="{path}"/>'
        "</svg>"
    )
    return svg.encode()


# --- PDF -----------------------------------------------------------------------------------------------
def poster_pdf(poster: Poster) -> bytes:
    from reportlab.lib.colors import HexColor
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    buffer = io.BytesIO()
    page_w, page_h = A4
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"{poster.organisation} · {poster.title}")
    pdf.setAuthor(poster.organisation)

    def text(value: str, y_mm: float, size: float, color=None) -> None:
        if not value:
            return
        while size > 6 and pdfmetrics.stringWidth(value, font, size) > page_w - 24 * mm:
            size -= 0.5
        while len(value) > 1 and pdfmetrics.stringWidth(value, font, size) > page_w - 24 * mm:
            value = value[:-2] + "…"
        pdf.setFillColor(color or HexColor("#111827"))
        pdf.setFont(font, size)
        pdf.drawCentredString(page_w / 2, page_h - y_mm * mm, value)

    brand = HexColor(poster.color)
    pdf.setFillColor(brand)
    pdf.rect(0, page_h - BAND_H * mm, page_w, BAND_H * mm, stroke=0, fill=1)
    text(poster.organisation, ORG_Y, 26, HexColor(poster.on_color))
    text(poster.heading, HEADING_Y, 42)
    qr = make(poster.url)
    modules = qr.symbol_size(border=0)[0]
    side, top = QR_SIDE * mm, QR_TOP * mm
    unit = side / modules
    left, gap = (page_w - side) / 2, BORDER * unit
    pdf.setFillColor(HexColor("#000000"))
    for x, y, n in _runs(qr):
        pdf.rect(left + x * unit, page_h - top - (y + 1) * unit, n * unit, unit, stroke=0, fill=1)
    pdf.setStrokeColor(brand)
    pdf.rect(left - gap, page_h - top - side - gap, side + 2 * gap, side + 2 * gap, stroke=1, fill=0)
    text(poster.title, TITLE_Y, 36)
    text(poster.subtitle, SUBTITLE_Y, 22, HexColor("#374151"))
    text(poster.scale_line, SCALE_Y, 20, HexColor("#374151"))
    text(poster.footer, FOOTER_Y, 12, HexColor("#374151"))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


# --- PNG -----------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def cjk_font_path() -> tuple[str, int] | None:
    """A font file with Simplified Chinese glyphs (HCP_CJK_FONT overrides the search), with its face index."""
    from PIL import ImageFont

    candidates = [os.environ.get("HCP_CJK_FONT", ""), *CJK_FONT_CANDIDATES]
    for candidate in filter(None, candidates):
        if not Path(candidate).is_file():
            continue
        for index in range(5):
            try:
                face = ImageFont.truetype(candidate, 12, index=index)
            except OSError:
                break
            if "SC" in " ".join(face.getname()) or not candidate.endswith(".ttc"):
                return candidate, index
        return candidate, 0
    return None


def poster_png(poster: Poster, *, dpi: int = 150) -> tuple[bytes, bool]:
    """(PNG bytes, whether the names are printed on it)."""
    font_file = cjk_font_path()
    if font_file is None:
        return qr_png(poster.url), False
    from PIL import Image, ImageColor, ImageDraw, ImageFont

    px = dpi / 25.4  # pixels per millimetre
    width, height = round(PAGE_W * px), round(PAGE_H * px)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    brand = ImageColor.getrgb(poster.color)
    draw.rectangle([0, 0, width, round(BAND_H * px)], fill=brand)

    def text(value: str, y_mm: float, size_mm: float, fill="#111827") -> None:
        if not value:
            return
        size = round(size_mm * px)
        font = ImageFont.truetype(font_file[0], size, index=font_file[1])
        while size > 10 and draw.textlength(value, font=font) > width - 24 * px:
            size -= 2
            font = ImageFont.truetype(font_file[0], size, index=font_file[1])
        while len(value) > 1 and draw.textlength(value, font=font) > width - 24 * px:
            value = value[:-2] + "…"
        draw.text((width / 2, y_mm * px), value, font=font, fill=fill, anchor="ms")

    text(poster.organisation, ORG_Y, 9, poster.on_color)
    text(poster.heading, HEADING_Y, 15)
    qr = make(poster.url)
    modules = qr.symbol_size(border=0)[0]
    unit = int(QR_SIDE * px // modules)  # whole pixels per module: no seams between modules
    side, top = unit * modules, round(QR_TOP * px)
    left, gap = (width - side) // 2, BORDER * unit
    for x, y, n in _runs(qr):
        draw.rectangle(
            [left + x * unit, top + y * unit, left + (x + n) * unit - 1, top + (y + 1) * unit - 1],
            fill="black",
        )
    draw.rectangle([left - gap, top - gap, left + side + gap, top + side + gap], outline=brand, width=3)
    text(poster.title, TITLE_Y, 13)
    text(poster.subtitle, SUBTITLE_Y, 8, "#374151")
    text(poster.scale_line, SCALE_Y, 7, "#374151")
    text(poster.footer, FOOTER_Y, 4.5, "#374151")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True, dpi=(dpi, dpi))
    return buffer.getvalue(), True
