"""Fixtures for bad-review cases: a capture world in alpha, people placed in its units, bad ratings."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import User
from tenants.accounts.services import user_create
from tenants.cases.models import Case
from tenants.evaluations.services import EvaluationInput, ItemOutcome, evaluations_submit
from tenants.organisation.services import membership_set
from tests.conftest import PASSWORD, host_client
from tests.factories import UnitFactory

SYSTEM = Actor.system("tests")
EVALUATOR = {
    "name": "李小明",
    "phone": "13800138000",
    "id_type": "resident_id",
    "id_number": "11010519491231002X",
}


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests read English messages; zh-Hans is covered by tests/test_i18n.py."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def person(info, role: str, name: str = "", unit=None) -> User:
    """An account of `role` in the tenant, placed in `unit` when given."""
    with schema_context(info.schema):
        user = user_create(
            actor=SYSTEM, email=f"{name or role}@{info.tenant.slug}.example", role=role, password=PASSWORD
        )
        if unit is not None:
            membership_set(actor=SYSTEM, user=user, unit=unit)
    return user


def signed_in(info, user: User):
    client = host_client(info.host)
    with schema_context(info.schema):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@dataclass
class People:
    officer: User  # in the department: its hall and window are inside
    hall_officer: User  # in the hall
    other_officer: User  # in another department
    supervisor: User
    admin: User
    auditor: User
    window_staff: User
    other_department: object


@pytest.fixture
def people(world) -> People:
    info = world.info
    with schema_context(info.schema):
        other = UnitFactory(code="D02", name="人力资源和社会保障局")
    return People(
        officer=person(info, "officer", "officer", world.department),
        hall_officer=person(info, "officer", "hall-officer", world.hall),
        other_officer=person(info, "officer", "other-officer", other),
        supervisor=person(info, "supervisor"),
        admin=person(info, "tenant_admin", "admin2"),
        auditor=person(info, "auditor"),
        window_staff=person(info, "window_staff", "window", world.hall),
        other_department=other,
    )


def rate(
    world,
    number: str,
    level: int = 5,
    *,
    realname: bool = False,
    stage: str = "finished",
    tags=("attitude",),
    now=None,
) -> ItemOutcome:
    """One rating through the real intake service, registering its transaction inline at the world's hall."""
    with schema_context(world.info.schema):
        [outcome] = evaluations_submit(
            actor=SYSTEM,
            items=[
                EvaluationInput(
                    transaction=number,
                    level=level,
                    channel="device",
                    stage=stage,
                    reason_tags=list(tags) if level >= 4 else [],
                    evaluator=dict(EVALUATOR) if realname else {"anonymous": True},
                    item_code=world.item.code,
                    unit_code=world.hall.code,
                    window_code=world.window.code,
                )
            ],
            now=now,
        )
    assert outcome.status == "created", outcome.errors
    return outcome


def bad_case(world, number: str = "T-BAD-1", **kwargs) -> Case:
    outcome = rate(world, number, **kwargs)
    with schema_context(world.info.schema):
        return Case.objects.select_related("unit").get(pk=outcome.case_id)


def past(**kwargs):
    return timezone.now() - timedelta(**kwargs)
