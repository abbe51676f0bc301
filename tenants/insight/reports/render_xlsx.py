"""The report's figures as an XLSX workbook (openpyxl): sheets 指标 (indicators), 部门 (departments), 大厅
(halls), 趋势 (trend), 差评原因 (bad-review reasons) and, for a comparison, 对比. Counts are numbers, rates are
numbers between 0 and 1 shown as percentages (empty where there is nothing to divide by), dates are dates.

Sheet names are fixed (integrations read them); column headers follow the language of the report. Text cells
are neutralised as the exports do (`tenants.insight.exports.writers.safe_cells`): a unit or reason named
"=HYPERLINK(…)" stays text."""

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from tenants.insight.exports.writers import safe_cells
from tenants.insight.reports.render_pdf import Cover
from tenants.insight.reports.selectors import BreakdownRow, ReportFigures
from tenants.insight.selectors import INDICATORS, Indicator

PERCENT = "0.00%"
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="E5E7EB")


def _sheet(wb: Workbook, title: str, header: list[str], rows: list[list], widths: list[int], percent_cols=()):
    ws = wb.create_sheet(title)
    ws.append(safe_cells([str(h) for h in header]))
    for cell in ws[1]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for row in rows:
        ws.append(safe_cells(row))  # names people typed: a leading = + - @ would run as a formula
    for col in percent_cols:
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            cell.number_format = PERCENT
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    return ws


def _value(indicator: Indicator) -> float | None:
    return indicator.value


def _department_rows(rows: list[BreakdownRow]) -> list[list]:
    return [
        [
            r.code, r.name, r.ratings["ratings"], r.ratings["good"], r.ratings["bad"], r.ratings["given"],
            r.ratings["given_good"], r.ratings["defaults"], _value(r.good_rate), _value(r.active_good_rate),
            _value(r.bad_rate), r.cases["total"], r.cases["replied"], r.cases["rectified"], r.cases["closed"],
            r.cases["on_time"], _value(r.callback_rectification_rate), _value(r.on_time_rate),
        ]
        for r in rows
    ]  # fmt: skip


def _hall_rows(rows: list[BreakdownRow]) -> list[list]:
    return [
        [
            r.code, r.name, r.ratings["ratings"], r.ratings["good"], r.ratings["bad"], r.ratings["given"],
            r.ratings["given_good"], r.ratings["defaults"], _value(r.good_rate), _value(r.active_good_rate),
            _value(r.bad_rate),
        ]
        for r in rows
    ]  # fmt: skip


def report_xlsx(*, cover: Cover, figures: ReportFigures) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    period = figures.period
    _sheet(
        wb,
        "指标",
        [_("Indicator id"), _("Indicator"), _("Numerator"), _("Denominator"), _("Value")],
        [
            [key, str(label), ind.numerator, ind.denominator, ind.value]
            for key, label in INDICATORS.items()
            for ind in [period.indicators[key]]
        ],
        [36, 56, 12, 12, 12],
        percent_cols=(5,),
    )
    rating_header = [
        _("Code"), _("Name"), _("Ratings"), _("Good"), _("Bad"), _("Given ratings"), _("Given good"),
        _("Default ratings"), _("Good-review rate"), _("Active good-review rate"), _("Bad-review rate"),
    ]  # fmt: skip
    case_header = [
        _("Bad-review cases"), _("Replied"), _("Called back and rectified"), _("Closed"), _("Closed on time"),
        _("Callback and rectification rate"), _("On-time rate"),
    ]  # fmt: skip
    _sheet(
        wb,
        "部门",
        [*rating_header, *case_header],
        _department_rows(figures.departments),
        [16, 30, *[12] * 16],
        percent_cols=(9, 10, 11, 17, 18),
    )
    _sheet(
        wb, "大厅", rating_header, _hall_rows(figures.halls), [16, 30, *[12] * 9], percent_cols=(9, 10, 11)
    )
    trend_ws = _sheet(
        wb,
        "趋势",
        [
            _("Week starting") if figures.trend_by_week else _("Day"),
            _("Ratings"),
            _("Good"),
            _("Bad"),
            _("Good-review rate"),
        ],
        [[p.start, p.ratings, p.good, p.bad, p.good_rate.value] for p in figures.trend],
        [14, 12, 12, 12, 14],
        percent_cols=(5,),
    )
    for (cell,) in trend_ws.iter_rows(min_row=2, min_col=1, max_col=1):
        cell.number_format = "yyyy-mm-dd"
    _sheet(
        wb,
        "差评原因",
        [_("Reason code"), _("Reason"), _("Cases")],
        [[code, label, n] for code, label, n in figures.tags],
        [24, 40, 12],
    )
    if figures.before is not None:
        before = figures.before
        rows: list[list] = []
        for key, label in INDICATORS.items():
            b, a = before.indicators[key], period.indicators[key]
            change = a.value - b.value if a.value is not None and b.value is not None else None
            rows.append(
                [
                    key,
                    str(label),
                    b.numerator,
                    b.denominator,
                    b.value,
                    a.numerator,
                    a.denominator,
                    a.value,
                    change,
                ]
            )
        for key, label in (
            ("ratings", _("Ratings")),
            ("bad", _("Bad reviews (投诉量)")),
            ("cases", _("Bad-review cases")),
            ("transactions", _("Transactions")),
        ):
            b, a = before.volumes[key], period.volumes[key]
            rows.append([key, label, b, None, None, a, None, None, a - b])
        _sheet(
            wb,
            "对比",
            [
                _("Indicator id"),
                _("Indicator"),
                _("Before: numerator"),
                _("Before: denominator"),
                _("Before: value"),
                _("After: numerator"),
                _("After: denominator"),
                _("After: value"),
                _("Change"),
            ],
            rows,
            [36, 56, *[14] * 7],
            percent_cols=(5, 8),
        )
        ws = wb["对比"]
        for row in range(2, 2 + len(INDICATORS)):  # a rate's change is a rate; a count's change is a count
            ws.cell(row=row, column=9).number_format = PERCENT
    about = wb.create_sheet("说明")
    for key, value in (
        (_("Tenant"), cover.tenant_name),
        (_("Report"), cover.title),
        (_("Period"), cover.period),
        *([(_("Period before"), cover.before_period)] if cover.before_period else []),
        (_("Covers"), cover.unit_label),
        (_("Generated"), cover.generated_at.strftime("%Y-%m-%d %H:%M")),
    ):
        about.append(safe_cells([str(key), str(value)]))
    about.column_dimensions["A"].width = 16
    about.column_dimensions["B"].width = 60
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
