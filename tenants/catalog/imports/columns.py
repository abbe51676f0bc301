"""Columns of an import file: a fixed Chinese header (the data format, like the provincial systems' field
names, so it does not change with the interface language), an English key (the hidden second row), and how a
cell is read."""

import re
from dataclasses import dataclass, field
from datetime import date

from django.utils.functional import Promise
from django.utils.translation import gettext as _

# Lists (materials, steps, channels) are written one per line, or separated by a full-width semicolon.
LIST_SEPARATOR = "；"
_LIST_SPLIT = re.compile(r"[；\n]")
YES = frozenset({"是", "y", "yes", "true", "1", "启用", "在职", "有效"})
NO = frozenset({"否", "n", "no", "false", "0", "停用", "离职", "无效"})


class CellError(ValueError):
    """A cell that cannot be read; the message says how to fix it."""


def split_list(text: str) -> list[str]:
    return [part.strip() for part in _LIST_SPLIT.split(text) if part.strip()]


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    help: Promise | str = ""
    kind: str = "text"  # text | list | int | choice | date | bool
    required: bool = False
    max_length: int | None = None
    min_value: int = 0
    max_value: int = 32767
    # choice: accepted spellings (lower-cased) → stored value; display: stored value → what exports write
    aliases: dict[str, str] = field(default_factory=dict)
    display: dict = field(default_factory=dict)
    default: object = None
    example: str = ""

    @property
    def template_header(self) -> str:
        return f"{self.header}*" if self.required else self.header

    def format_hint(self) -> str:
        if self.kind == "list":
            return _("List: one per line, or separated by “；”")
        if self.kind == "int":
            return _("Whole number from %(low)s to %(high)s") % {
                "low": self.min_value,
                "high": self.max_value,
            }
        if self.kind == "choice":
            return _("One of: %(values)s") % {"values": "、".join(self.display.values())}
        if self.kind == "date":
            return _("Date, e.g. 2025-03-01")
        if self.kind == "bool":
            return _("One of: %(values)s") % {"values": "、".join(self.display.values() or ("是", "否"))}
        if self.max_length:
            return _("Text, at most %(n)s characters") % {"n": self.max_length}
        return _("Text")

    def parse(self, raw: str):
        """The stored value of a cell, or CellError. Empty optional cells give the column's default."""
        text = (raw or "").strip()
        if not text:
            if self.required:
                raise CellError(_("required"))
            return self._empty()
        if self.kind == "text":
            if self.max_length and len(text) > self.max_length:
                raise CellError(_("longer than %(n)s characters") % {"n": self.max_length})
            return text
        if self.kind == "list":
            items = split_list(text)
            if self.max_length and any(len(i) > self.max_length for i in items):
                raise CellError(_("an entry is longer than %(n)s characters") % {"n": self.max_length})
            return items
        if self.kind == "int":
            try:
                number = int(text)
            except ValueError:
                raise CellError(_("“%(value)s” is not a whole number") % {"value": text}) from None
            if not self.min_value <= number <= self.max_value:
                raise CellError(
                    _("must be from %(low)s to %(high)s") % {"low": self.min_value, "high": self.max_value}
                )
            return number
        if self.kind == "choice":
            value = self.aliases.get(text.lower())
            if value is None:
                raise CellError(
                    _("“%(value)s” is not one of %(values)s")
                    % {"value": text, "values": "、".join(self.display.values())}
                )
            return value
        if self.kind == "date":
            try:
                return date.fromisoformat(text.replace("/", "-").replace(".", "-")[:10])
            except ValueError:
                raise CellError(_("“%(value)s” is not a date like 2025-03-01") % {"value": text}) from None
        if self.kind == "bool":
            if text.lower() in YES:
                return True
            if text.lower() in NO:
                return False
            raise CellError(_("write 是 or 否, not “%(value)s”") % {"value": text})
        raise AssertionError(self.kind)

    def _empty(self):
        if self.kind == "list":
            return []
        if self.kind == "text":
            return self.default if self.default is not None else ""
        return self.default

    def render(self, value) -> str:
        """A stored value as an export cell (the inverse of parse)."""
        if value is None:
            return ""
        if self.kind == "list":
            return LIST_SEPARATOR.join(value)
        if self.kind == "choice":
            return self.display.get(value, value)
        if self.kind == "bool":
            return self.display.get(value) or ("是" if value else "否")
        if self.kind == "date":
            return value.isoformat()
        return str(value)


def choice_column(key: str, header: str, mapping: dict[str, tuple[str, ...]], **kwargs) -> Column:
    """A choice column from {stored value: (what exports write, other accepted spellings...)}. The stored
    value itself (an English key like "licensing") is always accepted too."""
    aliases = {}
    for value, spellings in mapping.items():
        for spelling in (value, *spellings):
            aliases[spelling.lower()] = value
    display = {value: spellings[0] for value, spellings in mapping.items()}
    return Column(key=key, header=header, kind="choice", aliases=aliases, display=display, **kwargs)
