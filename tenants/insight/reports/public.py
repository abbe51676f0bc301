"""The public variant of a report (the PDF the portal serves): the portal's small-group rule applied to the
breakdowns. A department or hall with fewer counted ratings in the period than the portal's smallest group
(`PortalSettings.min_group_size`) is not named: its figures are added to one row, "other (样本不足，不单独公示)",
so the rows still add up to the whole while no small group (which could point at single people) stands out."""

from dataclasses import replace

from django.utils.translation import gettext as _

from tenants.insight.reports.selectors import BreakdownRow, ReportFigures


def portal_min_group_size() -> int:
    """The tenant's smallest group shown on the portal (its default when nobody changed the settings)."""
    from tenants.portal.selectors import portal_settings

    return portal_settings().min_group_size


def folded_label() -> str:
    return _("Other (样本不足，不单独公示)")


def fold_small_groups(rows: list[BreakdownRow], *, min_group_size: int, label: str) -> list[BreakdownRow]:
    """The rows with at least `min_group_size` ratings, in their order, then one row summing all the others
    (none when there are none)."""
    shown = [r for r in rows if r.ratings["ratings"] >= min_group_size]
    small = [r for r in rows if r.ratings["ratings"] < min_group_size]
    if not small:
        return shown
    other = BreakdownRow(code="", name=label)
    for row in small:
        for name, value in row.ratings.items():
            other.ratings[name] += value
        for name, value in row.cases.items():
            other.cases[name] += value
    return [*shown, other]


def public_figures(figures: ReportFigures, *, min_group_size: int) -> ReportFigures:
    """The figures with small departments and halls folded (everything else as it is)."""
    label = folded_label()
    return replace(
        figures,
        departments=fold_small_groups(figures.departments, min_group_size=min_group_size, label=label),
        halls=fold_small_groups(figures.halls, min_group_size=min_group_size, label=label),
    )
