"""The rows of a league table as HTML, built in Python.

Why not the template: a county league holds 600 tenants, each row a dozen values; through the template engine
(a variable lookup, localisation and escaping per value, an include for the rank change) the rows alone took
about two thirds of the page's time (bench/bench_benchmarking.py). Here each row is one f-string, every text
value escaped, every label translated once per page. The markup is what the template would write.
"""

from __future__ import annotations

from html import escape

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from control_plane.benchmarking.selectors import CHANNEL_LABELS, League, LeagueRow


def _number(value) -> str:
    return "—" if value is None else str(value)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value}%"


class _Labels:
    """The row labels in the active language, translated once."""

    def __init__(self) -> None:
        self.new = escape(pgettext("rank", "new"))
        self.not_before = escape(_("(not ranked in the previous period)"))
        self.unchanged = escape(_("unchanged"))
        self.inconsistent = escape(_("inconsistent figures"))
        self.immediate = _("Immediate (即办件) %(p)s%%")
        self.was = _("was %(r)s")
        self.channels = {code: str(label) for code, label in CHANNEL_LABELS.items()}

    def change(self, row: LeagueRow) -> str:
        change = row.rank_change
        if change is None:
            if row.ranked:
                return f'<span class="change new">{self.new}</span><span class="visually-hidden">{self.not_before}</span>'
            return "—"
        if change == 0:
            return f'<span class="change same">=</span><span class="visually-hidden">{self.unchanged}</span>'
        moved = abs(change)
        if change > 0:
            css, arrow, said = "up", "▲", ngettext("up %(n)s place", "up %(n)s places", moved) % {"n": moved}
        else:
            css, arrow, said = (
                "down",
                "▼",
                ngettext("down %(n)s place", "down %(n)s places", moved) % {"n": moved},
            )
        was = self.was % {"r": row.previous_rank}
        return (
            f'<span class="change {css}" aria-hidden="true">{arrow} {moved}</span>'
            f'<span class="visually-hidden">{escape(said)}</span> <span class="muted">({escape(was)})</span>'
        )

    def mix(self, row: LeagueRow) -> str:
        parts = []
        if row.immediate_percent is not None:
            parts.append(escape(self.immediate % {"p": row.immediate_percent}))
        if row.channel_shares:
            parts.append(escape(row.channel_mix_text(self.channels)))
        return "<br>".join(parts)


def league_rows(table: League, *, tenant_url: str, query: str) -> tuple[str, str]:
    """(ranked rows, unranked rows) as <tr> elements for the league page's two tables."""
    labels = _Labels()
    query = escape(query)
    ranked, unranked = [], []
    for row in table.ranked:
        tenant = row.tenant
        slug = escape(tenant.slug)
        ranked.append(
            f'<tr data-slug="{slug}" data-rank="{row.rank}"><td class="rank">{row.rank}</td>'
            f"<td>{labels.change(row)}</td>"
            f'<th scope="row"><a href="{escape(tenant_url)}{slug}/?{query}">{escape(tenant.name)}</a></th>'
            f'<td>{escape(tenant.region_code)} <span class="muted">{escape(tenant.region_name)}</span></td>'
            f'<td class="num">{row.denominator}</td><td class="num">{row.numerator}</td>'
            f'<td class="num">{_percent(row.percent)}</td>'
            f'<td class="interval">{_percent(row.low_percent)} – {_percent(row.high_percent)}</td>'
            f'<td class="mix">{labels.mix(row)}</td></tr>'
        )
    for row in table.unranked:
        tenant = row.tenant
        slug = escape(tenant.slug)
        badge = f' <span class="badge bad">{labels.inconsistent}</span>' if row.inconsistent else ""
        interval = (
            f"{_percent(row.low_percent)} – {_percent(row.high_percent)}"
            if row.low_percent is not None
            else "—"
        )
        unranked.append(
            f'<tr data-slug="{slug}">'
            f'<th scope="row"><a href="{escape(tenant_url)}{slug}/?{query}">{escape(tenant.name)}</a>{badge}</th>'
            f'<td>{escape(tenant.region_code)} <span class="muted">{escape(tenant.region_name)}</span></td>'
            f'<td class="num">{row.denominator}</td><td class="num">{row.numerator}</td>'
            f'<td class="num">{_percent(row.percent)}</td><td class="interval">{interval}</td>'
            f'<td class="mix">{labels.mix(row)}</td></tr>'
        )
    return "\n".join(ranked), "\n".join(unranked)
