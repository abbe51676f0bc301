"""Deadline arithmetic on the real national schedule (chinese-calendar), without working hours: a deadline is
the end of the Nth working day after the start's date.

The dates below are the State Council schedules as the installed chinese-calendar carries them:
- Spring Festival 2025: off Tue 01-28 … Tue 02-04; make-up working days Sun 01-26 and Sat 02-08.
- Spring Festival 2026: off Sun 02-15 … Mon 02-23; make-up working days Sat 02-14 and Sat 02-28.
- National Day 2025: off Wed 10-01 … Wed 10-08; make-up working days Sun 09-28 and Sat 10-11.
- New Year 2025: off Wed 01-01 only. New Year 2026: off Thu 01-01 … Sat 01-03; make-up working day Sun 01-04.
"""

from datetime import UTC, date, datetime, timedelta

import chinese_calendar
import pytest
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.workcalendar.services import (
    WorkCalendar,
    add_working_days,
    calendar_override_set,
    deadline_at,
    is_workday,
    national_schedule_known,
    working_hours_between,
)
from tests.workcalendar.conftest import at, end_of


def test_the_schedule_the_tests_rely_on_is_the_installed_one():
    # guard: if a chinese-calendar update changes these days, the expectations below must be revisited
    detail = chinese_calendar.get_holiday_detail
    assert [d for d in _days(2025, 1, 25, 2, 9) if not chinese_calendar.is_workday(d)] == [
        date(2025, 1, 25),
        *_days(2025, 1, 28, 2, 4),
        date(2025, 2, 9),
    ]
    assert detail(date(2025, 1, 26)) == (False, "Spring Festival")  # make-up Sunday
    assert detail(date(2025, 2, 8)) == (False, "Spring Festival")  # make-up Saturday
    assert [d for d in _days(2026, 2, 14, 2, 28) if not chinese_calendar.is_workday(d)] == _days(
        2026, 2, 15, 2, 23
    )
    assert detail(date(2026, 2, 14)) == (False, "Spring Festival") and date(2026, 2, 14).weekday() == 5
    assert detail(date(2026, 2, 28)) == (False, "Spring Festival") and date(2026, 2, 28).weekday() == 5
    assert [d for d in _days(2025, 9, 27, 10, 12) if not chinese_calendar.is_workday(d)] == [
        date(2025, 9, 27),
        *_days(2025, 10, 1, 10, 8),
        date(2025, 10, 12),
    ]
    assert chinese_calendar.is_workday(date(2025, 9, 28)) and chinese_calendar.is_workday(date(2025, 10, 11))
    assert chinese_calendar.is_workday(date(2026, 1, 4))  # Sunday after New Year 2026
    assert not national_schedule_known(2027)


def _days(y1, m1, d1, m2, d2) -> list[date]:
    first, last = date(y1, m1, d1), date(y1, m2, d2)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@pytest.mark.parametrize(
    ("start", "days", "deadline"),
    [
        # Spring Festival 2025
        (date(2025, 1, 24), 1, date(2025, 1, 26)),  # Friday → the make-up Sunday
        (date(2025, 1, 24), 2, date(2025, 1, 27)),
        (date(2025, 1, 27), 1, date(2025, 2, 5)),  # the eight days off are skipped
        (date(2025, 1, 24), 5, date(2025, 2, 7)),
        (date(2025, 2, 7), 1, date(2025, 2, 8)),  # Friday → the make-up Saturday
        (date(2025, 1, 20), 15, date(2025, 2, 14)),  # 15 days: 4 + Sun 01-26 + 01-27 + 3 + Sat 02-08 + 5
        # Spring Festival 2026
        (date(2026, 2, 13), 1, date(2026, 2, 14)),  # Friday → the make-up Saturday
        (date(2026, 2, 13), 2, date(2026, 2, 24)),  # then nine days off
        (date(2026, 2, 12), 5, date(2026, 2, 26)),
        (date(2026, 2, 27), 1, date(2026, 2, 28)),  # the second make-up Saturday
        (date(2026, 2, 27), 2, date(2026, 3, 2)),
        # National Day week 2025 (with the Mid-Autumn Festival on 10-06)
        (date(2025, 9, 26), 1, date(2025, 9, 28)),  # Friday → the make-up Sunday
        (date(2025, 9, 30), 1, date(2025, 10, 9)),
        (date(2025, 9, 30), 3, date(2025, 10, 11)),  # the make-up Saturday after the week
        (date(2025, 9, 30), 4, date(2025, 10, 13)),
        (date(2025, 9, 26), 5, date(2025, 10, 10)),  # feedback within 5 working days
        # a start on a holiday: the first working day after it is day 1
        (date(2025, 10, 3), 1, date(2025, 10, 9)),
        (date(2025, 10, 8), 1, date(2025, 10, 9)),
        (date(2026, 2, 15), 1, date(2026, 2, 24)),
        (date(2025, 2, 1), 0, date(2025, 2, 1)),  # 0: the same day
        # year boundaries
        (date(2024, 12, 31), 1, date(2025, 1, 2)),  # New Year's Day 2025
        (date(2025, 12, 31), 1, date(2026, 1, 4)),  # 01-01..03 off, Sunday 01-04 is a make-up day
        (date(2025, 12, 31), 2, date(2026, 1, 5)),
        (date(2025, 12, 26), 4, date(2026, 1, 4)),  # Friday: 12-29, 12-30, 12-31, Sunday 01-04
    ],
)
def test_deadline_is_the_end_of_the_nth_working_day(alpha, start, days, deadline):
    with schema_context(alpha.schema):
        assert add_working_days(start, days) == deadline
        # any moment of the start day gives the end of the same deadline day
        for hour in (0, 9, 23):
            assert deadline_at(at(start.year, start.month, start.day, hour), days) == end_of(
                deadline.year, deadline.month, deadline.day
            )


