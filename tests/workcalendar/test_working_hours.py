"""Deadlines, elapsed working time and reminder moments counted in working hours (09:00–12:00, 13:30–17:30,
7 hours a day) on the real national schedule."""

from datetime import date, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent
from tenants.workcalendar.models import WorkingHours
from tenants.workcalendar.services import (
    calendar_override_set,
    deadline_at,
    hours_before,
    work_calendar,
    working_hours_between,
    working_hours_set,
)
from tests.workcalendar.conftest import at, end_of, hours_calendar

CAL = hours_calendar()
SEVEN = timedelta(hours=7)


@pytest.mark.parametrize(
    ("start", "days", "deadline"),
    [
        (at(2026, 3, 3, 16), 1, at(2026, 3, 4, 16)),  # Tuesday 16:00 → Wednesday 16:00
        (at(2026, 3, 3, 7, 30), 1, at(2026, 3, 3, 17, 30)),  # before opening: the whole of Tuesday
        (at(2026, 3, 3, 9), 1, at(2026, 3, 3, 17, 30)),  # at opening: ends at that day's close
        (at(2026, 3, 3, 12, 30), 1, at(2026, 3, 4, 12)),  # during lunch: from 13:30
        (at(2026, 3, 3, 11), 1, at(2026, 3, 4, 11)),  # lunch does not count: still 11:00 next day
        (at(2026, 3, 3, 17, 30), 1, at(2026, 3, 4, 17, 30)),  # at closing
        (at(2026, 3, 3, 19), 1, at(2026, 3, 4, 17, 30)),  # after closing: the whole of Wednesday
        (at(2026, 3, 6, 15), 1, at(2026, 3, 9, 15)),  # Friday afternoon across the weekend
        (at(2026, 3, 7, 10), 1, at(2026, 3, 9, 17, 30)),  # Saturday: from Monday's opening
        (at(2026, 3, 3, 16), 5, at(2026, 3, 10, 16)),
        (at(2026, 3, 3, 16), 15, at(2026, 3, 24, 16)),
        # Spring Festival 2026: Friday before the make-up Saturday
        (at(2026, 2, 13, 16), 1, at(2026, 2, 14, 16)),
        (at(2026, 2, 13, 16), 2, at(2026, 2, 24, 16)),
        (at(2026, 2, 14, 18), 1, at(2026, 2, 24, 17, 30)),  # after closing on the make-up Saturday
        # Spring Festival 2025
        (at(2025, 1, 27, 10), 1, at(2025, 2, 5, 10)),
        (at(2025, 1, 24, 16), 1, at(2025, 1, 26, 16)),  # Friday → the make-up Sunday
        # National Day 2025: a start on a holiday starts at the next opening
        (at(2025, 10, 3, 10), 1, at(2025, 10, 9, 17, 30)),
        (at(2025, 9, 30, 16), 1, at(2025, 10, 9, 16)),
        (at(2025, 9, 30, 16), 3, at(2025, 10, 11, 16)),  # make-up Saturday
        # year boundary: 2026-01-01..03 off, Sunday 01-04 a make-up day
        (at(2025, 12, 31, 16), 1, at(2026, 1, 4, 16)),
        (at(2025, 12, 31, 16), 2, at(2026, 1, 5, 16)),
    ],
)
def test_deadline_in_working_hours(start, days, deadline):
    assert deadline_at(start, days, calendar=CAL) == deadline


def test_zero_days_is_the_close_of_the_current_working_day():
    assert deadline_at(at(2026, 3, 3, 10), 0, calendar=CAL) == at(2026, 3, 3, 17, 30)
    assert deadline_at(at(2026, 3, 3, 18), 0, calendar=CAL) == at(2026, 3, 4, 17, 30)
    assert deadline_at(at(2025, 10, 1, 10), 0, calendar=CAL) == at(2025, 10, 9, 17, 30)


def test_a_single_span_day():
    cal = hours_calendar(spans=((time(8, 30), time(17, 0)),))
    assert cal.day_length == timedelta(hours=8, minutes=30)
    assert deadline_at(at(2026, 3, 3, 12), 1, calendar=cal) == at(2026, 3, 4, 12)
    assert deadline_at(at(2026, 3, 6, 16), 1, calendar=cal) == at(2026, 3, 9, 16)


def test_overrides_in_working_hours():
    cal = hours_calendar(overrides={date(2026, 3, 4): False, date(2026, 3, 7): True})
    assert deadline_at(at(2026, 3, 3, 16), 1, calendar=cal) == at(2026, 3, 5, 16)  # Wednesday off
    assert deadline_at(at(2026, 3, 6, 16), 1, calendar=cal) == at(2026, 3, 7, 16)  # Saturday worked


@pytest.mark.parametrize(
    ("deadline", "hours", "moment"),
    [
        (at(2026, 3, 4, 16), 2, at(2026, 3, 4, 14)),
        (at(2026, 3, 4, 14), 2, at(2026, 3, 4, 10, 30)),  # across lunch
        (at(2026, 3, 4, 10), 4, at(2026, 3, 3, 14, 30)),  # across a night
        (at(2026, 3, 4, 10), 1, at(2026, 3, 4, 9)),  # exactly to the opening
        (at(2026, 3, 9, 10), 4, at(2026, 3, 6, 14, 30)),  # across a weekend
        (at(2026, 3, 4, 20), 1, at(2026, 3, 4, 16, 30)),  # a deadline after closing counts from the close
        (at(2025, 10, 9, 10), 4, at(2025, 9, 30, 14, 30)),  # across National Day week
        (at(2026, 2, 24, 10), 4, at(2026, 2, 14, 14, 30)),  # across Spring Festival to the make-up Saturday
        (at(2026, 1, 4, 10), 2, at(2025, 12, 31, 16, 30)),  # across New Year, year boundary
        (at(2026, 3, 4, 16), 7, at(2026, 3, 3, 16)),  # one whole working day
        (at(2026, 3, 4, 16), 0, at(2026, 3, 4, 16)),
    ],
)
def test_hours_before_a_deadline(deadline, hours, moment):
    assert hours_before(deadline, hours, calendar=CAL) == moment


