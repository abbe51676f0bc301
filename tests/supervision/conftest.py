"""Fixtures for supervision: people of each role signed in on a tenant host, and rated transactions."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import User
from tenants.accounts.services import user_create
from tests.conftest import PASSWORD, host_client

ROLES = ("supervisor", "officer", "window_staff", "auditor", "tenant_admin")


def person(info, role: str, name: str = "") -> User:
    email = f"{name or role}@{info.tenant.slug}.example"
    with schema_context(info.schema):
        return user_create(actor=Actor.system("tests"), email=email, role=role, password=PASSWORD)


def signed_in(info, role: str, name: str = ""):
    """A Django test client signed in on the tenant's host as a new person with `role`. The session is made
    directly in the tenant's schema: posting to the sign-in page for every test would trip allauth's
    per-address login rate limit (the real sign-in is covered in tests/tenants/accounts)."""
    user = person(info, role, name)
    client = host_client(info.host)
    with schema_context(info.schema):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    client.user = user
    return client


@pytest.fixture
def login(alpha):
    """login(role) → a client of alpha signed in with that role."""
    return lambda role, name="": signed_in(alpha, role, name)


def local(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


def _evaluator(i: int) -> dict:
    return {
        "name": f"李{i}明",
        "phone": f"1380013{i:04d}",
        "id_type": "resident_id",
        "id_number": "11010519491231002X",
    }


def rate_transactions(
    world,
    count: int,
    *,
    start: datetime,
    level: int = 1,
    phone: bool = True,
    prefix: str = "T",
    window=None,
    unit=None,
    item=None,
    step=timedelta(minutes=30),
) -> list[int]:
    """`count` finished transactions at the world's window, each rated through the real intake service.
    Returns the evaluation ids."""
    from tenants.evaluations.models import Transaction
    from tenants.evaluations.services import EvaluationInput, evaluations_submit

    window = window or world.window
    unit = unit or world.hall
    item = item or world.item
    with schema_context(world.info.schema):
        Transaction.objects.bulk_create(
            [
                Transaction(
                    number=f"{prefix}{i:05d}",
                    item=item,
                    guide_version=item.current_guide,
                    unit=unit,
                    window=window,
                    staff=world.staff,
                    channel="device",
                    status="finished",
                    finished_at=start + step * i,
                )
                for i in range(count)
            ]
        )
        outcomes = evaluations_submit(
            actor=Actor.system("tests"),
            items=[
                EvaluationInput(
                    transaction=f"{prefix}{i:05d}",
                    level=level,
                    channel="device",
                    reason_tags=["attitude"] if level >= 4 else [],
                    evaluator=_evaluator(i) if phone else {"anonymous": True},
                    rated_at=start + step * i + timedelta(minutes=1),
                )
                for i in range(count)
            ],
            now=start + step * count + timedelta(hours=1),
        )
    assert all(o.status == "created" for o in outcomes), [o.errors for o in outcomes if o.errors]
    return [o.evaluation.pk for o in outcomes]


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests check behaviour and read English messages; zh-Hans is covered by tests/test_i18n.py."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
