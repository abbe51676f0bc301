"""A league table as CSV (UTF-8 with BOM, Excel reads the Chinese names) or XLSX (openpyxl): every tenant of
the peer group, ranked first, with numerator, denominator, rate, 95 % interval, rank change and case mix.
Text cells that a spreadsheet would run as a formula (= + - @ …) get a leading apostrophe."""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Font

from control_plane.benchmarking.selectors import League

FORMULA_START = frozenset("=+-@\t\r")


def _safe(cell):
    return "'" + cell if isinstance(cell, str) and cell[:1] in FORMULA_START else cell


def header() -> list[str]:
    return [
        pgettext("league position", "Rank"),
        _("Previous rank"),
        _("Places gained"),
        _("Tenant"),
        _("Subdomain"),
        _("Region code"),
        _("Province"),
        _("Numerator"),
        _("Denominator (n)"),
        _("Value (%)"),
        _("95% interval from (%)"),
        _("95% interval to (%)"),
        _("Ranked"),
        _("Immediate items (即办件), share of transactions"),
        _("Channel mix, share of ratings"),
    ]


def rows(table: League) -> list[list]:
    return [
        [
            r.rank,
            r.previous_rank,
            r.rank_change,
            r.tenant.name,
            r.tenant.slug,
            r.tenant.region_code,
            r.tenant.region_name,
            r.numerator,
            r.denominator,
            r.percent,
            r.low_percent,
            r.high_percent,
            _("yes") if r.ranked else _("no"),
            r.immediate_percent,
            r.channel_mix_text(),
        ]
        for r in table.rows
    ]


def about(table: League) -> list[tuple[str, str]]:
    spec = table.spec
    return [
        (_("Indicator"), str(spec.label)),
        (_("Numerator"), spec.numerator),
        (_("Denominator"), spec.denominator),
        (_("Peer group"), str(table.group_label)),
        (_("From"), table.period.start.isoformat()),
        (_("To"), table.period.end.isoformat()),
        (_("Rank changes against"), f"{table.previous.start.isoformat()} – {table.previous.end.isoformat()}"),
        (_("Minimum sample"), str(table.min_sample)),
        (_("Default ratings left out"), _("yes") if table.exclude_defaults else _("no")),
        (
            _("Ranking rule"),
            _("upper end of the 95% Wilson interval, ascending (lower is better)")
            if spec.lower_is_better
            else _("lower end of the 95% Wilson interval, descending (higher is better)"),
        ),
    ]


def league_csv(table: League) -> bytes:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([_safe(c) for c in header()])
    for row in rows(table):
        writer.writerow([_safe(c) for c in row])
    return buffer.getvalue().encode()


def league_xlsx(table: League) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _("League table")[:31]
    sheet.append([_safe(c) for c in header()])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows(table):
        sheet.append([_safe(c) for c in row])
    sheet.freeze_panes = "A2"
    info = book.create_sheet(_("About")[:31])
    for key, value in about(table):
        info.append([_safe(key), _safe(value)])
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()
