"""Reading and writing the tabular files of imports and exports.

CSV is read as UTF-8 (with or without BOM) or, failing that, GB18030 (what Excel saves on Chinese Windows);
it is written as UTF-8 with a BOM so that Excel opens Chinese text correctly. XLSX is read and written with
openpyxl in its streaming modes, so 130,000 rows never sit in memory as cell objects.
"""

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill

MAX_UPLOAD_BYTES = 64 * 1024 * 1024
CSV_ENCODINGS = ("utf-8-sig", "gb18030")
# A cell starting with one of these is a formula to a spreadsheet: neutralised on export (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0"


def detect_format(filename: str, data: bytes) -> str:
    """ "csv" or "xlsx", from the content (the name can lie); refuses old .xls and empty files."""
    if not data.strip():
        raise ValidationError(_("The file is empty."), code="empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The file is larger than %(mb)s MB; split it into several files.")
            % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)},
            code="too_large",
        )
    if data.startswith(_XLS_MAGIC):
        raise ValidationError(
            _("This is an old Excel 97–2003 (.xls) file. Save it as .xlsx or CSV and upload it again."),
            code="xls",
        )
    if data.startswith(_XLSX_MAGIC):
        return "xlsx"
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise ValidationError(_("The file is not a valid .xlsx workbook."), code="bad_xlsx")
    return "csv"


def csv_encoding(data: bytes) -> str:
    """The encoding a CSV file is in, checked over the whole file in pieces (no decoded copy is kept)."""
    for encoding in CSV_ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for start in range(0, len(data), 1 << 20):
                decoder.decode(data[start : start + (1 << 20)])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise ValidationError(_("The CSV file is neither UTF-8 nor GB18030 text."), code="encoding")


def cell_text(value) -> str:
    """Any cell value as the text a person typed; whole-number floats lose their “.0”."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).replace("\r\n", "\n").strip()
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        text = text[1:]  # our own export's guard against formulas, undone
    return text


class Table:
    """The rows of an uploaded file, as lists of text, header rows included."""

    def __init__(self, data: bytes, file_format: str, encoding: str = ""):
        self.data, self.format, self.encoding = data, file_format, encoding
        if file_format == "csv":
            self.encoding = encoding or csv_encoding(data)
        else:
            try:
                self._book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
                raise ValidationError(_("The file is not a valid .xlsx workbook."), code="bad_xlsx") from exc
            if not self._book.worksheets:
                raise ValidationError(_("The workbook has no sheet."), code="bad_xlsx")
            self._sheet = self._book.worksheets[0]
            self._sheet.reset_dimensions()  # never trust the stored size: read every row

    def _csv_reader(self):
        # Decoded as it is read: a 50 MB file never sits in memory a second time as text.
        return csv.reader(io.TextIOWrapper(io.BytesIO(self.data), encoding=self.encoding, newline=""))

    def rows(self) -> Iterator[list[str]]:
        if self.format == "csv":
            for row in self._csv_reader():
                yield [cell_text(c) for c in row]
        else:
            for row in self._sheet.iter_rows(values_only=True):
                yield [cell_text(c) for c in row]

    def estimated_rows(self) -> int:
        """Rows in the file (header included), cheaply: lines of a CSV, <row> elements of the sheet's XML."""
        if self.format == "csv":
            return sum(1 for _ in self._csv_reader())
        count, tail = 0, b""
        with self._book._archive.open(self._sheet._worksheet_path) as source:
            while chunk := source.read(1 << 20):
                block = tail + chunk
                count += len(re.findall(rb"<(?:\w+:)?row[\s>]", block))
                tail = block[-8:]
                count -= len(re.findall(rb"<(?:\w+:)?row[\s>]", tail))
        return count

    def close(self) -> None:
        if self.format == "xlsx":
            self._book.close()


def _csv_safe(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def csv_bytes(rows: Iterable[list], *, encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([_csv_safe(cell_text(c)) if isinstance(c, str) else c for c in row])
    return buffer.getvalue().encode(encoding, errors="replace")


def csv_lines(rows: Iterable[list]) -> Iterator[str]:
    """CSV text line by line, for a streamed download (BOM first)."""

    class _Echo:
        def write(self, value):
            return value

    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in rows:
        yield writer.writerow([_csv_safe(c) if isinstance(c, str) else c for c in row])


HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DBEAFE")
ERROR_FONT = Font(color="B91C1C", bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")


def _text_cell(sheet, value, *, font=None, fill=None, alignment=None):
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text, never a formula
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if alignment is not None:
        cell.alignment = alignment
    return cell


def xlsx_bytes(sheets: list[dict]) -> bytes:
    """sheets: [{"title", "header": [...], "keys": [...] or None, "rows": iterable, "widths": [...],
    "error_column": index or None}]. The key row (row 2) is hidden; the header row is frozen."""
    book = Workbook(write_only=True)
    for spec in sheets:
        sheet = book.create_sheet(spec["title"])
        for index, width in enumerate(spec.get("widths") or [], start=1):
            sheet.column_dimensions[_column_letter(index)].width = width
        if spec.get("keys"):
            sheet.row_dimensions[2].hidden = True
        sheet.freeze_panes = "A3" if spec.get("keys") else "A2"
        sheet.append([_text_cell(sheet, h, font=HEADER_FONT, fill=HEADER_FILL) for h in spec["header"]])
        if spec.get("keys"):
            sheet.append([_text_cell(sheet, k) for k in spec["keys"]])
        error_column = spec.get("error_column")
        for row in spec["rows"]:
            sheet.append(
                [
                    _text_cell(sheet, v, font=ERROR_FONT if i == error_column and v else None)
                    if isinstance(v, str)
                    else v
                    for i, v in enumerate(row)
                ]
            )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _column_letter(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
