"""Fixtures for the public portal: rated transactions in this month at two departments, one large enough to
be shown on its own and one not, bad reviews with and without consent to publish the comment."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.evaluations.services import EvaluationInput, evaluations_submit
from tenants.insight.services import rollups_drain
from tenants.organisation.models import UnitKind
from tests.factories import StaffFactory, UnitFactory

ACTOR = Actor.system("tests")
EVALUATOR = {
    "name": "王秀英",
    "phone": "13912345678",
    "id_type": "resident_id",
    "id_number": "11010519491231002X",
}


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests read English messages (zh-Hans is covered centrally)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def moment():
    """A moment of the current local month, a little before now (never in the previous month)."""
    now = timezone.localtime()
    return max(now - timedelta(minutes=10), now.replace(day=1, hour=0, minute=0, second=0, microsecond=0))


def month_key() -> str:
    return f"{timezone.localdate():%Y-%m}"


@dataclass
class PortalWorld:
    world: object
    small_department: object
    small_hall: object
    small_window: object
    counter: list

    @property
    def schema(self) -> str:
        return self.world.info.schema

    @property
    def host(self) -> str:
        return self.world.info.host

    def rate(
        self,
        count: int = 1,
        *,
        level: int = 1,
        small: bool = False,
        comment: str = "",
        public: bool = False,
        evaluator: dict | None = None,
        tags: list[str] | None = None,
    ) -> list[int]:
        """`count` ratings through the real intake, each its own inline transaction, at the large hall's
        window (or the small one's); rollups drained."""
        window = self.small_window if small else self.world.window
        at = moment()
        items = []
        for _i in range(count):
            self.counter[0] += 1
            items.append(
                EvaluationInput(
                    transaction=f"PT{self.counter[0]:06d}",
                    level=level,
                    channel="device",
                    reason_tags=tags if tags is not None else (["attitude"] if level >= 4 else []),
                    comment=comment,
                    comment_public=public,
                    evaluator=dict(evaluator) if evaluator else {"anonymous": True},
                    rated_at=at,
                    item_code=self.world.item.code,
                    unit_code=window.parent.code,
                    window_code=window.code,
                )
            )
        with schema_context(self.schema):
            outcomes = evaluations_submit(actor=ACTOR, items=items)
            assert all(o.status == "created" for o in outcomes), [o.errors for o in outcomes]
            rollups_drain()
        return [o.evaluation.pk for o in outcomes]


def build_portal_world(world) -> PortalWorld:
    with schema_context(world.info.schema):
        department = UnitFactory(code="D02", name="不动产登记中心", kind=UnitKind.DEPARTMENT)
        hall = UnitFactory(code="H02", name="东区便民服务大厅", kind=UnitKind.HALL, parent=department)
        window = UnitFactory(code="W02", name="B01 不动产窗口", kind=UnitKind.WINDOW, parent=hall)
        StaffFactory(staff_no="S002", name="刘建国", unit=hall)
    return PortalWorld(
        world=world, small_department=department, small_hall=hall, small_window=window, counter=[0]
    )


@pytest.fixture
def portal(world) -> PortalWorld:
    return build_portal_world(world)
