"""CSV and XLSX out of a stream of rows, with flat memory.

CSV is UTF-8 with a BOM (Excel then reads Chinese correctly), quoted where needed by the csv module, produced
in blocks of bytes that a StreamingHttpResponse sends or a file receives. XLSX uses openpyxl's write-only
mode (rows go straight to the sheet's XML file on disk; a sheet holds at most 1,048,576 rows, so the rows
run on to the next sheet). In both, a text cell starting with = + - @ (or a tab or carriage return) gets a
leading apostrophe: spreadsheets would run it as a formula (CSV/formula injection).
"""

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

BOM = "\ufeff"
FORMULA_START = frozenset("=+-@\t\r")
BLOCK_ROWS = 2000  # rows per block of CSV bytes
XLSX_MAX_ROWS = 1_048_576  # per sheet, the header row included
# characters XML 1.0 cannot carry (openpyxl refuses them)
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

RowsCallback = Callable[[int], None]


def safe_cells(row: list) -> list:
    """The row with every formula-like text cell neutralised (a leading apostrophe)."""
    return [("'" + c if c[:1] in FORMULA_START else c) if type(c) is str else c for c in row]


def csv_blocks(
    header: list[str], rows: Iterable[list], *, on_rows: RowsCallback | None = None
) -> Iterator[bytes]:
    """The CSV file as blocks of UTF-8 bytes: BOM and header first, then BLOCK_ROWS rows per block.
    `on_rows(n)` is called after each block with the number of rows written so far."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow(safe_cells(header))
    count = 0
    for row in rows:
        writer.writerow(safe_cells(row))
        count += 1
        if count % BLOCK_ROWS == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
            if on_rows is not None:
                on_rows(count)
    yield buffer.getvalue().encode()
    if on_rows is not None:
        on_rows(count)


def csv_write(
    path: Path, header: list[str], rows: Iterable[list], *, on_rows: RowsCallback | None = None
) -> int:
    """Write the CSV file; returns the number of data rows."""
    written = 0

    def count(n: int) -> None:
        nonlocal written
        written = n
        if on_rows is not None:
            on_rows(n)

    with path.open("wb") as target:
        for block in csv_blocks(header, rows, on_rows=count):
            target.write(block)
    return written


def xlsx_cells(row: list) -> list:
    """`safe_cells` for a workbook: also without the control characters XML cannot carry (openpyxl refuses
    them), so one odd name never makes a whole file fail."""
    return [
        _ILLEGAL_XML.sub("", "'" + c if c[:1] in FORMULA_START else c) if type(c) is str else c for c in row
    ]


def xlsx_write(
    path: Path,
    header: list[str],
    rows: Iterable[list],
    *,
    title: str,
    on_rows: RowsCallback | None = None,
    every: int = BLOCK_ROWS,
    max_rows: int = XLSX_MAX_ROWS,
) -> int:
    """Write the workbook (write-only: flat memory); returns the number of data rows. Rows beyond a sheet's
    limit continue on "<title> 2", "<title> 3", … each with the header."""
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    sheet, sheets, in_sheet, count = None, 0, max_rows, 0

    def new_sheet():
        nonlocal sheets
        sheets += 1
        created = book.create_sheet(title if sheets == 1 else f"{title} {sheets}")
        created.freeze_panes = "A2"
        cells = []
        for value in xlsx_cells(header):
            cell = WriteOnlyCell(created, value=value)
            cell.font = bold
            cells.append(cell)
        created.append(cells)
        return created

    for row in rows:
        if in_sheet >= max_rows:
            sheet, in_sheet = new_sheet(), 1
        sheet.append(xlsx_cells(row))
        in_sheet += 1
        count += 1
        if on_rows is not None and count % every == 0:
            on_rows(count)
    if sheet is None:
        new_sheet()
    book.save(path)
    if on_rows is not None:
        on_rows(count)
    return count
