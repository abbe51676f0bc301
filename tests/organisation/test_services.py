"""Organisation services: moving units moves their subtree; staff move between windows over time."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent
from tenants.organisation.models import Unit, UnitKind
from tenants.organisation.services import (
    device_register,
    platform_create,
    staff_assign,
    staff_create,
    staff_leave,
    unit_create,
    unit_update,
)

ACTOR = Actor.system("tests")


def _tree():
    top = unit_create(actor=ACTOR, code="D1", name="数据局", kind=UnitKind.DEPARTMENT, region_code="130100")
    other = unit_create(actor=ACTOR, code="D2", name="市场局", kind=UnitKind.DEPARTMENT)
    hall = unit_create(actor=ACTOR, code="H1", name="大厅", kind=UnitKind.HALL, parent=top)
    window = unit_create(actor=ACTOR, code="W1", name="A01", kind=UnitKind.WINDOW, parent=hall)
    return top, other, hall, window


def test_moving_a_unit_moves_its_whole_subtree(alpha):
    with schema_context(alpha.schema):
        _top, other, hall, window = _tree()
        assert window.region_code == "130100"  # inherited at creation
        unit_update(actor=ACTOR, unit=hall, parent=other)
        window.refresh_from_db()
        assert window.path == f"/{other.pk}/{hall.pk}/{window.pk}/"
        assert Unit.objects.filter(path__startswith=f"/{other.pk}/").count() == 3
        assert AuditEvent.objects.filter(action="unit.update", target_id=str(hall.pk)).exists()


def test_a_unit_cannot_go_under_itself_or_a_window(alpha):
    with schema_context(alpha.schema):
        top, _other, hall, window = _tree()
        for parent, field in ((hall, "parent"), (window, "parent")):
            with pytest.raises(ValidationError) as caught:
                unit_update(actor=ACTOR, unit=top, parent=parent)
            assert field in caught.value.message_dict
        with pytest.raises(ValidationError) as caught:
            unit_update(actor=ACTOR, unit=hall, kind=UnitKind.WINDOW)  # it has a window below it
        assert "kind" in caught.value.message_dict
        with pytest.raises(ValidationError) as caught:
            unit_update(actor=ACTOR, unit=hall, region_code="12")
        assert "region_code" in caught.value.message_dict


def test_assignments_over_time_one_window_at_a_time(alpha):
    with schema_context(alpha.schema):
        _top, _other, hall, w1 = _tree()
        w2 = unit_create(actor=ACTOR, code="W2", name="A02", kind=UnitKind.WINDOW, parent=hall)
        person = staff_create(actor=ACTOR, staff_no="S1", name="张敏", unit=hall)
        staff_assign(actor=ACTOR, staff=person, window=w1, starts_on=date(2025, 1, 1))
        staff_assign(actor=ACTOR, staff=person, window=w2, starts_on=date(2025, 3, 1))
        history = list(
            person.assignments.order_by("starts_on").values_list("window__code", "starts_on", "ends_on")
        )
        assert history == [("W1", date(2025, 1, 1), date(2025, 2, 28)), ("W2", date(2025, 3, 1), None)]
        with pytest.raises(ValidationError) as caught:
            staff_assign(
                actor=ACTOR, staff=person, window=w1, starts_on=date(2025, 2, 1), ends_on=date(2025, 2, 10)
            )
        assert "starts_on" in caught.value.message_dict
        with pytest.raises(ValidationError):
            staff_assign(actor=ACTOR, staff=person, window=hall, starts_on=date(2025, 5, 1))
        staff_leave(actor=ACTOR, staff=person, left_on=date(2025, 6, 30))
        person.refresh_from_db()
        assert (person.active, person.left_on) == (False, date(2025, 6, 30))
        assert person.assignments.get(window=w2).ends_on == date(2025, 6, 30)


def test_duplicate_codes_are_validation_errors_not_crashes(alpha):
    with schema_context(alpha.schema):
        _top, _other, _hall, window = _tree()
        platform_create(actor=ACTOR, code="WEB", name="政务服务网", kind="web")
        with pytest.raises(ValidationError) as caught:
            platform_create(actor=ACTOR, code="WEB", name="又一个", kind="web")
        assert "code" in caught.value.message_dict
        device_register(actor=ACTOR, code="DEV-1", name="评价器", window=window)
        with pytest.raises(ValidationError) as caught:
            device_register(actor=ACTOR, code="DEV-1", name="评价器", window=window)
        assert "code" in caught.value.message_dict
