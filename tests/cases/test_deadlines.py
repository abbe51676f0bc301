"""Case deadlines on the working-day calendar (the real national schedule from chinese-calendar, 调休 included),
with working hours where the tenant sets them, and the tenant's SLA settings (service and page).

Dates the tests rely on (checked against the installed schedule by tests/workcalendar/test_deadlines.py):
- National Day 2025: off Wed 10-01 … Wed 10-08; make-up working days Sun 09-28 and Sat 10-11.
- Spring Festival 2026: off Sun 02-15 … Mon 02-23; make-up working days Sat 02-14 and Sat 02-28.
- New Year 2026: off Thu 01-01 … Sat 01-03; make-up working day Sun 01-04.
"""

from datetime import datetime, time

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.models import AuditEvent
from tenants.cases.models import Case, CaseSettings
from tenants.cases.services import case_open_from_complaint
from tenants.cases.services.sla import case_settings_set
from tenants.workcalendar.services import calendar_override_set, working_hours_set
from tests.cases.conftest import SYSTEM, bad_case, person, signed_in

TZ = timezone.get_default_timezone()


def at(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


def end_of(y, m, d) -> datetime:
    return datetime.combine(datetime(y, m, d).date(), time.max, tzinfo=TZ)


def opened_at(world, moment: datetime, number: str = "T-BAD-1") -> Case:
    """A bad rating (and so a case) at `moment`, the clock moved there."""
    with time_machine.travel(moment, tick=False):
        return bad_case(world, number)


def dues(case: Case) -> tuple[datetime, datetime, datetime]:
    return case.contact_due, case.feedback_due, case.rectify_due


def limits(**changes) -> dict:
    values = {
        "contact_days": 1,
        "feedback_days": 5,
        "rectify_days": 15,
        "remind_before_hours": 4,
        "escalate_management_days": 2,
        "fallback_unit": None,
    }
    return values | changes


# --- deadlines across holidays and 调休 ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("opened", "contact", "feedback", "rectify"),
    [
        # the day before National Day 2025: the week off, then Thu 10-09; Sat 10-11 is a working day
        (at(2025, 9, 30, 10, 0), end_of(2025, 10, 9), end_of(2025, 10, 14), end_of(2025, 10, 28)),
        # opened during the holiday: the first working day after it is day 1
        (at(2025, 10, 3, 15, 0), end_of(2025, 10, 9), end_of(2025, 10, 14), end_of(2025, 10, 28)),
        # the Friday before Spring Festival 2026: Sat 02-14 is a make-up working day, then nine days off
        (at(2026, 2, 13, 16, 0), end_of(2026, 2, 14), end_of(2026, 2, 27), end_of(2026, 3, 12)),
        # New Year's Eve 2025: over the year boundary, Sun 2026-01-04 is a make-up working day
        (at(2025, 12, 31, 11, 0), end_of(2026, 1, 4), end_of(2026, 1, 8), end_of(2026, 1, 22)),
    ],
    ids=["eve-of-national-day-2025", "inside-national-day-2025", "spring-festival-2026", "new-year-2026"],
)
def test_case_deadlines_count_working_days_of_the_national_schedule(
    world, opened, contact, feedback, rectify
):
    case = opened_at(world, opened)
    assert case.opened_at == opened
    assert dues(case) == (contact, feedback, rectify)


def test_a_make_up_saturday_is_a_working_day_for_the_contact_deadline(world):
    # Friday 2025-10-10 17:00: the next working day is the make-up Saturday 10-11, not Monday
    case = opened_at(world, at(2025, 10, 10, 17, 0))
    assert timezone.localtime(case.contact_due).date().isoformat() == "2025-10-11"


def test_the_tenants_own_day_off_moves_the_deadline(world):
    with schema_context(world.info.schema):
        calendar_override_set(actor=SYSTEM, day=at(2025, 10, 9).date(), is_workday=False, note="本地假日")
    case = opened_at(world, at(2025, 9, 30, 10, 0))
    assert case.contact_due == end_of(2025, 10, 10)


def test_working_hours_count_working_time_across_the_holiday(world):
    # given government hours 9:00–12:00 and 13:30–17:30 (7 hours a working day)
    with schema_context(world.info.schema):
        working_hours_set(
            actor=SYSTEM,
            enabled=True,
            morning_start=time(9, 0),
            morning_end=time(12, 0),
            afternoon_start=time(13, 30),
            afternoon_end=time(17, 30),
        )
    # when a bad review comes at 16:00 on the eve of National Day 2025
    case = opened_at(world, at(2025, 9, 30, 16, 0))
    # then one working day of working time is 1.5 h that evening and 5.5 h on Thu 10-09: 16:00
    assert case.contact_due == at(2025, 10, 9, 16, 0)
    # five working days: 10-09, 10-10, the make-up Saturday 10-11, Mon 10-13, and up to 16:00 on Tue 10-14
    assert case.feedback_due == at(2025, 10, 14, 16, 0)


