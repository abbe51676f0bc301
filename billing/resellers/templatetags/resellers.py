"""Amounts in fen shown as yuan (¥1,234.50)."""

from django import template

register = template.Library()


@register.filter
def yuan(fen) -> str:
    if fen is None or fen == "":
        return "—"
    sign = "-" if fen < 0 else ""
    return f"{sign}¥{abs(fen) / 100:,.2f}"
