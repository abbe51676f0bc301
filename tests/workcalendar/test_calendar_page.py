"""The tenant admin's calendar page: working hours and the tenant's own days (CONFIGURE_CASES)."""

from datetime import date, time

from django_tenants.utils import schema_context

from tenants.accounts.models import AuditEvent
from tenants.workcalendar.models import CalendarOverride, WorkingHours
from tenants.workcalendar.services import deadline_at
from tests.conftest import host_client
from tests.workcalendar.conftest import at, signed_in

URL = "/settings/calendar/"
HOURS = {
    "enabled": "on",
    "morning_start": "08:30",
    "morning_end": "12:00",
    "afternoon_start": "14:00",
    "afternoon_end": "17:30",
}


def test_admin_sets_working_hours_and_deadlines_follow(alpha):
    client = signed_in(alpha, "tenant_admin")
    page = client.get(URL)
    assert page.status_code == 200
    assert "2026-02-14" in page.content.decode()  # the national schedule is shown for reference
    response = client.post(URL, HOURS)
    assert response.status_code == 302
    with schema_context(alpha.schema):
        hours = WorkingHours.current()
        assert hours.enabled and hours.spans() == [(time(8, 30), time(12)), (time(14), time(17, 30))]
        assert AuditEvent.objects.filter(action="calendar.working_hours").exists()
        # 6.5 hours a day: Tuesday 16:00 + 1 working day → Wednesday 16:00
        assert deadline_at(at(2026, 3, 3, 16), 1) == at(2026, 3, 4, 16)


def test_a_single_span_and_invalid_hours(alpha):
    client = signed_in(alpha, "tenant_admin")
    single = {**HOURS, "morning_end": "17:00", "afternoon_start": "", "afternoon_end": ""}
    assert client.post(URL, single).status_code == 302
    with schema_context(alpha.schema):
        assert WorkingHours.current().spans() == [(time(8, 30), time(17))]
    bad = client.post(URL, {**HOURS, "afternoon_start": "11:00"})
    assert bad.status_code == 400
    assert "afternoon must open after the morning closes" in bad.content.decode()
    with schema_context(alpha.schema):
        assert WorkingHours.current().spans() == [(time(8, 30), time(17))]


def test_admin_adds_and_removes_days(alpha, beta):
    client = signed_in(alpha, "tenant_admin")
    response = client.post(URL + "overrides/", {"day": "2026-03-10", "is_workday": "0", "note": "本地假日"})
    assert response.status_code == 302
    client.post(URL + "overrides/", {"day": "2026-03-14", "is_workday": "1", "note": "补班"})
    with schema_context(alpha.schema):
        assert list(CalendarOverride.objects.values_list("day", "is_workday")) == [
            (date(2026, 3, 10), False),
            (date(2026, 3, 14), True),
        ]
    assert "本地假日" in client.get(URL).content.decode()
    assert client.post(URL + "overrides/2026-03-10/delete").status_code == 302
    assert client.post(URL + "overrides/2026-03-11/delete").status_code == 404
    assert client.post(URL + "overrides/not-a-date/delete").status_code == 404
    assert client.post(URL + "overrides/", {"day": "", "is_workday": "0"}).status_code == 400
    with schema_context(alpha.schema):
        assert list(CalendarOverride.objects.values_list("day", flat=True)) == [date(2026, 3, 14)]
        assert AuditEvent.objects.filter(action="calendar.override_delete").count() == 1
    # the other tenant's page shows none of it, and cannot remove it
    other = signed_in(beta, "tenant_admin")
    assert "补班" not in other.get(URL).content.decode()
    assert other.post(URL + "overrides/2026-03-14/delete").status_code == 404
    with schema_context(alpha.schema):
        assert CalendarOverride.objects.filter(day=date(2026, 3, 14)).exists()


def test_other_roles_are_refused(alpha):
    for role in ("supervisor", "officer", "auditor", "window_staff"):
        client = signed_in(alpha, role)
        assert client.get(URL).status_code == 403, role
        assert client.post(URL, HOURS).status_code == 403, role
        assert client.post(URL + "overrides/", {"day": "2026-03-10", "is_workday": "0"}).status_code == 403
    with schema_context(alpha.schema):
        assert not WorkingHours.objects.exists() and not CalendarOverride.objects.exists()
    assert host_client(alpha.host).get(URL).status_code == 302
