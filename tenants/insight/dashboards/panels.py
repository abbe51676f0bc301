"""Each chart of the dashboards with the data table shown next to it: a `Panel` turns a selector's result into a
`Table` (also its CSV/XLSX download) and the chart data `charts.js` draws (embedded with `json_script`)."""

from dataclasses import dataclass, field

from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from tenants.insight.dashboards.selectors import (
    CASE_RATES,
    DIMENSIONS,
    Coverage,
    Overview,
    Row,
)
from tenants.insight.dashboards.tables import Column, Table
from tenants.insight.selectors import INDICATORS, Indicator

RECTIFICATION = (
    "reply_rate",
    "callback_rectification_rate",
    "rectification_satisfaction_rate",
    "rectification_rate",
    "on_time_rate",
    "realname_callback_rectification_rate",
)
CHART_ROWS = 20  # a bar chart shows the first rows; its table has them all
UNCOVERED_SHOWN = 200  # rows of an uncovered list on the page; its download has them all
BREAKDOWN_SHOWN = (
    500  # rows of a breakdown table on the page (staff or items run to thousands); the download has all
)


@dataclass
class Panel:
    table: Table
    title: str
    description: str  # the chart's accessible name
    chart: dict | None = None  # None: a table without a chart
    note: str = ""
    links: dict[str, str] = field(default_factory=dict)  # format → download URL, filled by the view

    @property
    def name(self) -> str:
        return self.table.name


def _pct(indicator: Indicator) -> float | None:
    return indicator.percent


def _bucket_label(bucket, granularity: str) -> str:
    return bucket.strftime("%Y-%m") if granularity == "month" else bucket.isoformat()


# --- overview --------------------------------------------------------------------------------------------------
def kpi_cards(o: Overview) -> list[dict]:
    return [
        {
            "key": key,
            "label": str(label),
            "indicator": o.indicators[key],
            "percent": o.indicators[key].percent,
        }
        for key, label in INDICATORS.items()
    ]


def overview_panels(o: Overview) -> list[Panel]:
    return [
        _indicators_panel(o),
        _trend_panel(o),
        _channels_panel(o),
        _heatmap_panel(o),
        _rectification_panel(o),
    ]


def _indicators_panel(o: Overview) -> Panel:
    table = Table(
        name="indicators",
        caption=_("Indicators (numerator ÷ denominator)"),
        columns=[
            Column(_("Indicator")),
            Column(_("Value"), "percent"),
            Column(_("Numerator"), "int"),
            Column(_("Denominator"), "int"),
        ],
        rows=[
            [str(label), o.indicators[k].percent, o.indicators[k].numerator, o.indicators[k].denominator]
            for k, label in INDICATORS.items()
        ]
        + [[_("Default ratings (默认评价) share"), o.default_share.percent, o.defaults, o.volume]],
    )
    return Panel(table=table, title=_("Indicators"), description=table.caption)


def _trend_panel(o: Overview) -> Panel:
    heading = {"day": _("Day"), "week": _("Week starting"), "month": _("Month")}[o.granularity]
    table = Table(
        name="trend",
        caption=_("Ratings and rates per %(bucket)s") % {"bucket": str(heading).lower()},
        columns=[
            Column(heading, "date" if o.granularity != "month" else "text"),
            Column(_("Ratings"), "int"),
            Column(_("Good (levels 1–3)"), "int"),
            Column(_("Bad (levels 4–5)"), "int"),
            Column(str(INDICATORS["good_rate"]), "percent"),
            Column(str(INDICATORS["bad_rate"]), "percent"),
            Column(str(INDICATORS["active_good_rate"]), "percent"),
        ],
        rows=[
            [
                p.bucket if o.granularity != "month" else _bucket_label(p.bucket, "month"),
                p.ratings,
                p.good,
                p.bad,
                _pct(p.good_rate),
                _pct(p.bad_rate),
                _pct(p.active_good_rate),
            ]
            for p in o.trend
        ],
    )
    chart = {
        "type": "trend",
        "x": [_bucket_label(p.bucket, o.granularity) for p in o.trend],
        "counts": {"name": _("Ratings"), "data": [p.ratings for p in o.trend]},
        "rates": [
            {"name": str(INDICATORS[key]), "data": [_pct(getattr(p, key)) for p in o.trend]}
            for key in ("good_rate", "bad_rate", "active_good_rate")
        ],
        "countAxis": _("Ratings"),
        "rateAxis": _("Rate (%)"),
    }
    return Panel(
        table=table,
        title=_("Trend"),
        description=_("Line chart: ratings and good, bad and active good-review rates per %(bucket)s.")
        % {"bucket": str(heading).lower()},
        chart=chart,
    )


