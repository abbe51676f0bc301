"""A data table shown next to a chart, and the same table as a CSV or XLSX download.

Reusable: build a `Table` (raw values: numbers stay numbers), render it with the template
`insight/dashboards/_table.html`, and answer `?download=csv|xlsx&table=<name>` with `table_download`.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.text import slugify

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # spreadsheets would run such text as a formula


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = "text"  # text | int | percent (a number 0–100) | date


@dataclass
class Table:
    name: str  # the `table=` of its download, a slug
    caption: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)  # raw cells: str, int, float (percent), date or None
    links: list[str | None] = field(
        default_factory=list
    )  # per row: where its first cell links to (HTML only)
    display_limit: int | None = None  # the page shows this many rows at most; downloads have them all

    @property
    def truncated(self) -> bool:
        return self.display_limit is not None and len(self.rows) > self.display_limit

    def display_rows(self) -> list[dict]:
        """Rows for the page (up to `display_limit`): each cell formatted, with the row's link."""
        rows = self.rows if self.display_limit is None else self.rows[: self.display_limit]
        return [
            {
                "cells": [
                    {"text": _display(value, column.kind), "numeric": column.kind in ("int", "percent")}
                    for value, column in zip(row, self.columns, strict=True)
                ],
                "link": self.links[i] if i < len(self.links) else None,
            }
            for i, row in enumerate(rows)
        ]

    def header(self) -> list[str]:
        return [f"{c.label} (%)" if c.kind == "percent" else str(c.label) for c in self.columns]

    def export_rows(self) -> list[list]:
        return [
            [_export(value, column.kind) for value, column in zip(row, self.columns, strict=True)]
            for row in self.rows
        ]


def _display(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "percent":
        return f"{value:.2f}%"
    if kind == "date":
        return value.isoformat()
    return str(value)


def _export(value, kind: str):
    if value is None:
        return ""
    if kind == "percent":
        return round(value, 2)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    if isinstance(value, date) or kind == "date":
        return value
    return value if isinstance(value, int | float) else str(value)


def table_response(table: Table, *, fmt: str, filename: str) -> HttpResponse:
    """The table as a CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese right) or XLSX
    attachment; `filename` without extension."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(table.header())
        writer.writerows(table.export_rows())
        body: bytes = ("\ufeff" + buffer.getvalue()).encode()
    elif fmt == "xlsx":
        body = _xlsx(table)
    else:
        raise ValueError(f"unknown format {fmt!r}")
    response = HttpResponse(body, content_type=FORMATS[fmt])
    response["Content-Disposition"] = content_disposition_header(True, f"{filename}.{fmt}")
    return response


def _xlsx(table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=slugify(table.name)[:31] or "table")
    bold = Font(bold=True)
    header = []
    for label in table.header():
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    formats = {"percent": "0.00", "date": "yyyy-mm-dd", "int": "0"}
    for row in table.export_rows():
        cells = []
        for value, column in zip(row, table.columns, strict=True):
            cell = WriteOnlyCell(sheet, value=value)
            if column.kind in formats and value != "":
                cell.number_format = formats[column.kind]
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def table_download(request: HttpRequest, tables: list[Table], *, filename: str) -> HttpResponse | None:
    """Answer `?download=csv|xlsx&table=<name>` from `tables` (404 for an unknown table or format); None when the
    request is not a download. The file is named `<filename>-<table>.<format>`."""
    fmt = request.GET.get("download")
    if not fmt:
        return None
    by_name = {t.name: t for t in tables}
    table = by_name.get(request.GET.get("table", ""))
    if fmt not in FORMATS or table is None:
        raise Http404("no such table or format")
    return table_response(table, fmt=fmt, filename=f"{filename}-{table.name}")
