"""The printable paper rating form (纸质评价表) for one window: A4, large print, tick boxes.

Chinese uses reportlab's built-in CID font STSong-Light, so no font file is needed. The tick boxes for
reasons are numbered in the order of the tenant's active tag list (the same numbering SMS replies use).
"""

import contextlib
import io
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "STSong-Light"
INK = (0.07, 0.09, 0.15)
MARGIN = 14 * mm
WIDTH, HEIGHT = A4
CONTENT = WIDTH - 2 * MARGIN
TITLE_SIZE, HEADING_SIZE, BODY_SIZE, SMALL_SIZE = 22, 16, 15, 12
BOX = 7 * mm


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


@dataclass(frozen=True)
class PaperFormSpec:
    tenant_name: str
    window_name: str
    window_code: str
    site_name: str
    site_code: str
    scale_words: tuple[str, ...]
    tags: list[tuple[str, str]]  # (code, label) in printed order
    printed_on: date
    # the tenant's theme (themes.selectors.ThemeView): a band in its primary colour carries the name and logo
    color: str = "#1d4ed8"
    on_color: str = "#ffffff"
    logo: bytes | None = None  # PNG or JPEG (an SVG logo is left out of the PDF)
    contact: str = ""  # phone · e-mail, printed in the band


def _wrap(text: str, size: float, width: float) -> list[str]:
    """Break a line to `width` points, at spaces for Latin text and anywhere for CJK."""
    lines, current = [], ""
    for char in text:
        candidate = current + char
        if pdfmetrics.stringWidth(candidate, FONT, size) <= width or not current:
            current = candidate
            continue
        cut = current.rfind(" ")
        if cut > 0 and char != " " and current[cut + 1 :].isascii():
            lines.append(current[:cut])
            current = current[cut + 1 :] + char
        else:
            lines.append(current)
            current = char.lstrip()
    if current:
        lines.append(current)
    return lines or [""]


class _Page:
    """A canvas with a cursor running down the page; starts a new page when the next block does not fit."""

    def __init__(self, spec: PaperFormSpec):
        self.buffer = io.BytesIO()
        self.c = canvas.Canvas(self.buffer, pagesize=A4, invariant=True)
        self.spec = spec
        self.y = HEIGHT - MARGIN
        self.c.setFillColorRGB(*INK)
        self.c.setStrokeColorRGB(*INK)

    def need(self, height: float) -> None:
        if self.y - height < MARGIN + 3 * mm:
            self.footer()
            self.c.showPage()
            self.c.setFillColorRGB(*INK)
            self.c.setStrokeColorRGB(*INK)
            self.y = HEIGHT - MARGIN

    def text(self, value: str, size: float, *, x: float = MARGIN, width: float = CONTENT, gap: float = 0.45):
        for line in _wrap(value, size, width):
            self.need(size * 1.3)
            self.c.setFont(FONT, size)
            self.y -= size
            self.c.drawString(x, self.y, line)
            self.y -= size * gap

    def box(self, x: float, top: float, side: float = BOX) -> None:
        self.c.setLineWidth(1.4)
        self.c.rect(x, top - side, side, side, stroke=1, fill=0)

    def rule(self, x: float, y: float, length: float) -> None:
        self.c.setLineWidth(0.8)
        self.c.line(x, y, x + length, y)

    def heading(self, value: str) -> None:
        self.need(HEADING_SIZE * 3)
        self.y -= 2 * mm
        self.text(value, HEADING_SIZE, gap=0.5)

    def footer(self) -> None:
        self.c.setFont(FONT, SMALL_SIZE - 2)
        self.c.drawString(
            MARGIN,
            MARGIN - 4 * mm,
            _("Form for window %(code)s · printed %(date)s · page %(page)d")
            % {
                "code": self.spec.window_code,
                "date": self.spec.printed_on.isoformat(),
                "page": self.c.getPageNumber(),
            },
        )


def _brand_band(page: _Page, spec: PaperFormSpec) -> None:
    """The tenant's name and logo, and its contact on the right, on a band of its primary colour across the top
    of the first page (no taller than the name line it replaces: the form stays one sheet)."""
    from reportlab.lib.colors import HexColor
    from reportlab.lib.utils import ImageReader

    c, height = page.c, HEADING_SIZE * 1.9
    top = HEIGHT - MARGIN + 6 * mm
    c.setFillColor(HexColor(spec.color))
    c.rect(0, top - height, WIDTH, HEIGHT - top + height, stroke=0, fill=1)
    left, right = MARGIN, WIDTH - MARGIN
    if spec.logo:
        with contextlib.suppress(OSError, ValueError):  # a logo reportlab cannot read is left out
            image = ImageReader(io.BytesIO(spec.logo))
            width, tall = image.getSize()
            side = height - 3 * mm
            c.drawImage(
                image, left, top - height + 1.5 * mm, width=side * width / tall, height=side, mask="auto"
            )
            left += side * width / tall + 3 * mm
    baseline = top - height / 2 - HEADING_SIZE / 3
    c.setFillColor(HexColor(spec.on_color))
    if spec.contact:
        c.setFont(FONT, SMALL_SIZE)
        c.drawRightString(right, baseline, spec.contact)
        right -= pdfmetrics.stringWidth(spec.contact, FONT, SMALL_SIZE) + 4 * mm
    c.setFont(FONT, HEADING_SIZE)
    c.drawString(left, baseline, _wrap(spec.tenant_name, HEADING_SIZE, max(right - left, 40 * mm))[0])
    c.setFillColorRGB(*INK)
    page.y = top - height - 2 * mm


