"""The report as a PDF (reportlab): a title page, the indicator table, a bar chart of the good-review rate by
department and line charts of the trend (each chart followed by its figures), the breakdown tables, the most
frequent bad-review reasons and, for a comparison, the before/after table.

Chinese uses reportlab's built-in CID font STSong-Light (no font file needed); every string on the page is
set in it, charts included. Labels come from gettext: render inside `translation.override(language)`."""

import io
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _
from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import (
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from tenants.insight.reports.selectors import BreakdownRow, PeriodFigures, ReportFigures
from tenants.insight.selectors import INDICATORS, Indicator

FONT = "STSong-Light"
INK = colors.HexColor("#111827")
MUTED = colors.HexColor("#4b5563")
LINE = colors.HexColor("#9ca3af")
HEAD = colors.HexColor("#e5e7eb")
BAR = colors.HexColor("#1d4ed8")
SECOND = colors.HexColor("#b45309")
MARGIN = 18 * mm
WIDTH = A4[0] - 2 * MARGIN
PDF_TABLE_ROWS = 50  # breakdown rows in the PDF; the XLSX has every row
CHART_BARS = 15


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _style(size: float, *, leading: float | None = None, color=INK, space_after: float = 0, **kw):
    return ParagraphStyle(
        f"r{size}",
        fontName=_font(),
        fontSize=size,
        leading=leading or size * 1.35,
        textColor=color,
        wordWrap="CJK",
        spaceAfter=space_after,
        **kw,
    )


@dataclass(frozen=True)
class Cover:
    """What the title page says."""

    tenant_name: str
    title: str
    kind_label: str
    period: str
    before_period: str  # comparison only, else ""
    unit_label: str
    generated_at: datetime
    created_by: str
    # the tenant's theme (themes.selectors.ThemeView): a band in its primary colour with its name and logo
    color: str = "#1d4ed8"
    on_color: str = "#ffffff"
    logo: bytes | None = None  # PNG or JPEG
    contact: str = ""


def percent(indicator: Indicator | None) -> str:
    return "—" if indicator is None or indicator.value is None else f"{100 * indicator.value:.2f}%"


def points(after: Indicator, before: Indicator) -> str:
    """The change in percentage points, signed."""
    if after.value is None or before.value is None:
        return "—"
    return f"{100 * (after.value - before.value):+.2f}"


def _escape(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _table(header: list[str], rows: list[list], widths: list[float], *, numeric_from: int = 1) -> Table:
    """A table with a repeated header row; columns from `numeric_from` are right-aligned figures. Text cells
    wrap (CJK-aware)."""
    data = [[Paragraph(_escape(h), _cell_style(h, 8)) for h in header]]
    for row in rows:
        data.append(
            [
                Paragraph(_escape(v), _cell_style(v, 8.5)) if i < numeric_from else str(v)
                for i, v in enumerate(row)
            ]
        )
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), _font()),
                ("FONTSIZE", (0, 0), (-1, -1), 8.5),
                ("TEXTCOLOR", (0, 0), (-1, -1), INK),
                ("BACKGROUND", (0, 0), (-1, 0), HEAD),
                ("GRID", (0, 0), (-1, -1), 0.4, LINE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (numeric_from, 1), (-1, -1), "RIGHT"),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ]
        )
    )
    return table


def _cell_style(text, size: float) -> ParagraphStyle:
    """Chinese wraps between any two characters; Latin text only between words."""
    style = _style(size)
    if str(text).isascii():
        style.wordWrap = None
    return style


def _heading(text: str):
    return Paragraph(_escape(text), _style(14, space_after=3 * mm, spaceBefore=5 * mm, keepWithNext=1))


def _note(text: str):
    return Paragraph(_escape(text), _style(8.5, color=MUTED, space_after=2 * mm))