def test_hours_before_takes_a_timedelta_and_refuses_negative():
    assert hours_before(at(2026, 3, 4, 16), timedelta(minutes=90), calendar=CAL) == at(2026, 3, 4, 14, 30)
    with pytest.raises(ValueError, match="hours"):
        hours_before(at(2026, 3, 4, 16), -1, calendar=CAL)


def test_hours_before_without_working_hours_counts_every_hour_of_working_days():
    cal = hours_calendar(spans=())
    # Tuesday 00:00 less 36 hours: all of Monday, nothing of the weekend, half of Friday
    assert hours_before(at(2026, 3, 10), 36, calendar=cal) == at(2026, 3, 6, 12)
    # across National Day: the 12 hours before 10-09 noon reach back to noon... on 10-09 itself
    assert hours_before(at(2025, 10, 9, 12), 12, calendar=cal) == at(2025, 10, 9)
    assert hours_before(at(2025, 10, 9, 12), 24, calendar=cal) == at(2025, 9, 30, 12)
    assert hours_before(end_of(2026, 3, 9), 4, calendar=cal) == end_of(2026, 3, 9) - timedelta(hours=4)


@pytest.mark.parametrize(
    ("start", "end", "elapsed"),
    [
        (at(2026, 3, 3, 16), at(2026, 3, 4, 16), SEVEN),
        (at(2026, 3, 3, 8), at(2026, 3, 3, 20), SEVEN),
        (at(2026, 3, 3, 11), at(2026, 3, 3, 14), timedelta(hours=1, minutes=30)),  # lunch excluded
        (at(2026, 3, 6, 15), at(2026, 3, 9, 15), SEVEN),  # weekend excluded
        (at(2026, 2, 13, 16), at(2026, 2, 24, 16), 2 * SEVEN),  # make-up Saturday counted, festival not
        (at(2025, 9, 30, 16), at(2025, 10, 11, 16), 3 * SEVEN),
        (at(2026, 3, 4, 16), at(2026, 3, 3, 16), -SEVEN),
        (at(2026, 3, 7, 10), at(2026, 3, 8, 10), timedelta()),
    ],
)
def test_working_time_between(start, end, elapsed):
    assert working_hours_between(start, end, calendar=CAL) == elapsed


def test_deadline_and_elapsed_time_agree():
    # from every half hour of a week spanning the National Day holidays, N working days are N × 7 hours away,
    # and the reminder N × 7 hours before the deadline is the start itself (or its next opening)
    start = at(2025, 9, 26, 0)
    for step in range(0, 8 * 48):
        moment = start + timedelta(minutes=30 * step)
        for days in (1, 2, 5):
            deadline = deadline_at(moment, days, calendar=CAL)
            assert working_hours_between(moment, deadline, calendar=CAL) == days * SEVEN
            back = hours_before(deadline, days * 7, calendar=CAL)
            assert working_hours_between(moment, back, calendar=CAL) == timedelta()
            assert back >= moment


def test_tenant_working_hours_are_stored_cached_and_audited(alpha, beta, django_assert_num_queries):
    with schema_context(alpha.schema):
        assert not WorkingHours.current().enabled
        assert deadline_at(at(2026, 3, 3, 16), 1) == end_of(2026, 3, 4)  # off by default
        working_hours_set(
            actor=Actor.system("t"),
            enabled=True,
            morning_start=time(9),
            morning_end=time(12),
            afternoon_start=time(13, 30),
            afternoon_end=time(17, 30),
        )
        assert deadline_at(at(2026, 3, 3, 16), 1) == at(2026, 3, 4, 16)
        assert AuditEvent.objects.filter(action="calendar.working_hours").count() == 1
        # read once, then no database query however many deadlines are computed
        work_calendar()
        with django_assert_num_queries(0):
            cal = work_calendar()
            for n in range(2000):
                deadline_at(at(2026, 1, 5, 9) + timedelta(minutes=7 * n), 15, calendar=cal)
        with django_assert_num_queries(0):
            deadline_at(at(2026, 3, 3, 16), 1)
        # an override takes effect at once in the cached calendar
        calendar_override_set(actor=Actor.system("t"), day=date(2026, 3, 4), is_workday=False)
        assert deadline_at(at(2026, 3, 3, 16), 1) == at(2026, 3, 5, 16)
    with schema_context(beta.schema):
        assert deadline_at(at(2026, 3, 3, 16), 1) == end_of(2026, 3, 4)


@pytest.mark.parametrize(
    ("times", "field"),
    [
        ((time(12), time(9), None, None), "morning_end"),
        ((time(9), time(12), time(11), time(17)), "afternoon_start"),
        ((time(9), time(12), time(13, 30), None), "afternoon_end"),
        ((time(9), time(12), time(17), time(13)), "afternoon_end"),
    ],
)
def test_working_hours_are_validated(alpha, times, field):
    with schema_context(alpha.schema):
        with pytest.raises(ValidationError) as caught:
            working_hours_set(
                actor=Actor.system("t"),
                enabled=True,
                morning_start=times[0],
                morning_end=times[1],
                afternoon_start=times[2],
                afternoon_end=times[3],
            )
        assert field in caught.value.message_dict
        assert not WorkingHours.objects.exists()
