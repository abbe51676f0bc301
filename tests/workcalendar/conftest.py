"""Helpers for the calendar tests: local moments, calendars built in memory, signed-in clients."""

from datetime import datetime, time

from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.services import user_create
from tenants.workcalendar.services import WorkCalendar
from tests.conftest import PASSWORD, host_client

GOVERNMENT_HOURS = ((time(9, 0), time(12, 0)), (time(13, 30), time(17, 30)))  # 7 hours a day


def at(*args) -> datetime:
    """A moment in the tenant's local time (Asia/Shanghai)."""
    return datetime(*args, tzinfo=timezone.get_default_timezone())


def end_of(*args) -> datetime:
    return datetime.combine(datetime(*args).date(), time.max, tzinfo=timezone.get_default_timezone())


def hours_calendar(overrides=None, spans=GOVERNMENT_HOURS) -> WorkCalendar:
    return WorkCalendar(overrides=overrides or {}, spans=spans)


def signed_in(info, role: str):
    with schema_context(info.schema):
        user = user_create(
            actor=Actor.system("tests"),
            email=f"{role}-cal@{info.tenant.slug}.example",
            role=role,
            password=PASSWORD,
        )
    client = host_client(info.host, HTTP_ACCEPT_LANGUAGE="en")  # assertions read English
    with schema_context(info.schema):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client