# --- pages ---------------------------------------------------------------------------------------------------
def _brand_band(cover: Cover) -> Table:
    """The tenant's name (after its logo, if it has a PNG or JPEG one) on its primary colour."""
    name = Paragraph(_escape(cover.tenant_name), _style(16, color=colors.HexColor(cover.on_color)))
    cells, widths = [name], [WIDTH]
    if cover.logo:
        try:
            logo = Image(io.BytesIO(cover.logo))
        except (OSError, ValueError):  # unreadable for reportlab: the name alone
            logo = None
        if logo is not None:
            side = 14 * mm
            logo.drawWidth, logo.drawHeight = side * logo.imageWidth / logo.imageHeight, side
            cells, widths = [logo, name], [logo.drawWidth + 6 * mm, WIDTH - logo.drawWidth - 6 * mm]
    band = Table([cells], colWidths=widths)
    band.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(cover.color)),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 5 * mm),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5 * mm),
                ("LEFTPADDING", (0, 0), (-1, -1), 5 * mm),
            ]
        )
    )
    return band


def _cover(cover: Cover) -> list:
    facts = [
        (_("Kind of report"), cover.kind_label),
        (_("Period"), cover.period),
        *([(_("Period before"), cover.before_period)] if cover.before_period else []),
        (_("Covers"), cover.unit_label),
        (_("Generated"), cover.generated_at.strftime("%Y-%m-%d %H:%M")),
        *([(_("Requested by"), cover.created_by)] if cover.created_by else []),  # not on the public PDF
    ]
    table = Table(
        [
            [Paragraph(_escape(k), _style(11, color=MUTED)), Paragraph(_escape(v), _style(12))]
            for k, v in facts
        ],
        colWidths=[40 * mm, WIDTH - 40 * mm],
    )
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    return [
        Spacer(1, 24 * mm),
        _brand_band(cover),
        Spacer(1, 10 * mm),
        Paragraph(_escape(cover.title), _style(24, leading=32, space_after=14 * mm)),
        table,
        *([_note(cover.contact)] if cover.contact else []),
        Spacer(1, 20 * mm),
        _note(
            _(
                "Figures come from the rollups of counted ratings (the current revision, not excluded by an "
                "upheld appeal) and of bad-review cases; definitions follow the good/bad review system's "
                "indicators (好评率, 差评率, 差评整改率 …)."
            )
        ),
        PageBreak(),
    ]


def _indicator_table(period: PeriodFigures) -> list:
    rows = [
        [str(label), key, ind.numerator, ind.denominator, percent(ind)]
        for key, label in INDICATORS.items()
        for ind in [period.indicators[key]]
    ]
    widths = [64 * mm, 50 * mm, 18 * mm, 22 * mm, WIDTH - 154 * mm]
    return [
        _heading(_("Indicators")),
        _table(
            [_("Indicator"), _("Id"), _("Numerator"), _("Denominator"), _("Value")],
            rows,
            widths,
            numeric_from=2,
        ),
        Spacer(1, 3 * mm),
        _note(
            _(
                "Ratings: %(ratings)s (given %(given)s, default %(defaults)s) · transactions: %(transactions)s · bad-review cases: %(cases)s"
            )
            % {k: period.volumes[k] for k in ("ratings", "given", "defaults", "transactions", "cases")}
        ),
    ]


def _label(text: str, limit: int = 14) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _bar_chart(rows: list[BreakdownRow], title: str) -> Drawing | None:
    shown = [r for r in rows if r.ratings["ratings"]][:CHART_BARS]
    if not shown:
        return None
    shown = list(reversed(shown))  # the largest on top
    height = 30 + 16 * len(shown)
    drawing = Drawing(WIDTH, height + 24)
    drawing.add(String(0, height + 10, title, fontName=_font(), fontSize=10, fillColor=INK))
    chart = HorizontalBarChart()
    chart.x, chart.y = 62 * mm, 18
    chart.width, chart.height = WIDTH - 62 * mm - 10 * mm, height - 24
    chart.data = [[round(100 * (r.good_rate.value or 0), 2) for r in shown]]
    chart.bars[0].fillColor = BAR
    chart.bars[0].strokeColor = None
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.valueAxis.labels.fontName = _font()
    chart.valueAxis.labels.fontSize = 8
    chart.valueAxis.labelTextFormat = "%d%%"
    chart.categoryAxis.categoryNames = [_label(r.name) for r in shown]
    chart.categoryAxis.labels.fontName = _font()
    chart.categoryAxis.labels.fontSize = 8
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -4
    chart.barLabelFormat = "%.1f"
    chart.barLabels.fontName = _font()
    chart.barLabels.fontSize = 7
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    drawing.add(chart)
    return drawing


