"""The working-day calendar: national holidays and 调休 from chinese-calendar, tenant overrides on top."""

from datetime import date

import pytest
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.workcalendar.services import (
    add_working_days,
    calendar_override_set,
    is_workday,
    national_schedule_known,
    working_days_between,
)


@pytest.mark.parametrize(
    ("start", "days", "deadline"),
    [
        (date(2026, 9, 30), 5, date(2026, 10, 13)),  # National Day week, make-up Saturday 10-10 counts
        (date(2026, 2, 13), 3, date(2026, 2, 25)),  # Spring Festival: 调休 Saturday 02-14, then 02-15..23 off
        (date(2026, 10, 3), 1, date(2026, 10, 8)),  # starts on a holiday: the first working day after it
        (date(2026, 10, 9), 0, date(2026, 10, 9)),  # 即办件: same day
        (date(2026, 11, 20), 2, date(2026, 11, 24)),  # an ordinary weekend
    ],
)
def test_add_working_days_on_the_national_schedule(alpha, start, days, deadline):
    with schema_context(alpha.schema):
        assert add_working_days(start, days) == deadline


def test_make_up_saturday_is_a_working_day_and_holiday_weekday_is_not(alpha):
    with schema_context(alpha.schema):
        assert is_workday(date(2026, 10, 10))  # Saturday, 调休
        assert not is_workday(date(2026, 10, 5))  # Monday, National Day


def test_year_boundary_uses_weekdays_until_overrides_fill_the_new_year(alpha):
    with schema_context(alpha.schema):
        assert not national_schedule_known(2027)
        # chinese-calendar does not carry 2027 yet: Monday–Friday until the tenant adds that year's holidays
        assert add_working_days(date(2026, 12, 30), 3) == date(2027, 1, 4)
        calendar_override_set(actor=Actor.system("t"), day=date(2027, 1, 1), is_workday=False, note="元旦")
        assert add_working_days(date(2026, 12, 30), 3) == date(2027, 1, 5)


def test_tenant_overrides_are_the_tenants_own(alpha, beta):
    with schema_context(alpha.schema):
        calendar_override_set(
            actor=Actor.system("t"), day=date(2026, 11, 27), is_workday=False, note="本地假日"
        )
        assert not is_workday(date(2026, 11, 27))
    with schema_context(beta.schema):
        assert is_workday(date(2026, 11, 27))


def test_working_days_between(alpha):
    with schema_context(alpha.schema):
        assert working_days_between(date(2026, 9, 30), date(2026, 10, 13)) == 5
        assert working_days_between(date(2026, 10, 13), date(2026, 9, 30)) == 0