def _channels_panel(o: Overview) -> Panel:
    table = Table(
        name="channels",
        caption=_("Ratings per channel"),
        columns=[Column(_("Channel")), Column(_("Ratings"), "int"), Column(_("Share"), "percent")],
        rows=[[c.label, c.ratings, c.share.percent] for c in o.channels],
    )
    chart = {"type": "pie", "data": [{"name": c.label, "value": c.ratings} for c in o.channels]}
    return Panel(
        table=table,
        title=_("Channel mix"),
        description=_("Doughnut chart: the share of ratings from each channel."),
        chart=chart if o.channels else None,
        note="" if o.channels else _("No ratings in this period."),
    )


def _heatmap_panel(o: Overview) -> Panel:
    hours = [f"{h:02d}" for h in range(24)]
    days = [str(WEEKDAYS[i]) for i in range(7)]
    grid = o.heatmap or []
    table = Table(
        name="hours",
        caption=_("Ratings by weekday and hour of day"),
        columns=[Column(_("Weekday")), *(Column(h, "int") for h in hours)],
        rows=[[days[d], *grid[d]] for d in range(len(grid))],
    )
    chart = None
    if o.heatmap is not None:
        chart = {
            "type": "heatmap",
            "x": hours,
            "y": days,
            "data": [[h, d, grid[d][h]] for d in range(7) for h in range(24)],
            "max": max((max(row) for row in grid), default=0),
            "xName": _("Hour"),
        }
    return Panel(
        table=table,
        title=_("Hour of day"),
        description=_("Heat map: ratings by weekday (rows) and hour of day (columns)."),
        chart=chart,
        note=""
        if o.heatmap is not None
        else _(
            "The hour of a rating is kept for the whole tenant and per channel only: clear the unit, item and "
            "item type filters to see this chart."
        ),
    )


def _rectification_panel(o: Overview) -> Panel:
    table = Table(
        name="rectification",
        caption=_("Closed-loop rates of bad reviews (差评整改)"),
        columns=[
            Column(_("Indicator")),
            Column(_("Value"), "percent"),
            Column(_("Numerator"), "int"),
            Column(_("Denominator"), "int"),
        ],
        rows=[
            [
                str(INDICATORS[k]),
                o.indicators[k].percent,
                o.indicators[k].numerator,
                o.indicators[k].denominator,
            ]
            for k in RECTIFICATION
        ],
    )
    chart = {
        "type": "hbar",
        "percent": True,
        "categories": [str(INDICATORS[k]) for k in RECTIFICATION],
        "series": [{"name": _("Rate (%)"), "data": [o.indicators[k].percent for k in RECTIFICATION]}],
    }
    return Panel(
        table=table,
        title=_("Rectification"),
        description=_(
            "Bar chart: reply, callback, satisfaction, rectification, on-time and real-name rates."
        ),
        chart=chart,
    )