def _line_chart(names: list[str], series: list[list], title: str, *, percent_axis: bool):
    """A line chart, or a note when there are fewer than two points to join (days without ratings have no
    rate; the line joins the days that have one)."""
    if sum(v is not None for line in series for v in line) < 2:
        return _note(f"{title}: " + _("too few ratings to draw a line."))
    height = 150
    drawing = Drawing(WIDTH, height + 22)
    drawing.add(String(0, height + 8, title, fontName=_font(), fontSize=10, fillColor=INK))
    chart = HorizontalLineChart()
    chart.x, chart.y = 14 * mm, 24
    chart.width, chart.height = WIDTH - 20 * mm, height - 34
    chart.data = series
    chart.joinedLines = 1
    chart.lines[0].strokeColor = BAR if not percent_axis else SECOND
    chart.lines[0].strokeWidth = 1.5
    every = max(1, len(names) // 10)
    chart.categoryAxis.categoryNames = [n if i % every == 0 else "" for i, n in enumerate(names)]
    chart.categoryAxis.labels.fontName = _font()
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 30
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.valueAxis.labels.fontName = _font()
    chart.valueAxis.labels.fontSize = 7
    values = [v for line in series for v in line if v is not None]
    if percent_axis:
        chart.valueAxis.valueMin = max(0, 10 * int(min(values, default=0) // 10) - 10)
        chart.valueAxis.valueMax = 100
        chart.valueAxis.labelTextFormat = "%d%%"
    else:
        chart.valueAxis.valueMin = 0
        chart.valueAxis.valueMax = max(values, default=0) or 1
    drawing.add(chart)
    return drawing


def _department_table(rows: list[BreakdownRow]) -> Table:
    body = [
        [
            r.name if not r.code else f"{r.name} ({r.code})",
            r.ratings["ratings"],
            r.ratings["good"],
            r.ratings["bad"],
            percent(r.good_rate),
            percent(r.active_good_rate),
            r.cases["total"],
            percent(r.callback_rectification_rate),
            percent(r.on_time_rate),
        ]
        for r in rows[:PDF_TABLE_ROWS]
    ]
    header = [
        _("Department"), _("Ratings"), _("Good"), _("Bad"), _("Good-review rate"),
        _("Active good-review rate"), _("Bad-review cases"), _("Callback and rectification rate"),
        _("On-time rate"),
    ]  # fmt: skip
    widths = [38 * mm, 14 * mm, 13 * mm, 12 * mm, 18 * mm, 20 * mm, 17 * mm, 22 * mm]
    widths.append(WIDTH - sum(widths))
    return _table(header, body, widths)


def _hall_table(rows: list[BreakdownRow]) -> Table:
    body = [
        [
            r.name if not r.code else f"{r.name} ({r.code})",
            r.ratings["ratings"],
            r.ratings["good"],
            r.ratings["bad"],
            r.ratings["defaults"],
            percent(r.good_rate),
            percent(r.active_good_rate),
        ]
        for r in rows[:PDF_TABLE_ROWS]
    ]
    header = [
        _("Hall"), _("Ratings"), _("Good"), _("Bad"), _("Default ratings"), _("Good-review rate"),
        _("Active good-review rate"),
    ]  # fmt: skip
    widths = [56 * mm, 16 * mm, 16 * mm, 16 * mm, 20 * mm, 24 * mm]
    widths.append(WIDTH - sum(widths))
    return _table(header, body, widths)


def _comparison(before: PeriodFigures, after: PeriodFigures) -> list:
    rows = []
    for key, label in INDICATORS.items():
        b, a = before.indicators[key], after.indicators[key]
        rows.append(
            [str(label), f"{b.numerator}/{b.denominator}", percent(b), f"{a.numerator}/{a.denominator}",
             percent(a), points(a, b)]
        )  # fmt: skip
    volume_labels = {
        "ratings": _("Ratings"),
        "bad": _("Bad reviews (投诉量)"),
        "cases": _("Bad-review cases"),
        "transactions": _("Transactions"),
    }
    for key, label in volume_labels.items():
        b, a = before.volumes[key], after.volumes[key]
        change = f"{a - b:+d}" + (f" ({100 * (a - b) / b:+.1f}%)" if b else "")
        rows.append([label, str(b), "", str(a), "", change])
    header = [
        _("Indicator"), _("Before: count"), _("Before"), _("After: count"), _("After"),
        _("Change (percentage points)"),
    ]  # fmt: skip
    widths = [58 * mm, 22 * mm, 18 * mm, 22 * mm, 18 * mm]
    widths.append(WIDTH - sum(widths))
    return [
        _heading(_("Before and after (整改前后对比)")),
        _note(
            _(
                "Before: %(before)s · after: %(after)s. A rate's change is in percentage points; a count's in units and per cent."
            )
            % {
                "before": f"{before.scope.start:%Y-%m-%d} – {before.scope.end:%Y-%m-%d}",
                "after": f"{after.scope.start:%Y-%m-%d} – {after.scope.end:%Y-%m-%d}",
            }
        ),
        _table(header, rows, widths),
    ]


def _trend(figures: ReportFigures) -> list:
    fmt = "%m-%d" if not figures.trend_by_week else "%y-%m-%d"
    names = [p.start.strftime(fmt) for p in figures.trend]
    unit = _("Week starting") if figures.trend_by_week else _("Day")
    story = [
        _heading(_("Trend")),
        _line_chart(
            names,
            [[p.ratings for p in figures.trend]],
            _("Ratings per week") if figures.trend_by_week else _("Ratings per day"),
            percent_axis=False,
        ),
        Spacer(1, 2 * mm),
        _line_chart(
            names,
            [
                [
                    None if p.good_rate.value is None else round(100 * p.good_rate.value, 2)
                    for p in figures.trend
                ]
            ],
            _("Good-review rate per week") if figures.trend_by_week else _("Good-review rate per day"),
            percent_axis=True,
        ),
        Spacer(1, 3 * mm),
    ]
    rows = [
        [p.start.strftime("%Y-%m-%d"), p.ratings, p.good, p.bad, percent(p.good_rate)] for p in figures.trend
    ]
    widths = [34 * mm, 30 * mm, 30 * mm, 30 * mm]
    widths.append(WIDTH - sum(widths))
    story.append(_table([unit, _("Ratings"), _("Good"), _("Bad"), _("Good-review rate")], rows, widths))
    return story


def _tags(tags: list[tuple[str, str, int]]) -> list:
    story = [_heading(_("Most frequent bad-review reasons"))]
    if not tags:
        return [*story, _note(_("No bad review was given in the period."))]
    rows = [[label, code, n] for code, label, n in tags]
    return [
        *story,
        _table(
            [_("Reason"), _("Code"), _("Cases")], rows, [90 * mm, 50 * mm, WIDTH - 140 * mm], numeric_from=2
        ),
    ]


def cover_pdf(cover: Cover) -> bytes:
    """The title page alone (the theme preview)."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        title=cover.title,
        author=cover.tenant_name,
    )
    doc.build(_cover(cover)[:-1])  # without the page break
    return buffer.getvalue()


def report_pdf(*, cover: Cover, figures: ReportFigures) -> bytes:
    """The whole report as PDF bytes."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=cover.title,
        author=cover.tenant_name,
        subject=cover.kind_label,
        creator="好差评 Cloud",
    )
    story = [*_cover(cover)]
    if figures.before is not None:
        story += _comparison(figures.before, figures.period)
    story += _indicator_table(figures.period)
    story.append(_heading(_("By department")))
    chart = _bar_chart(figures.departments, _("Good-review rate by department (%)"))
    if chart is not None:
        story += [chart, Spacer(1, 3 * mm)]
    if figures.departments:
        story.append(_department_table(figures.departments))
        if len(figures.departments) > PDF_TABLE_ROWS:
            story.append(
                _note(_("The first %(n)s rows; the XLSX file has them all.") % {"n": PDF_TABLE_ROWS})
            )
    else:
        story.append(_note(_("Nothing was rated in the period.")))
    story.append(_heading(_("By hall")))
    if figures.halls:
        story.append(_hall_table(figures.halls))
    else:
        story.append(_note(_("Nothing was rated in the period.")))
    story += _trend(figures)
    story.append(KeepTogether(_tags(figures.tags)))

    def footer(canvas, doc_) -> None:
        canvas.saveState()
        canvas.setFont(_font(), 8)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, 9 * mm, f"{cover.tenant_name} · {cover.title}")
        canvas.drawRightString(A4[0] - MARGIN, 9 * mm, str(doc_.page))
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
