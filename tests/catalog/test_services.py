"""Catalogue services: a published guide is never edited; evaluations keep the version live at their time."""

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent
from tenants.catalog.models import ItemStatus, ServiceItem
from tenants.catalog.services import guide_edit, item_create, item_publish, item_retire, item_update
from tenants.evaluations.models import Evaluation
from tenants.evaluations.services import EvaluationInput, evaluations_submit

ACTOR = Actor.system("tests")


def _item(**extra):
    return item_create(
        actor=ACTOR,
        code="ITEM-9",
        name="建设工程规划许可证核发",
        item_type="licensing",
        time_limit_days=15,
        materials=["申请表"],
        **extra,
    )


def test_editing_a_draft_changes_it_in_place(alpha):
    with schema_context(alpha.schema):
        item = _item()
        guide = guide_edit(actor=ACTOR, item=item, time_limit_days=10)
        assert guide.version == 1 and guide.time_limit_days == 10
        assert item.guides.count() == 1


def test_editing_a_published_guide_makes_a_new_draft_version_and_leaves_the_published_one(alpha):
    with schema_context(alpha.schema):
        item = _item(publish=True)
        v1 = item.current_guide
        v2 = guide_edit(actor=ACTOR, item=item, materials=["申请表", "身份证明"])
        assert (v2.version, v2.published_at, v2.materials) == (2, None, ["申请表", "身份证明"])
        v1.refresh_from_db()
        assert v1.materials == ["申请表"] and v1.published_at is not None
        item.refresh_from_db()
        assert item.current_guide_id == v1.pk  # still in force
        # a second edit changes the draft, not a third version
        assert guide_edit(actor=ACTOR, item=item, time_limit_days=12).pk == v2.pk
        assert item.guides.count() == 2
        item_publish(actor=ACTOR, item=item)
        item.refresh_from_db()
        assert item.current_guide_id == v2.pk and item.status == ItemStatus.PUBLISHED
        actions = list(
            AuditEvent.objects.filter(action__startswith=("item.")).values_list("action", flat=True)
        )
        assert actions.count("item.publish") == 2


def test_an_edit_that_changes_nothing_makes_no_version(alpha):
    with schema_context(alpha.schema):
        item = _item(publish=True)
        assert guide_edit(actor=ACTOR, item=item, time_limit_days=15).version == 1
        assert item.guides.count() == 1


def test_guide_rules_are_enforced_by_the_services(alpha):
    with schema_context(alpha.schema):
        with pytest.raises(ValidationError) as caught:
            item_create(actor=ACTOR, code="X", name="x", item_type="licensing", promise_type="promised")
        assert "time_limit_days" in caught.value.message_dict
        with pytest.raises(ValidationError) as caught:
            item_create(actor=ACTOR, code="X", name="x", item_type="nonsense", time_limit_days=1)
        assert "item_type" in caught.value.message_dict
        assert not ServiceItem.objects.exists()


def test_code_of_a_published_item_cannot_change_but_a_drafts_can(alpha):
    with schema_context(alpha.schema):
        draft = item_update(actor=ACTOR, item=_item(), code="ITEM-10")
        assert draft.code == "ITEM-10"
        item_publish(actor=ACTOR, item=draft)
        with pytest.raises(ValidationError) as caught:
            item_update(actor=ACTOR, item=draft, code="ITEM-11")
        assert "code" in caught.value.message_dict
        assert item_update(actor=ACTOR, item=draft, name="新名称").name == "新名称"


def test_retire_is_audited(alpha):
    with schema_context(alpha.schema):
        item = item_retire(actor=ACTOR, item=_item(publish=True))
        assert item.status == ItemStatus.RETIRED
        assert AuditEvent.objects.filter(action="item.retire", target_id=str(item.pk)).exists()


def _rate(number: str):
    return evaluations_submit(
        actor=ACTOR,
        items=[
            EvaluationInput(
                transaction=number, level=1, channel="device", item_code="ITEM-001", unit_code="H01"
            )
        ],
    )[0]


def test_evaluations_record_the_guide_version_live_at_their_time(world):
    with schema_context(world.info.schema):
        item = world.item
        v1 = item.current_guide
        # given a rating under version 1
        before = _rate("T-BEFORE")
        assert before.status == "created" and before.evaluation.guide_version_id == v1.pk
        # when the guide is edited (a draft v2): new ratings still record v1
        v2 = guide_edit(actor=ACTOR, item=item, time_limit_days=3)
        assert v2.version == 2
        assert _rate("T-DRAFT").evaluation.guide_version_id == v1.pk
        # and once v2 is published, new ratings record v2 while the earlier ones keep v1
        item_publish(actor=ACTOR, item=item)
        after = _rate("T-AFTER")
        assert after.evaluation.guide_version_id == v2.pk
        stored = dict(Evaluation.objects.values_list("transaction__number", "guide_version__version"))
        assert stored == {"T-BEFORE": 1, "T-DRAFT": 1, "T-AFTER": 2}
