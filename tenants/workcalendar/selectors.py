from datetime import date

import chinese_calendar
from django.utils.translation import gettext_lazy as _

# chinese-calendar names its holidays in English; these are the labels shown.
HOLIDAY_LABELS = {
    "New Year's Day": _("New Year's Day"),
    "Spring Festival": _("Spring Festival"),
    "Tomb-sweeping Day": _("Tomb-sweeping Day"),
    "Labour Day": _("Labour Day"),
    "Dragon Boat Festival": _("Dragon Boat Festival"),
    "National Day": _("National Day"),
    "Mid-autumn Festival": _("Mid-autumn Festival"),
}


def national_days(year: int) -> list[tuple[date, str, bool]]:
    """The national schedule's exceptions in a year: (day, holiday label, is a working day) for every
    holiday and every make-up working day on a weekend; [] for a year the library does not cover."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    try:
        holidays = chinese_calendar.get_holidays(first, last, include_weekends=False)
        workdays = chinese_calendar.get_workdays(first, last, include_weekends=True)
    except NotImplementedError:
        return []
    rows = [(d, False) for d in holidays] + [(d, True) for d in workdays if d.weekday() >= 5]
    labelled = []
    for day, working in sorted(rows):
        name = chinese_calendar.get_holiday_detail(day)[1] or ""
        labelled.append((day, HOLIDAY_LABELS.get(name, name), working))
    return labelled
