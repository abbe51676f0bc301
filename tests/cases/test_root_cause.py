"""Root cause in the catalogue (根因在清单): a bad review whose reason points at the guide, judged "the guide is
wrong", opens a correction task for the item's responsible unit; publishing a new guide version completes
it; the item page shows whether the reason recurs on the corrected version."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_tenants.utils import schema_context

from tenants.accounts.models import AuditEvent
from tenants.cases.models import Case, CaseEvent
from tenants.cases.services import (
    TransitionError,
    case_assign,
    case_chain_verify,
    case_contact,
    case_resolve,
    case_verify,
)
from tenants.cases.services.root_cause import case_flag_guide_defect, guide_tags_of
from tenants.catalog.models import GuideCorrectionTask, GuideVersion, ServiceItem
from tenants.catalog.selectors import (
    guide_corrections_for_case,
    guide_corrections_for_item,
    guide_tag_recurrence,
)
from tenants.catalog.services import guide_corrections_done, guide_edit, item_publish
from tenants.evaluations.models import Evaluation
from tests.cases.conftest import SYSTEM, bad_case, past, rate, signed_in

NOTE = "指南未列明“场所租赁合同”，窗口却要求提交"
GUIDE_TAGS = ["extra_materials", "extra_conditions"]


@pytest.fixture
def in_alpha(world):
    with schema_context(world.info.schema):
        yield


def _verified(
    world, people, number="T-RC-1", tags=("extra_materials", "attitude"), verification="reasonable"
):
    officer = people.officer.actor
    case = bad_case(world, number, realname=True, tags=tags)
    with schema_context(world.info.schema):
        case = case_assign(actor=officer, case=case)
        case = case_contact(actor=officer, case=case, at=past(minutes=1), method="phone", reached=True)
        return case_verify(actor=officer, case=case, verification=verification)


def _resolved(world, people, **kwargs) -> Case:
    case = _verified(world, people, **kwargs)
    with schema_context(world.info.schema):
        return case_resolve(actor=people.officer.actor, case=case, outcome="fixed", note="当场补正")


def _publish_v2(world) -> GuideVersion:
    item = ServiceItem.objects.get(pk=world.item.pk)
    guide = guide_edit(actor=SYSTEM, item=item, materials=["营业执照", "经营场所证明", "场所租赁合同"])
    item_publish(actor=SYSTEM, item=item)
    return guide


def test_the_seeded_guide_tags_are_the_two_named_ones(world, in_alpha):
    case = Case(reason_tags=["attitude", *GUIDE_TAGS, "long_wait"])
    assert guide_tags_of(case) == GUIDE_TAGS


def test_guide_is_wrong_opens_a_task_for_the_items_responsible_unit(world, people):
    case = _resolved(world, people)
    with schema_context(world.info.schema):
        [task] = case_flag_guide_defect(actor=people.officer.actor, case=case, note=NOTE)
        assert (task.item_id, task.unit_id, task.tag, task.state) == (
            world.item.pk,
            world.department.pk,  # the item's responsible unit
            "extra_materials",  # "attitude" does not point at the guide
            "open",
        )
        assert (task.case_id, task.case_number, task.note) == (case.pk, case.number, NOTE)
        assert task.wrong_version_id == world.item.current_guide_id and task.done_at is None
        event = CaseEvent.objects.filter(case=case).order_by("-seq").first()
        assert (event.kind, event.note, event.data["tags"]) == ("guide_defect", NOTE, ["extra_materials"])
        assert case_chain_verify(case=Case.objects.get(pk=case.pk)).ok
        assert Case.objects.get(pk=case.pk).state == "resolved"  # the verdict does not move the case
        assert AuditEvent.objects.filter(action="guide_correction.open", target_id=str(task.pk)).exists()
        assert guide_corrections_for_case(case_id=case.pk) == [task]


def test_both_guide_reasons_open_one_task_each_and_a_second_flag_is_refused(world, people):
    case = _resolved(world, people, tags=GUIDE_TAGS)
    with schema_context(world.info.schema):
        tasks = case_flag_guide_defect(actor=people.officer.actor, case=case, note=NOTE)
        assert sorted(t.tag for t in tasks) == sorted(GUIDE_TAGS)
        with pytest.raises(ValidationError, match="already"):
            case_flag_guide_defect(actor=people.officer.actor, case=case, note=NOTE)
        assert GuideCorrectionTask.objects.count() == 2


def test_refusals(world, people):
    officer = people.officer.actor
    no_guide_reason = _resolved(world, people, number="T-RC-ATT", tags=("attitude",))
    not_yet = _verified(world, people, number="T-RC-EARLY")
    mistaken = _verified(world, people, number="T-RC-MIS", verification="mistaken")
    other = _resolved(world, people, number="T-RC-SCOPE")
    with schema_context(world.info.schema):
        with pytest.raises(ValidationError, match="points at"):
            case_flag_guide_defect(actor=officer, case=no_guide_reason, note=NOTE)
        with pytest.raises(TransitionError):
            case_flag_guide_defect(actor=officer, case=not_yet, note=NOTE)
        mistaken = case_resolve(actor=officer, case=mistaken, outcome="explained", note="误评")
        with pytest.raises(ValidationError, match="mistaken"):
            case_flag_guide_defect(actor=officer, case=mistaken, note=NOTE)
        with pytest.raises(ValidationError):
            case_flag_guide_defect(actor=officer, case=other, note="  ")
        with pytest.raises(PermissionDenied):  # an officer of another department
            case_flag_guide_defect(actor=people.other_officer.actor, case=other, note=NOTE)
        with pytest.raises(PermissionDenied):  # a read-only auditor
            case_flag_guide_defect(actor=people.auditor.actor, case=other, note=NOTE)
        assert not GuideCorrectionTask.objects.exists()
        # a supervisor may flag any case
        assert len(case_flag_guide_defect(actor=people.supervisor.actor, case=other, note=NOTE)) == 1


def test_publishing_a_new_version_completes_the_open_tasks(world, people):
    case = _resolved(world, people)
    with schema_context(world.info.schema):
        [task] = case_flag_guide_defect(actor=people.officer.actor, case=case, note=NOTE)
        item = ServiceItem.objects.get(pk=world.item.pk)
        item_publish(actor=SYSTEM, item=item)  # publishing the version already in force corrects nothing
        task.refresh_from_db()
        assert task.state == "open"
        v2 = _publish_v2(world)
        task.refresh_from_db()
        assert (task.state, task.corrected_version_id) == ("done", v2.pk) and task.done_at is not None
        assert AuditEvent.objects.filter(action="guide_correction.done", target_id=str(task.pk)).exists()
        # a task opened after v2 stays open until the next new version
        later = _resolved(world, people, number="T-RC-2")
        [open_task] = case_flag_guide_defect(actor=people.officer.actor, case=later, note=NOTE)
        item_publish(actor=SYSTEM, item=ServiceItem.objects.get(pk=world.item.pk))
        open_task.refresh_from_db()
        assert open_task.state == "open"
        grouped = guide_corrections_for_item(item=item)
        assert [t.pk for t in grouped["open"]] == [open_task.pk] and [t.pk for t in grouped["done"]] == [
            task.pk
        ]
        assert grouped["done"][0].tag_label == "需提供办事指南之外的申报材料"


def test_the_imports_publishing_step_completes_tasks_too(world, people):
    case = _resolved(world, people)
    with schema_context(world.info.schema):
        [task] = case_flag_guide_defect(actor=people.officer.actor, case=case, note=NOTE)
        item = ServiceItem.objects.get(pk=world.item.pk)
        draft = guide_edit(actor=SYSTEM, item=item, conditions="依法设立的市场主体")
        GuideVersion.objects.filter(pk=draft.pk).update(published_at=task.created_at)
        draft.refresh_from_db()
        assert guide_corrections_done(actor=SYSTEM, guides=[draft]) == 1
        task.refresh_from_db()
        assert (task.state, task.corrected_version_id) == ("done", draft.pk)


def test_recurrence_counts_the_tag_on_the_corrected_version_or_later(world, people):
    case = _resolved(world, people)  # its rating: extra_materials on v1
    rate(world, "T-RC-OLD", tags=("extra_materials",))  # another one before the correction
    with schema_context(world.info.schema):
        case_flag_guide_defect(actor=people.officer.actor, case=case, note=NOTE)
        item = ServiceItem.objects.get(pk=world.item.pk)
        assert guide_tag_recurrence(item=item) == []  # nothing corrected yet
        v2 = _publish_v2(world)
        [row] = guide_tag_recurrence(item=item)
        assert (row.tag, row.corrected_version, row.before, row.after, row.recurred) == (
            "extra_materials",
            v2,
            2,
            0,
            False,
        )
    # after the correction: the same reason again (counted), another reason (not), one excluded by an appeal
    again = rate(world, "T-RC-NEW", tags=("extra_materials", "attitude"))
    rate(world, "T-RC-ATT", tags=("attitude",))
    excluded = rate(world, "T-RC-EXC", tags=("extra_materials",))
    with schema_context(world.info.schema):
        Evaluation.objects.filter(pk=excluded.evaluation.pk).update(excluded=True)
        assert Evaluation.objects.get(pk=again.evaluation.pk).guide_version_id == v2.pk
        [row] = guide_tag_recurrence(item=item)
    assert (row.before, row.after, row.recurred, row.tasks) == (2, 1, True, 1)
    assert row.label == "需提供办事指南之外的申报材料"


def test_the_item_page_shows_the_corrections_and_the_recurrence(world, people):
    case = _resolved(world, people)
    with schema_context(world.info.schema):
        case_flag_guide_defect(actor=people.officer.actor, case=case, note=NOTE)
    client = signed_in(world.info, people.admin)
    html = client.get(f"/catalog/{world.item.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Guide corrections" in html and case.number in html and NOTE in html
    assert "Open (1)" in html and "Done (0)" in html
    with schema_context(world.info.schema):
        _publish_v2(world)
    rate(world, "T-RC-NEW", tags=("extra_materials",))
    html = client.get(f"/catalog/{world.item.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Done (1)" in html and 'data-tag="extra_materials"' in html
    assert "<td data-after>1</td>" in html and "Recurs" in html


def test_an_item_without_corrections_says_so(world, people):
    html = signed_in(world.info, people.admin).get(f"/catalog/{world.item.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "No guide correction so far." in html.content.decode()