def test_make_up_days_count_and_holiday_weekdays_do_not(alpha):
    with schema_context(alpha.schema):
        for day in (
            date(2025, 1, 26),
            date(2025, 2, 8),
            date(2025, 9, 28),
            date(2025, 10, 11),
            date(2026, 2, 14),
        ):
            assert is_workday(day), day
        for day in (
            date(2025, 1, 28),
            date(2025, 10, 6),
            date(2025, 10, 8),
            date(2026, 2, 23),
            date(2026, 1, 2),
        ):
            assert not is_workday(day), day


def test_a_year_the_library_does_not_cover_falls_back_to_monday_to_friday(alpha):
    with schema_context(alpha.schema):
        # 2027-01-01 is a Friday: a working day until the tenant says otherwise
        assert deadline_at(at(2026, 12, 31, 10), 1) == end_of(2027, 1, 1)
        assert deadline_at(at(2027, 1, 1, 10), 1) == end_of(2027, 1, 4)  # weekend skipped
        assert deadline_at(at(2027, 2, 5, 10), 5) == end_of(2027, 2, 12)  # no Spring Festival known


def test_tenant_extra_day_off_and_extra_working_day(alpha, beta):
    with schema_context(alpha.schema):
        # a local holiday on an ordinary Tuesday, and a Saturday worked instead
        calendar_override_set(
            actor=Actor.system("t"), day=date(2026, 3, 10), is_workday=False, note="本地假日"
        )
        calendar_override_set(actor=Actor.system("t"), day=date(2026, 3, 14), is_workday=True, note="补班")
        assert deadline_at(at(2026, 3, 9, 10), 1) == end_of(2026, 3, 11)
        assert deadline_at(at(2026, 3, 13, 10), 1) == end_of(2026, 3, 14)
        # and a tenant's day off for 2027's New Year, which the library does not carry yet
        calendar_override_set(actor=Actor.system("t"), day=date(2027, 1, 1), is_workday=False, note="元旦")
        assert deadline_at(at(2026, 12, 31, 10), 1) == end_of(2027, 1, 4)
        # an override can even cancel a national holiday (a tenant that staffs the hall on 10-08)
        calendar_override_set(actor=Actor.system("t"), day=date(2025, 10, 8), is_workday=True, note="值班")
        assert deadline_at(at(2025, 9, 30, 10), 1) == end_of(2025, 10, 8)
    with schema_context(beta.schema):
        # the other tenant keeps the national schedule
        assert deadline_at(at(2026, 3, 9, 10), 1) == end_of(2026, 3, 10)
        assert deadline_at(at(2026, 3, 13, 10), 1) == end_of(2026, 3, 16)


def test_the_start_is_read_in_local_time(alpha):
    with schema_context(alpha.schema):
        # 2025-09-30 20:00 UTC is already 10-01 04:00 in Beijing, a holiday: day 1 is 10-09
        start = datetime(2025, 9, 30, 20, tzinfo=UTC)
        deadline = deadline_at(start, 1)
        assert deadline == end_of(2025, 10, 9)
        assert deadline.utcoffset() == timedelta(hours=8)
        with pytest.raises(ValueError, match="aware"):
            deadline_at(datetime(2025, 9, 30, 10), 1)  # naive
        with pytest.raises(ValueError, match="working_days"):
            deadline_at(at(2025, 9, 30, 10), -1)


def test_overdue_time_without_working_hours_counts_whole_working_days():
    cal = WorkCalendar()
    # Friday noon → Monday noon: half of Friday and half of Monday
    assert working_hours_between(at(2026, 3, 6, 12), at(2026, 3, 9, 12), calendar=cal) == timedelta(hours=24)
    # across National Day 2025: 09-30 noon → 10-09 noon is one working day
    assert working_hours_between(at(2025, 9, 30, 12), at(2025, 10, 9, 12), calendar=cal) == timedelta(days=1)
    assert working_hours_between(at(2025, 10, 9, 12), at(2025, 9, 30, 12), calendar=cal) == -timedelta(days=1)
    assert cal.day_length == timedelta(days=1)
