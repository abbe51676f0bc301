"""The case's state machine through its services: the full loop for each outcome, every refusal (state,
role, unit scope), real-name rules, reopening, spot checks and the audited identity reveal."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent
from tenants.cases.models import Case, CaseState, LedgerMilestone
from tenants.cases.selectors import (
    case_detail,
    cases_for,
    cases_sample_closed,
    closed_loop_indicators,
    realname_callback_rate,
)
from tenants.cases.services import (
    MilestoneInput,
    TransitionError,
    case_assign,
    case_chain_verify,
    case_close,
    case_confirm_not_adopted,
    case_contact,
    case_feedback_send,
    case_identity_reveal,
    case_ledger_complete,
    case_milestone_done,
    case_reassign,
    case_record_opinion,
    case_reopen,
    case_resolve,
    case_spot_check,
    case_verify,
)
from tests.cases.conftest import SYSTEM, bad_case, past, rate

S = CaseState


def _to_verified(world, people, *, realname=True, verification="reasonable", number="T-BAD-1") -> Case:
    officer = people.officer.actor
    case = bad_case(world, number, realname=realname)
    case = case_assign(actor=officer, case=case)
    case = case_contact(
        actor=officer, case=case, at=past(minutes=2), method="phone", reached=False, summary="无人接听"
    )
    assert case.state == S.ASSIGNED  # an unreached attempt is kept but contacts nobody
    case = case_contact(
        actor=officer, case=case, at=past(minutes=1), method="phone", reached=True, summary="已联系评价人"
    )
    assert case.state == S.CONTACTED
    return case_verify(actor=officer, case=case, verification=verification, note="核实属实")


def _finish(people, case: Case) -> Case:
    officer = people.officer.actor
    case = case_feedback_send(actor=officer, case=case, text="您反映的问题已整改。")
    case = case_record_opinion(actor=SYSTEM, case=case, opinion="satisfied", source="status_page")
    return case_close(actor=officer, case=case, note="评价人满意")


@pytest.fixture
def in_alpha(world):
    with schema_context(world.info.schema):
        yield


# --- the full loop, one outcome at a time ------------------------------------------------------------------
def test_fixed_at_once(world, people, in_alpha):
    case = _to_verified(world, people)
    case = case_resolve(actor=people.officer.actor, case=case, outcome="fixed", note="当场补办")
    assert (case.state, case.outcome) == (S.RESOLVED, "fixed")
    case = _finish(people, case)
    assert case.state == S.CLOSED and case.closed_at is not None
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds == [
        "opened",
        "assigned",
        "callback",
        "callback",
        "verified",
        "resolved",
        "feedback_sent",
        "opinion",
        "closed",
    ]
    assert case.callbacks.count() == 2 and case_chain_verify(case=case).ok
    assert AuditEvent.objects.filter(target_type="Case", target_id=str(case.pk)).count() == 8


def test_explained(world, people, in_alpha):
    case = _to_verified(world, people, verification="needs_explanation")
    case = case_resolve(actor=people.officer.actor, case=case, outcome="explained", note="法规要求提供原件")
    case = _finish(people, case)
    assert (case.state, case.outcome) == (S.CLOSED, "explained")


def test_ledger_with_milestones(world, people, in_alpha):
    officer = people.officer.actor
    case = _to_verified(world, people)
    today = timezone.localdate()
    deadline = timezone.localtime(case.rectify_due).date()
    steps = [MilestoneInput("调整窗口排班", today), MilestoneInput("上线预约系统", deadline)]
    case = case_resolve(
        actor=officer, case=case, outcome="ledger", note="需要系统改造", deadline=deadline, milestones=steps
    )
    assert (case.state, case.ledger_deadline) == (S.LEDGER, deadline)
    first, second = LedgerMilestone.objects.filter(case=case).order_by("due", "id")
    case_milestone_done(actor=officer, case=case, milestone=first, note="已调整")
    with pytest.raises(ValidationError) as not_yet:
        case_ledger_complete(actor=officer, case=case, note="完成")
    assert "上线预约系统" in str(not_yet.value)
    case_milestone_done(actor=officer, case=case, milestone=second)
    case = case_ledger_complete(actor=officer, case=case, note="全部完成")
    assert case.state == S.RESOLVED and case.resolved_at is not None
    case = _finish(people, case)
    assert case.state == S.CLOSED and case_chain_verify(case=case).ok


def test_a_ledger_deadline_past_the_rectification_limit_is_refused(world, people, in_alpha):
    case = _to_verified(world, people)
    late = timezone.localtime(case.rectify_due).date() + timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        case_resolve(
            actor=people.officer.actor,
            case=case,
            outcome="ledger",
            note="x",
            deadline=late,
            milestones=[MilestoneInput("步骤", late)],
        )
    assert "deadline" in refused.value.message_dict


def test_not_adopted_confirmed_by_the_management_body(world, people, in_alpha):
    case = _to_verified(world, people, verification="malicious")
    case = case_resolve(
        actor=people.officer.actor, case=case, outcome="not_adopted", note="同一号码连续恶意差评"
    )
    assert case.state == S.PENDING_CONFIRMATION
    with pytest.raises(PermissionDenied):  # the officer cannot confirm its own proposal
        case_confirm_not_adopted(actor=people.officer.actor, case=case, confirm=True, note="同意")
    case = case_confirm_not_adopted(
        actor=people.supervisor.actor, case=case, confirm=True, note="经核查同意不予采纳"
    )
    assert (case.state, case.outcome) == (S.RESOLVED, "not_adopted")
    case = _finish(people, case)
    assert case.state == S.CLOSED


def test_not_adopted_refused_goes_back_to_verified(world, people, in_alpha):
    case = _to_verified(world, people, verification="mistaken")
    case = case_resolve(actor=people.officer.actor, case=case, outcome="not_adopted", note="误评")
    case = case_confirm_not_adopted(
        actor=people.admin.actor, case=case, confirm=False, note="证据不足，请解释说明"
    )
    assert (case.state, case.outcome) == (S.VERIFIED, "")
    case = case_resolve(actor=people.officer.actor, case=case, outcome="explained", note="已向评价人解释")
    assert case.state == S.RESOLVED


def test_not_adopted_only_for_mistaken_or_malicious_ratings(world, people, in_alpha):
    case = _to_verified(world, people, verification="reasonable")
    with pytest.raises(ValidationError) as refused:
        case_resolve(actor=people.officer.actor, case=case, outcome="not_adopted", note="x")
    assert "outcome" in refused.value.message_dict


# --- refusals ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("action", "kwargs"),
    [
        (case_verify, {"verification": "reasonable", "note": "x"}),
        (case_resolve, {"outcome": "fixed", "note": "x"}),
        (case_ledger_complete, {"note": "x"}),
        (case_feedback_send, {"text": "x"}),
        (case_close, {}),
        (case_reopen, {"note": "x"}),
        (case_contact, {"at": None, "method": "phone", "reached": True}),
    ],
)
def test_transitions_from_new_are_refused_naming_what_is_allowed(world, people, in_alpha, action, kwargs):
    case = bad_case(world)
    actor = people.supervisor.actor if action is case_reopen else people.officer.actor
    with pytest.raises(TransitionError) as refused:
        action(actor=actor, case=case, **kwargs)
    assert refused.value.allowed == ["assign", "reassign"]
    assert "Allowed now: assign, reassign." in refused.value.message_dict["state"][0]
    assert Case.objects.get(pk=case.pk).state == S.NEW and case.events.count() == 1


def test_feedback_before_resolution_and_close_before_feedback_are_refused(world, people, in_alpha):
    case = _to_verified(world, people)
    with pytest.raises(TransitionError):
        case_feedback_send(actor=people.officer.actor, case=case, text="x")
    case = case_resolve(actor=people.officer.actor, case=case, outcome="fixed", note="x")
    with pytest.raises(TransitionError):
        case_close(actor=people.officer.actor, case=case)


@pytest.mark.parametrize("who", ["auditor", "window_staff", "supervisor"])
def test_handling_needs_the_handling_role(world, people, in_alpha, who):
    case = case_assign(actor=people.officer.actor, case=bad_case(world))
    with pytest.raises(PermissionDenied):
        case_contact(
            actor=getattr(people, who).actor, case=case, at=past(minutes=1), method="phone", reached=True
        )
    assert case.callbacks.count() == 0


def test_supervising_needs_the_supervising_role(world, people, in_alpha):
    case = bad_case(world)
    with pytest.raises(PermissionDenied):
        case_reassign(actor=people.officer.actor, case=case, unit=people.other_department, note="转办")
    closed = _finish(
        people,
        case_resolve(
            actor=people.officer.actor,
            case=_to_verified(world, people, number="T-2"),
            outcome="fixed",
            note="x",
        ),
    )
    with pytest.raises(PermissionDenied):
        case_spot_check(actor=people.officer.actor, case=closed, result="confirmed")
    with pytest.raises(PermissionDenied):  # an officer reopens only after an "unsatisfied" opinion
        case_reopen(actor=people.officer.actor, case=closed, note="再处理")


def test_an_officer_of_another_unit_is_refused(world, people, in_alpha):
    case = bad_case(world)
    with pytest.raises(PermissionDenied):
        case_assign(actor=people.other_officer.actor, case=case)
    with pytest.raises(ValidationError) as outside:  # nor can it be assigned a case outside its unit
        case_assign(actor=people.supervisor.actor, case=case, assignee=people.other_officer)
    assert "assignee" in outside.value.message_dict
    assert case.events.count() == 1
    # the hall officer sits inside the hall: the hall's case is in reach
    assert case_assign(actor=people.hall_officer.actor, case=case).assignee == people.hall_officer


def test_supervisors_reassign_to_another_unit_and_it_is_recorded(world, people, in_alpha):
    case = case_assign(actor=people.officer.actor, case=bad_case(world))
    case = case_reassign(
        actor=people.supervisor.actor, case=case, unit=people.other_department, note="属人社局职责"
    )
    assert (case.state, case.unit, case.assignee) == (S.NEW, people.other_department, None)
    event = case.events.order_by("-seq").first()
    assert (event.kind, event.data["previous_code"], event.data["unit_code"]) == ("reassigned", "H01", "D02")
    with pytest.raises(PermissionDenied):  # now out of the first officer's reach
        case_assign(actor=people.officer.actor, case=case)
    assert case_assign(actor=people.other_officer.actor, case=case).state == S.ASSIGNED


def test_a_real_name_case_is_not_closed_without_a_reached_callback(world, people, in_alpha):
    officer = people.officer.actor
    # an anonymous rating cannot be called back: it is verified once assigned, with a note
    case = case_assign(actor=officer, case=bad_case(world, realname=False))
    case = case_verify(actor=officer, case=case, verification="reasonable", note="查看监控核实")
    case = case_resolve(actor=officer, case=case, outcome="fixed", note="已整改")
    # then the evaluator re-rates under real name: the case becomes real-name
    rate(world, "T-BAD-1", 5, realname=True)
    case = case_feedback_send(actor=officer, case=Case.objects.get(pk=case.pk), text="已整改")
    assert case.realname
    with pytest.raises(ValidationError) as refused:
        case_close(actor=officer, case=case)
    assert "callbacks" in refused.value.message_dict
    case_contact(actor=officer, case=case, at=past(minutes=1), method="phone", reached=True, summary="已回访")
    assert case_close(actor=officer, case=case).state == S.CLOSED


def test_a_real_name_case_is_verified_only_after_a_callback(world, people, in_alpha):
    case = case_assign(actor=people.officer.actor, case=bad_case(world, realname=True))
    with pytest.raises(TransitionError):
        case_verify(actor=people.officer.actor, case=case, verification="reasonable", note="x")


def test_a_callback_in_the_future_is_refused(world, people, in_alpha):
    case = case_assign(actor=people.officer.actor, case=bad_case(world))
    with pytest.raises(ValidationError) as refused:
        case_contact(
            actor=people.officer.actor,
            case=case,
            at=timezone.now() + timedelta(hours=1),
            method="phone",
            reached=True,
        )
    assert "at" in refused.value.message_dict


def test_staff_and_keys_record_phone_opinions_only_the_evaluators_own_answers_come_from_the_system(
    world, people, in_alpha
):
    officer = people.officer.actor
    case = case_resolve(actor=officer, case=_to_verified(world, people), outcome="fixed", note="x")
    case = case_feedback_send(actor=officer, case=case, text="已整改")
    work_order = Actor(kind="api_key", id=1, label="12345 hotline", role="work_order")
    for actor in (officer, work_order):
        for source in ("status_page", "sms"):
            with pytest.raises(ValidationError) as refused:
                case_record_opinion(actor=actor, case=case, opinion="satisfied", source=source)
            assert "source" in refused.value.message_dict
    assert not case.events.filter(kind="opinion").exists()
    case = case_record_opinion(actor=officer, case=case, opinion="unsatisfied", source="phone", note="电话")
    assert (case.evaluator_opinion, case.opinion_source) == ("unsatisfied", "phone")
    case = case_record_opinion(actor=SYSTEM, case=case, opinion="satisfied", source="sms")
    assert (case.evaluator_opinion, case.opinion_source) == ("satisfied", "sms")


# --- reopen ------------------------------------------------------------------------------------------------
def test_an_unsatisfied_evaluator_lets_the_officer_reopen(world, people, in_alpha):
    officer = people.officer.actor
    case = case_resolve(actor=officer, case=_to_verified(world, people), outcome="fixed", note="x")
    case = case_feedback_send(actor=officer, case=case, text="已整改")
    case = case_record_opinion(actor=SYSTEM, case=case, opinion="unsatisfied", source="sms")
    assert case.events.order_by("-seq").first().data["reopen_offered"] is True
    case = case_reopen(actor=officer, case=case, note="评价人不满意，重新处理")
    assert (case.state, case.reopened_count, case.outcome, case.evaluator_opinion) == (S.ASSIGNED, 1, "", "")
    assert case.contact_due > timezone.now()  # the deadlines restart


def test_supervisors_reopen_a_closed_case(world, people, in_alpha):
    case = _finish(
        people,
        case_resolve(actor=people.officer.actor, case=_to_verified(world, people), outcome="fixed", note="x"),
    )
    case = case_reopen(actor=people.supervisor.actor, case=case, note="抽查发现未整改到位")
    assert (case.state, case.reopened_count, case.closed_at) == (S.ASSIGNED, 1, None)
    assert case_chain_verify(case=case).ok


def test_a_reopened_real_name_case_is_called_back_again_and_closes(world, people, in_alpha):
    officer = people.officer.actor
    case = _finish(
        people, case_resolve(actor=officer, case=_to_verified(world, people), outcome="fixed", note="x")
    )
    case = case_reopen(actor=people.supervisor.actor, case=case, note="抽查发现未整改到位")
    assert (case.state, case.contacted_at) == (S.ASSIGNED, None)
    assert case.callbacks.count() == 2  # the first round's callbacks stay recorded
    assert realname_callback_rate().numerator == 0  # not called back in this round yet
    with pytest.raises(TransitionError):  # a real-name case is verified after a new callback
        case_verify(actor=officer, case=case, verification="reasonable", note="x")
    case = case_contact(actor=officer, case=case, at=past(minutes=1), method="phone", reached=True)
    assert case.state == S.CONTACTED and case.contacted_at is not None
    case = case_verify(actor=officer, case=case, verification="reasonable", note="再次核实")
    case = case_resolve(actor=officer, case=case, outcome="fixed", note="重新整改")
    case = _finish(people, case)
    assert (case.state, case.reopened_count) == (S.CLOSED, 1)
    assert case.callbacks.count() == 3 and case_chain_verify(case=case).ok
    rate_now = realname_callback_rate()
    assert (rate_now.numerator, rate_now.denominator) == (1, 1)


def test_a_new_bad_rating_after_closing_opens_a_new_case(world, people, in_alpha):
    closed = _finish(
        people,
        case_resolve(actor=people.officer.actor, case=_to_verified(world, people), outcome="fixed", note="x"),
    )
    again = rate(world, "T-BAD-1", 5)
    assert again.case_id != closed.pk
    with pytest.raises(TransitionError):  # and the old one is not reopened beside it
        case_reopen(actor=people.supervisor.actor, case=closed, note="再处理")


# --- supervision -----------------------------------------------------------------------------------------
def test_spot_checks_of_a_random_sample_of_closed_cases(world, people, in_alpha):
    closed = [
        _finish(
            people,
            case_resolve(
                actor=people.officer.actor,
                case=_to_verified(world, people, number=f"T-{i}"),
                outcome="fixed",
                note="x",
            ),
        )
        for i in range(4)
    ]
    today = timezone.localdate()
    sample = cases_sample_closed(start=today, end=today, count=2, seed="s1")
    assert len(sample) == 2 and sample == cases_sample_closed(start=today, end=today, count=2, seed="s1")
    assert len(cases_sample_closed(start=today, end=today, percent=50)) == 2
    check = case_spot_check(
        actor=people.supervisor.actor, case=sample[0], result="problem", note="回访记录不完整"
    )
    assert check.result == "problem" and sample[0].events.order_by("-seq").first().kind == "spot_check"
    with pytest.raises(ValidationError):  # a problem is described
        case_spot_check(actor=people.supervisor.actor, case=closed[0], result="problem")


def test_identity_is_revealed_to_the_assignee_and_supervisors_only_and_audited(world, people, in_alpha):
    case = case_assign(actor=people.officer.actor, case=bad_case(world, realname=True))
    identity = case_identity_reveal(actor=people.officer.actor, case=case, reason="回访需要联系电话")
    assert identity.phone == "13800138000"
    assert case_identity_reveal(actor=people.supervisor.actor, case=case, reason="督办回访").name == "李小明"
    for someone in (people.hall_officer, people.auditor, people.admin, people.other_officer):
        with pytest.raises(PermissionDenied):
            case_identity_reveal(actor=someone.actor, case=case, reason="想看看")
    with pytest.raises(ValidationError):  # a reason is required
        case_identity_reveal(actor=people.officer.actor, case=case, reason="")
    reveals = AuditEvent.objects.filter(action="identity.reveal", target_type="Case", target_id=str(case.pk))
    assert sorted(reveals.values_list("actor_label", "reason")) == sorted(
        [(people.officer.email, "回访需要联系电话"), (people.supervisor.email, "督办回访")]
    )


def test_the_rated_staff_member_neither_handles_the_case_nor_sees_who_rated(world, people, in_alpha):
    from tenants.evaluations.models import Transaction
    from tenants.organisation.services import membership_set

    case = bad_case(world, realname=True)
    Transaction.objects.filter(pk=case.transaction_id).update(staff=world.staff)  # S001 was rated
    # the hall officer is S001's account; the supervisor has a staff record too, another one
    membership_set(actor=SYSTEM, user=people.hall_officer, unit=world.hall, staff=world.staff)
    with pytest.raises(PermissionDenied, match="own rating"):  # not by themselves
        case_assign(actor=people.hall_officer.actor, case=case)
    with pytest.raises(ValidationError) as refused:  # nor by anyone else
        case_assign(actor=people.supervisor.actor, case=case, assignee=people.hall_officer)
    assert "own rating" in refused.value.message_dict["assignee"][0]
    assert case.events.count() == 1 and Case.objects.get(pk=case.pk).assignee is None
    # assigned before the staff record was linked: still no reveal
    case = case_assign(actor=people.supervisor.actor, case=case, assignee=people.officer)
    Case.objects.filter(pk=case.pk).update(assignee=people.hall_officer)
    case = Case.objects.get(pk=case.pk)
    with pytest.raises(PermissionDenied, match="own rating"):
        case_identity_reveal(actor=people.hall_officer.actor, case=case, reason="回访需要联系电话")
    assert not AuditEvent.objects.filter(action="identity.reveal").exists()
    with pytest.raises(PermissionDenied, match="own rating"):  # nor handle it in any other way
        case_contact(
            actor=people.hall_officer.actor, case=case, at=past(minutes=1), method="phone", reached=True
        )
    assert case.callbacks.count() == 0
    # another officer handles it, and sees the evaluator while the callback is due
    case = case_assign(actor=people.supervisor.actor, case=case, assignee=people.officer)
    assert (
        case_identity_reveal(actor=people.officer.actor, case=case, reason="回访需要联系电话").phone
        == "13800138000"
    )


def test_the_assignee_sees_the_evaluator_only_while_the_callback_is_due(world, people, in_alpha):
    officer = people.officer.actor
    case = _to_verified(world, people)  # assigned → contacted (revealed for the call) → verified
    with pytest.raises(PermissionDenied):
        case_identity_reveal(actor=officer, case=case, reason="想再看看")
    case = case_resolve(actor=officer, case=case, outcome="fixed", note="x")
    with pytest.raises(PermissionDenied):
        case_identity_reveal(actor=officer, case=case, reason="想再看看")
    # a supervisor with the reveal permission still may (audited)
    assert (
        case_identity_reveal(actor=people.supervisor.actor, case=case, reason="督办回访核查").name == "李小明"
    )


# --- reads -----------------------------------------------------------------------------------------------
def test_lists_are_scoped_to_the_officers_unit(world, people, in_alpha):
    mine = bad_case(world, "T-1")
    with schema_context(world.info.schema):
        from tenants.cases.services import case_open_from_complaint

        theirs = case_open_from_complaint(actor=SYSTEM, unit=people.other_department, summary="投诉")
    assert list(cases_for(actor=people.officer.actor)) == [mine]
    assert list(cases_for(actor=people.other_officer.actor)) == [theirs]
    assert set(cases_for(actor=people.supervisor.actor)) == {mine, theirs}
    assert list(cases_for(actor=people.supervisor.actor, unit=world.department)) == [mine]
    with pytest.raises(PermissionDenied):
        case_detail(actor=people.other_officer.actor, case_id=mine.pk)
    with pytest.raises(PermissionDenied):
        cases_for(actor=people.window_staff.actor)


def test_overdue_cases(world, people, in_alpha):
    case = bad_case(world)
    assert not cases_for(actor=people.supervisor.actor, overdue=True).exists()
    later = case.contact_due + timedelta(minutes=1)
    assert list(cases_for(actor=people.supervisor.actor, overdue=True, now=later)) == [case]
    case = case_assign(actor=people.officer.actor, case=case)
    case_contact(actor=people.officer.actor, case=case, at=past(minutes=1), method="phone", reached=True)
    assert not cases_for(actor=people.supervisor.actor, overdue=True, now=later).exists()  # contacted in time


def test_the_real_name_callback_rate_reaches_100_percent(world, people, in_alpha):
    done = _finish(
        people,
        case_resolve(actor=people.officer.actor, case=_to_verified(world, people), outcome="fixed", note="x"),
    )
    bad_case(world, "T-2", realname=True)  # still open
    bad_case(world, "T-3", realname=False)  # anonymous: not counted
    rate_now = realname_callback_rate()
    assert (rate_now.numerator, rate_now.denominator, rate_now.percent) == (1, 2, 50.0)
    indicators = closed_loop_indicators()
    assert indicators.bad_reviews == 3
    assert (indicators.reply.numerator, indicators.callback_rectification.numerator) == (1, 1)
    assert (indicators.satisfaction.numerator, indicators.rectification.denominator) == (1, 1)
    assert indicators.timeliness.value == 1.0 and indicators.realname_callback == rate_now
    assert done.state == S.CLOSED