def test_working_hours_a_review_after_closing_starts_at_the_next_opening(world):
    with schema_context(world.info.schema):
        working_hours_set(
            actor=SYSTEM, enabled=True, morning_start=time(9, 0), morning_end=time(17, 0)
        )  # 8 hours, one span
    case = opened_at(world, at(2026, 2, 13, 20, 0))  # Friday evening before Spring Festival 2026
    # the clock starts at 9:00 on the make-up Saturday 02-14 and runs out at its close
    assert case.contact_due == at(2026, 2, 14, 17, 0)


# --- settings ----------------------------------------------------------------------------------------
def test_settings_changes_apply_to_new_cases_only(world):
    before = opened_at(world, at(2025, 9, 30, 10, 0), "T-OLD")
    with schema_context(world.info.schema):
        case_settings_set(actor=SYSTEM, **limits(contact_days=2, feedback_days=3, rectify_days=10))
    after = opened_at(world, at(2025, 9, 30, 10, 5), "T-NEW")
    complaint_at = at(2025, 9, 30, 10, 10)
    with time_machine.travel(complaint_at, tick=False), schema_context(world.info.schema):
        complaint = case_open_from_complaint(actor=SYSTEM, unit=None, summary="窗口人员态度差")
        before.refresh_from_db()
    # the open case keeps what it was given; new ones (ratings and complaints) get the new limits
    assert dues(before) == (end_of(2025, 10, 9), end_of(2025, 10, 14), end_of(2025, 10, 28))
    expected = (end_of(2025, 10, 10), end_of(2025, 10, 11), end_of(2025, 10, 21))
    assert dues(after) == expected
    assert dues(complaint) == expected


def test_settings_are_checked_and_audited(world):
    with schema_context(world.info.schema):
        with pytest.raises(ValidationError) as refused:
            case_settings_set(actor=SYSTEM, **limits(contact_days=6, feedback_days=5))
        assert "feedback_days" in refused.value.message_dict
        with pytest.raises(ValidationError) as refused:
            case_settings_set(actor=SYSTEM, **limits(rectify_days=4))
        assert "rectify_days" in refused.value.message_dict
        with pytest.raises(ValidationError) as refused:
            case_settings_set(actor=SYSTEM, **limits(remind_before_hours=-1, escalate_management_days=0))
        assert set(refused.value.message_dict) == {"remind_before_hours", "escalate_management_days"}
        assert CaseSettings.current().contact_days == 1  # nothing changed
        saved = case_settings_set(
            actor=SYSTEM, **limits(remind_before_hours=8, fallback_unit=world.department)
        )
        assert (saved.remind_before_hours, saved.fallback_unit) == (8, world.department)
        audit = AuditEvent.objects.filter(action="cases.settings").latest("id")
        assert audit.data["before"]["remind_before_hours"] == 4
        assert audit.data["after"]["fallback_unit"] == world.department.pk


def test_settings_page_saves_for_the_administrator(world):
    admin = person(world.info, "tenant_admin", "sla-admin")
    client = signed_in(world.info, admin)
    page = client.get("/settings/cases/")
    assert page.status_code == 200
    assert "Changes apply to cases opened from now on." in page.content.decode()
    response = client.post(
        "/settings/cases/",
        {
            "contact_days": "2",
            "feedback_days": "5",
            "rectify_days": "15",
            "remind_before_hours": "6",
            "escalate_management_days": "3",
            "fallback_unit": str(world.department.pk),
        },
    )
    assert response.status_code == 302 and response["Location"] == "/settings/cases/"
    with schema_context(world.info.schema):
        saved = CaseSettings.current()
    assert (saved.contact_days, saved.remind_before_hours, saved.escalate_management_days) == (2, 6, 3)
    assert saved.fallback_unit_id == world.department.pk


def test_settings_page_shows_errors_and_changes_nothing(world):
    client = signed_in(world.info, person(world.info, "tenant_admin", "sla-admin"))
    response = client.post(
        "/settings/cases/",
        {
            "contact_days": "3",
            "feedback_days": "2",
            "rectify_days": "15",
            "remind_before_hours": "4",
            "escalate_management_days": "2",
        },
    )
    assert response.status_code == 400
    assert "Feedback cannot be due before the evaluator is contacted." in response.content.decode()
    with schema_context(world.info.schema):
        assert CaseSettings.current().contact_days == 1


@pytest.mark.parametrize("role", ["supervisor", "officer", "auditor", "window_staff"])
def test_settings_page_is_for_those_who_configure_cases(world, role):
    client = signed_in(world.info, person(world.info, role, f"sla-{role}"))
    assert client.get("/settings/cases/").status_code == 403
    assert client.post("/settings/cases/", {"contact_days": "9"}).status_code == 403
    with schema_context(world.info.schema):
        assert CaseSettings.current().contact_days == 1


def test_settings_page_needs_sign_in(world):
    from tests.conftest import host_client

    response = host_client(world.info.host).get("/settings/cases/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
