"""What one kind of import (service items, units, staff) must say: its columns and how its rows are checked,
written and exported. The machinery in services.py runs any of them."""

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from tenants.catalog.imports.columns import CellError, Column

ERROR_HEADER = "错误"
ERROR_KEY = "error"


@dataclass
class Row:
    number: int  # the row number a spreadsheet shows (1 is the header)
    cells: dict[str, str]  # column key → text of the cell
    values: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def fail(self, column: Column | None, message: str) -> None:
        self.errors.append(f"{column.header}：{message}" if column is not None else message)


class ImportSpec:
    kind: str = ""
    title: Promise | str = ""
    sheet_title: str = ""
    permission: str = ""
    columns: tuple[Column, ...] = ()
    notes: tuple[Promise | str, ...] = ()  # how re-imports behave etc., shown in the template and the page

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    # --- reading ---------------------------------------------------------------------------------------
    def parse(self, row: Row) -> None:
        for column in self.columns:
            try:
                row.values[column.key] = column.parse(row.cells.get(column.key, ""))
            except CellError as exc:
                row.fail(column, str(exc))

    def new_state(self, job) -> dict:
        return {"job": job}

    def check(self, rows: list[Row], state: dict) -> None:
        """Rules across rows and against the database, for one chunk (parse() has run; rows may have errors)."""

    def finish_check(self, state: dict) -> dict[int, list[str]]:
        """Errors only known once every row was seen (e.g. a parent defined further down)."""
        return {}

    # --- writing (inside one database transaction) -----------------------------------------------------------
    def write(self, rows: list[Row], state: dict) -> None:
        raise NotImplementedError

    def finish_write(self, state: dict) -> dict:
        return state.get("counts", {})

    # --- exporting -------------------------------------------------------------------------------------------
    def export_values(self) -> Iterator[dict]:
        """Stored values per row, keyed like the columns."""
        raise NotImplementedError

    def export_rows(self) -> Iterator[list[str]]:
        for values in self.export_values():
            yield [column.render(values.get(column.key)) for column in self.columns]

    def example_row(self) -> list[str]:
        return [column.example for column in self.columns]


def _normalise(name: str) -> str:
    return name.strip().rstrip("*＊").strip().lower()


@dataclass(frozen=True)
class HeaderMap:
    keys: list[str | None]  # per file column: our column key, or None (ignored: e.g. an old 错误 column)
    key_row: bool  # the second row holds the English keys (our templates and exports), not data


def header_map(spec: ImportSpec, header: list[str], second: list[str] | None) -> HeaderMap:
    """Match the file's header cells to the spec's columns by Chinese header or English key; raise a
    ValidationError naming the missing or repeated columns."""
    names = {}
    for column in spec.columns:
        names[_normalise(column.header)] = column.key
        names[_normalise(column.key)] = column.key
    keys = [names.get(_normalise(cell)) for cell in header]
    found = [k for k in keys if k]
    repeated = sorted({k for k in found if found.count(k) > 1})
    if repeated:
        raise ValidationError(
            _("These columns appear twice: %(columns)s.")
            % {"columns": "、".join(spec.column(k).header for k in repeated)},
            code="header",
        )
    missing = [c.header for c in spec.columns if c.required and c.key not in found]
    if missing:
        raise ValidationError(
            _("The first row must name the columns. Missing: %(columns)s. Start from the template file.")
            % {"columns": "、".join(missing)},
            code="header",
        )
    known = {c.key for c in spec.columns} | {ERROR_KEY}
    key_row = (
        second is not None
        and any(cell.strip() for cell in second)
        and all(not cell.strip() or cell.strip().lower() in known for cell in second)
    )
    return HeaderMap(keys=keys, key_row=key_row)