# --- breakdown -------------------------------------------------------------------------------------------------
def breakdown_panel(rows: list[Row], *, by: str, links: list[str | None]) -> Panel:
    with_cases = rows and rows[0].cases is not None
    case_labels = {
        "reply_rate": INDICATORS["reply_rate"],
        "callback_rectification_rate": INDICATORS["callback_rectification_rate"],
        "rectification_satisfaction_rate": INDICATORS["rectification_satisfaction_rate"],
        "rectification_rate": INDICATORS["rectification_rate"],
        "on_time_rate": INDICATORS["on_time_rate"],
    }
    columns = [
        Column(_("Name")),
        Column(_("Code")),
        Column(_("Ratings"), "int"),
        Column(_("Good (levels 1–3)"), "int"),
        Column(_("Bad (levels 4–5)"), "int"),
        Column(_("Given by the evaluator"), "int"),
        Column(str(INDICATORS["good_rate"]), "percent"),
        Column(str(INDICATORS["bad_rate"]), "percent"),
        Column(str(INDICATORS["active_good_rate"]), "percent"),
    ]
    if with_cases:
        columns += [Column(_("Bad-review cases"), "int")]
        columns += [Column(str(case_labels[k]), "percent") for k in CASE_RATES]
    table_rows = []
    for r in rows:
        cells = [r.name or r.code, r.code, r.ratings, r.good, r.bad, r.given, r.good_rate.percent, r.bad_rate.percent,
                 r.active_good_rate.percent]  # fmt: skip
        if with_cases:
            cells += [r.cases["total"], *(r.case_rates[k].percent for k in CASE_RATES)]
        table_rows.append(cells)
    what = str(DIMENSIONS[by])
    table = Table(
        name=f"by-{by}",
        caption=_("Ratings by %(what)s") % {"what": what.lower()},
        columns=columns,
        rows=table_rows,
        links=links,
        display_limit=BREAKDOWN_SHOWN,
    )
    shown = rows[:CHART_ROWS]
    chart = {
        "type": "hbar",
        "stack": True,
        "categories": [r.name or r.code for r in shown],
        "series": [
            {"name": _("Good (levels 1–3)"), "data": [r.good for r in shown], "colour": 1},
            {"name": _("Bad (levels 4–5)"), "data": [r.bad for r in shown], "colour": 2},
        ],
    }
    return Panel(
        table=table,
        title=_("Ratings by %(what)s") % {"what": what.lower()},
        description=_("Stacked bar chart: good and bad ratings of the %(n)d most rated, by %(what)s.")
        % {"n": len(shown), "what": what.lower()},
        chart=chart if rows else None,
        note="" if rows else _("Nothing here got a rating in this period."),
    )


# --- coverage --------------------------------------------------------------------------------------------------
def coverage_panels(c: Coverage) -> list[Panel]:
    table = Table(
        name="coverage",
        caption=_("Coverage: share with at least one rating in the period"),
        columns=[
            Column(_("What")),
            Column(_("Covered"), "int"),
            Column(_("Total"), "int"),
            Column(_("Share"), "percent"),
            Column(_("Not covered"), "int"),
        ],
        rows=[[s.label, s.covered, s.total, s.share.percent, len(s.uncovered)] for s in c.sets],
    )
    chart = {
        "type": "hbar",
        "percent": True,
        "categories": [s.label for s in c.sets],
        "series": [{"name": _("Covered (%)"), "data": [s.share.percent for s in c.sets]}],
    }
    panels = [
        Panel(
            table=table,
            title=_("Coverage (评价对象全覆盖)"),
            description=_(
                "Bar chart: the share of items, service points, staff and channels that got ratings."
            ),
            chart=chart,
        )
    ]
    for s in c.sets:
        panels.append(
            Panel(
                table=Table(
                    name=f"uncovered-{s.key}",
                    caption=_("%(what)s without ratings") % {"what": s.label},
                    columns=[Column(_("Name")), Column(_("Code"))],
                    rows=[[u.name, u.code] for u in s.uncovered],
                    display_limit=UNCOVERED_SHOWN,
                ),
                title=_("%(what)s without ratings (%(n)d)") % {"what": s.label, "n": len(s.uncovered)},
                description="",
            )
        )
    return panels


def charts_json(panels: list[Panel]) -> dict:
    """The chart data of the page, by panel name (embedded with json_script)."""
    return {p.name: p.chart for p in panels if p.chart is not None}
