"""The one working-day calendar: national holidays and 调休 make-up days from `chinese-calendar` (the State
Council's yearly schedule), plus each tenant's overrides. Everything with a deadline uses it."""

from datetime import date, timedelta

import chinese_calendar
from django.core.cache import cache
from django.db import connection, transaction

from tenants.accounts.actors import Actor
from tenants.accounts.services import audit_record
from tenants.workcalendar.models import CalendarOverride

_CACHE_SECONDS = 300


def _overrides_key() -> str:
    return f"workcalendar:overrides:{connection.schema_name}"


def tenant_overrides() -> dict[date, bool]:
    cached = cache.get(_overrides_key())
    if cached is None:
        cached = {d.isoformat(): w for d, w in CalendarOverride.objects.values_list("day", "is_workday")}
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
    cache.delete(_overrides_key())
    transaction.on_commit(lambda: cache.delete(_overrides_key()))
    return override
