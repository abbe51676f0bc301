"""Fixtures for appeals: the capture world of alpha (department D01 › hall H01 › window W01, staff S001 at the
hall) with people placed in it, and bad ratings of S001 at W01 rated through the real intake service."""

from dataclasses import dataclass

import pytest
from django.utils import translation
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import User
from tenants.organisation.services import membership_set
from tests.conftest import host_client
from tests.factories import StaffFactory, UnitFactory
from tests.supervision.conftest import local, person, rate_transactions, signed_in

SYSTEM = Actor.system("tests")
RATED = local(2026, 3, 2, 9)  # the ratings are rated a minute after this
FILED = local(2026, 3, 10, 10)  # within the 30-day filing period
# What rate_transactions records as the first evaluator (number 0): name, phone and resident ID.
EVALUATOR_NAME, EVALUATOR_PHONE, EVALUATOR_ID = "李0明", "13800130000", "11010519491231002X"
EVALUATOR_MASKED = ("李**", "138****0000", "110***********002X")


@dataclass
class Scene:
    world: object
    other_department: object
    colleague_staff: object
    staff: User  # window staff, is S001 (the rated staff member), sits at the hall
    colleague: User  # window staff at the hall, another staff record
    hall_officer: User  # officer placed at the hall (may appeal for the unit)
    window_officer: User  # officer placed at the window W01
    outsider: User  # officer of another department
    hall_supervisor: User  # supervisor placed at the hall: same unit as the rated one
    department_supervisor: User  # supervisor placed at D01: strictly above the hall
    other_supervisor: User  # supervisor placed at D02: not above the hall
    supervisor: User  # tenant-wide supervisor (no Membership)

    @property
    def schema(self) -> str:
        return self.world.info.schema

    @property
    def host(self) -> str:
        return self.world.info.host


def member(info, role: str, name: str, unit=None, staff=None) -> User:
    user = person(info, role, name)
    if unit is not None:
        with schema_context(info.schema):
            membership_set(actor=SYSTEM, user=user, unit=unit, staff=staff)
    return user


def client_of(info, user: User):
    client = host_client(info.host)
    with schema_context(info.schema):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    client.user = user
    return client


@pytest.fixture
def scene(world) -> Scene:
    info = world.info
    with schema_context(info.schema):
        other_department = UnitFactory(code="D02", name="人力资源和社会保障局")
        colleague_staff = StaffFactory(staff_no="S002", name="王芳", unit=world.hall)
    return Scene(
        world=world,
        other_department=other_department,
        colleague_staff=colleague_staff,
        staff=member(info, "window_staff", "zhangmin", world.hall, world.staff),
        colleague=member(info, "window_staff", "wangfang", world.hall, colleague_staff),
        hall_officer=member(info, "officer", "hall-officer", world.hall),
        window_officer=member(info, "officer", "window-officer", world.window),
        outsider=member(info, "officer", "outsider", other_department),
        hall_supervisor=member(info, "supervisor", "hall-supervisor", world.hall),
        department_supervisor=member(info, "supervisor", "dept-supervisor", world.department),
        other_supervisor=member(info, "supervisor", "other-supervisor", other_department),
        supervisor=member(info, "supervisor", "supervisor"),
    )


def bad_ratings(scene: Scene, count: int = 1, *, start=RATED, prefix: str = "B", level: int = 5) -> list:
    """`count` real-name bad ratings of S001 at W01; returns the Evaluation rows."""
    from tenants.evaluations.models import Evaluation

    ids = rate_transactions(scene.world, count, start=start, level=level, prefix=prefix)
    with schema_context(scene.schema):
        return list(Evaluation.objects.filter(pk__in=ids).order_by("pk"))


@pytest.fixture
def login(alpha):
    """login(role) → a client of alpha signed in as a new, unplaced person with that role."""
    return lambda role, name="": signed_in(alpha, role, name)


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests check behaviour and read English messages; zh-Hans is covered by tests/test_i18n.py."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