def paper_form_pdf(spec: PaperFormSpec) -> bytes:
    _font()
    page = _Page(spec)
    c = page.c
    title = _("Government service rating form (好差评)")
    c.setTitle(f"{title} {spec.window_code}")
    c.setAuthor(spec.tenant_name)
    c.setSubject(f"{spec.window_name} ({spec.window_code})")

    _brand_band(page, spec)
    page.text(title, TITLE_SIZE, gap=0.6)
    if spec.site_name:
        page.text(
            _("Hall: %(name)s (%(code)s)") % {"name": spec.site_name, "code": spec.site_code}, BODY_SIZE + 1
        )
    page.text(
        _("Window: %(name)s (%(code)s)") % {"name": spec.window_name, "code": spec.window_code},
        BODY_SIZE + 1,
    )
    page.text(_("Thank you for rating our service. Please tick boxes with √."), BODY_SIZE)

    # 1. the five levels, one column each: box on top, word below
    page.heading(_("1. How satisfied are you with the service? Tick one box."))
    column = CONTENT / 5
    page.need(BOX + BODY_SIZE * 3)
    top = page.y - 2 * mm
    for index, word in enumerate(spec.scale_words):
        left = MARGIN + index * column
        page.box(left + (column - BOX) / 2, top)
        c.setFont(FONT, BODY_SIZE + 2)
        c.drawCentredString(left + column / 2, top - BOX - (BODY_SIZE + 6), f"{index + 1}  {word}")
    page.y = top - BOX - BODY_SIZE * 2.6

    # 2. reasons, numbered, two columns
    bad = "、".join(spec.scale_words[3:])
    page.heading(_("2. If you chose %(bad)s, tick the reasons (one or more).") % {"bad": bad})
    column = CONTENT / 2
    label_width = column - BOX - 6 * mm
    for start in range(0, len(spec.tags), 2):
        pair = spec.tags[start : start + 2]
        wrapped = [
            _wrap(f"{start + i + 1}. {label}", BODY_SIZE, label_width) for i, (_c, label) in enumerate(pair)
        ]
        height = max(BOX, max(len(w) for w in wrapped) * BODY_SIZE * 1.3) + 3 * mm
        page.need(height)
        for offset, lines in enumerate(wrapped):
            left = MARGIN + offset * column
            page.box(left, page.y)
            c.setFont(FONT, BODY_SIZE)
            for n, line in enumerate(lines):
                c.drawString(left + BOX + 3 * mm, page.y - BODY_SIZE - n * BODY_SIZE * 1.3, line)
        page.y -= height
    page.need(BOX + 4 * mm)
    page.box(MARGIN, page.y)
    c.setFont(FONT, BODY_SIZE)
    c.drawString(MARGIN + BOX + 3 * mm, page.y - BODY_SIZE, _("Other (please write below)"))
    page.y -= BOX + 3 * mm

    # 3. the transaction, comments, optional identity, date
    page.heading(_("3. Transaction number (on your receipt, if you have one)"))
    page.need(12 * mm)
    page.y -= 9 * mm
    page.rule(MARGIN, page.y, CONTENT)
    page.heading(_("4. Comments or suggestions"))
    for _line in range(3):
        page.need(10 * mm)
        page.y -= 9 * mm
        page.rule(MARGIN, page.y, CONTENT)
    page.heading(_("5. Your name and phone (optional: only if you want us to contact you)"))
    page.need(12 * mm)
    page.y -= 9 * mm
    c.setFont(FONT, BODY_SIZE)
    for left, label in ((MARGIN, _("Name")), (MARGIN + CONTENT / 2, _("Phone"))):
        c.drawString(left, page.y + 2, label)
        start = pdfmetrics.stringWidth(label, FONT, BODY_SIZE) + 3 * mm
        page.rule(left + start, page.y, CONTENT / 2 - start - 6 * mm)
    page.need(14 * mm)
    page.y -= 12 * mm
    c.setFont(FONT, BODY_SIZE + 1)
    c.drawString(MARGIN, page.y + 2, _("Date:  ________ year  ____ month  ____ day"))
    page.y -= 4 * mm
    page.text(
        _(
            "Privacy: rating is voluntary and nobody may pressure you. Your name and phone are optional; "
            "they are used only to follow up your rating, are stored encrypted and are seen only by "
            "authorised staff."
        ),
        SMALL_SIZE + 1,
    )
    page.text(_("Put the completed form in the box at the window or hand it to the staff."), SMALL_SIZE + 1)
    page.footer()
    c.showPage()
    c.save()
    return page.buffer.getvalue()
