"""The one working-day calendar: national holidays and 调休 make-up days from `chinese-calendar` (the State
Council's yearly schedule), plus each tenant's overrides and, where the tenant sets them, working hours.
Everything with a deadline uses it.

Deadlines are aware datetimes in the tenant's local time (settings.TIME_ZONE):
- without working hours, N working days after a moment end at the end (23:59:59.999999) of the Nth
  working day after that moment's date (`add_working_days`);
- with working hours, N working days are N times the length of a working day of working time, counted
  from the moment (a moment outside the hours starts at the next opening).

Hot paths (reminder sweeps over thousands of cases) read the calendar once with `work_calendar()` and pass
it as `calendar=`; without it each call reads the cached calendar (one cache round trip, no DB query).
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

import chinese_calendar
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from tenants.accounts.actors import Actor
from tenants.accounts.services import audit_record
from tenants.workcalendar.models import CalendarOverride, WorkingHours

_CACHE_SECONDS = 300
# No calendar goes this long without working time; a longer search is a bug, not a long holiday.
_MAX_DAYS = 3660
_WHOLE_DAY = timedelta(days=1)


def _overrides_key() -> str:
    return f"workcalendar:overrides:{connection.schema_name}"


def _hours_key() -> str:
    return f"workcalendar:hours:{connection.schema_name}"


def _overrides_cached() -> dict[str, bool]:
    return {d.isoformat(): w for d, w in CalendarOverride.objects.values_list("day", "is_workday")}


def _hours_cached() -> dict:
    hours = WorkingHours.current()
    spans = [[s.isoformat(), e.isoformat()] for s, e in hours.spans()] if hours.enabled else []
    return {"spans": spans}


def tenant_overrides() -> dict[date, bool]:
    cached = cache.get(_overrides_key())
    if cached is None:
        cached = _overrides_cached()
        cache.set(_overrides_key(), cached, _CACHE_SECONDS)
    return {date.fromisoformat(d): w for d, w in cached.items()}


def national_schedule_known(year: int) -> bool:
    """False for a year whose State Council schedule the installed chinese-calendar does not carry yet."""
    try:
        chinese_calendar.is_workday(date(year, 1, 2))
    except NotImplementedError:
        return False
    return True


def is_workday(day: date, overrides: dict[date, bool] | None = None) -> bool:
    """Tenant override first, then the national schedule; for a year the schedule does not cover yet,
    Monday to Friday (the tenant adds that year's holidays as overrides until the library catches up)."""
    overrides = tenant_overrides() if overrides is None else overrides
    if day in overrides:
        return overrides[day]
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def add_working_days(start: date, days: int, overrides: dict[date, bool] | None = None) -> date:
    """The deadline `days` working days after `start`, counted from the day after it (0 → `start`)."""
    if days < 0:
        raise ValueError("days must be >= 0")
    overrides = tenant_overrides() if overrides is None else overrides
    current, remaining = start, days
    while remaining:
        current += timedelta(days=1)
        if is_workday(current, overrides):
            remaining -= 1
    return current


def working_days_between(start: date, end: date, overrides: dict[date, bool] | None = None) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    overrides = tenant_overrides() if overrides is None else overrides
    count, current = 0, start
    while current < end:
        current += timedelta(days=1)
        count += is_workday(current, overrides)
    return count


# --- the calendar with working hours -------------------------------------------------------------------
@dataclass(frozen=True)
class WorkCalendar:
    """One tenant's calendar, read once: overrides, working-hour spans (empty: whole days) and time zone."""

    overrides: dict[date, bool] = field(default_factory=dict)
    spans: tuple[tuple[time, time], ...] = ()
    tz: tzinfo = field(default_factory=timezone.get_default_timezone)

    @property
    def has_hours(self) -> bool:
        return bool(self.spans)

    @property
    def day_length(self) -> timedelta:
        """Working time in one working day: the spans' total, or 24 hours without working hours."""
        if not self.spans:
            return _WHOLE_DAY
        return sum((_seconds(e) - _seconds(s) for s, e in self.spans), timedelta())

    def is_workday(self, day: date) -> bool:
        return is_workday(day, self.overrides)

    def intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working intervals of one day, in order (none on a day off)."""
        if not self.is_workday(day):
            return []
        if not self.spans:
            return [(_at(day, time.min, self.tz), _at(day + _WHOLE_DAY, time.min, self.tz))]
        return [(_at(day, s, self.tz), _at(day, e, self.tz)) for s, e in self.spans]


def _seconds(t: time) -> timedelta:
    return timedelta(hours=t.hour, minutes=t.minute, seconds=t.second, microseconds=t.microsecond)


def _at(day: date, t: time, tz: tzinfo) -> datetime:
    return datetime.combine(day, t, tzinfo=tz)


def work_calendar() -> WorkCalendar:
    """The current tenant's calendar: overrides and working hours from the cache (one round trip), the
    database only when the cache is cold."""
    keys = (_overrides_key(), _hours_key())
    found = cache.get_many(keys)
    overrides, hours = found.get(keys[0]), found.get(keys[1])
    missing = {}
    if overrides is None:
        overrides = missing[keys[0]] = _overrides_cached()
    if hours is None:
        hours = missing[keys[1]] = _hours_cached()
    if missing:
        cache.set_many(missing, _CACHE_SECONDS)
    return WorkCalendar(
        overrides={date.fromisoformat(d): w for d, w in overrides.items()},
        spans=tuple((time.fromisoformat(s), time.fromisoformat(e)) for s, e in hours["spans"]),
    )


def _local(moment: datetime, tz: tzinfo) -> datetime:
    if timezone.is_naive(moment):
        raise ValueError("an aware datetime is required")
    return moment.astimezone(tz)


def _forward(cal: WorkCalendar, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Working intervals from `start` on, the first one clipped to begin at `start`."""
    day = start.date()
    for _n in range(_MAX_DAYS):
        for begin, end in cal.intervals(day):
            if end > start:
                yield max(begin, start), end
        day += _WHOLE_DAY
    raise RuntimeError(f"no working time within ten years of {start.isoformat()}")


def _backward(cal: WorkCalendar, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Working intervals before `end`, newest first, the first one clipped to stop at `end`."""
    day = end.date()
    for _n in range(_MAX_DAYS):
        for begin, stop in reversed(cal.intervals(day)):
            if begin < end:
                yield begin, min(stop, end)
        day -= _WHOLE_DAY
    raise RuntimeError(f"no working time within ten years before {end.isoformat()}")


def deadline_at(start: datetime, working_days: int, *, calendar: WorkCalendar | None = None) -> datetime:
    """The moment `working_days` working days after `start` (aware; returned in local time).

    Without working hours: the end of the Nth working day after start's date, counted from the day after
    (a start on a holiday: the first working day after it is day 1; 0 → the end of start's own date).
    With working hours: N working days of working time from `start`; a start outside the hours or on a day
    off starts at the next opening, and time used up exactly at a closing ends there (9:00 + one working
    day → 17:30 the same day). 0 → the close of the working day start falls in (or of the next one).
    """
    if working_days < 0:
        raise ValueError("working_days must be >= 0")
    cal = calendar if calendar is not None else work_calendar()
    start = _local(start, cal.tz)
    if not cal.has_hours:
        day = add_working_days(start.date(), working_days, cal.overrides)
        return _at(day, time.max, cal.tz)
    if working_days == 0:
        begin, _end = next(_forward(cal, start))
        return cal.intervals(begin.date())[-1][1]
    remaining = cal.day_length * working_days
    for begin, end in _forward(cal, start):
        if remaining <= end - begin:
            return begin + remaining
        remaining -= end - begin
    raise AssertionError("unreachable")  # pragma: no cover (_forward raises first)


def working_hours_between(
    start: datetime, end: datetime, *, calendar: WorkCalendar | None = None
) -> timedelta:
    """Working time from `start` to `end` (negative when end is earlier): with working hours the time inside
    them, without them the whole of each working day. Divide by `calendar.day_length` for working days."""
    cal = calendar if calendar is not None else work_calendar()
    start, end = _local(start, cal.tz), _local(end, cal.tz)
    if end < start:
        return -working_hours_between(end, start, calendar=cal)
    total, day = timedelta(), start.date()
    while day <= end.date():
        for begin, stop in cal.intervals(day):
            begin, stop = max(begin, start), min(stop, end)
            if stop > begin:
                total += stop - begin
        day += _WHOLE_DAY
    return total


def hours_before(
    deadline: datetime, hours: float | timedelta, *, calendar: WorkCalendar | None = None
) -> datetime:
    """The latest moment with `hours` of working time left before `deadline` (for reminders): nights, days
    off and lunch breaks do not count. Without working hours, every hour of a working day counts."""
    amount = hours if isinstance(hours, timedelta) else timedelta(hours=hours)
    if amount < timedelta():
        raise ValueError("hours must be >= 0")
    cal = calendar if calendar is not None else work_calendar()
    deadline = _local(deadline, cal.tz)
    if not amount:
        return deadline
    remaining = amount
    for begin, end in _backward(cal, deadline):
        if remaining <= end - begin:
            return end - remaining
        remaining -= end - begin
    raise AssertionError("unreachable")  # pragma: no cover (_backward raises first)


# --- writes ----------------------------------------------------------------------------------------------
def _forget_cached() -> None:
    keys = [_overrides_key(), _hours_key()]
    cache.delete_many(keys)
    # Again after commit, for anyone who read (and cached) the old rows in between.
    transaction.on_commit(lambda: cache.delete_many(keys))


@transaction.atomic
def calendar_override_set(*, actor: Actor, day: date, is_workday: bool, note: str = "") -> CalendarOverride:
    override, _created = CalendarOverride.objects.update_or_create(
        day=day, defaults={"is_workday": is_workday, "note": note[:100]}
    )
    audit_record(
        actor=actor,
        action="calendar.override",
        target=override,
        data={"day": day.isoformat(), "is_workday": is_workday},
    )
    _forget_cached()
    return override


@transaction.atomic
def calendar_override_delete(*, actor: Actor, day: date) -> bool:
    """Back to the national schedule for `day`; False when there was no override."""
    override = CalendarOverride.objects.filter(day=day).first()
    if override is None:
        return False
    audit_record(
        actor=actor,
        action="calendar.override_delete",
        target=override,
        data={"day": day.isoformat(), "is_workday": override.is_workday},
    )
    override.delete()
    _forget_cached()
    return True


@transaction.atomic
def working_hours_set(
    *,
    actor: Actor,
    enabled: bool,
    morning_start: time,
    morning_end: time,
    afternoon_start: time | None = None,
    afternoon_end: time | None = None,
) -> WorkingHours:
    """Set the tenant's working hours (a single span: leave the afternoon empty). Raises ValidationError."""
    hours = WorkingHours.current()
    hours.enabled = enabled
    hours.morning_start, hours.morning_end = morning_start, morning_end
    hours.afternoon_start, hours.afternoon_end = afternoon_start, afternoon_end
    hours.full_clean()
    hours.save()
    audit_record(
        actor=actor,
        action="calendar.working_hours",
        target=hours,
        data={"enabled": enabled, "spans": [[s.isoformat(), e.isoformat()] for s, e in hours.spans()]},
    )
    _forget_cached()
    return hours
