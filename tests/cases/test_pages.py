"""Case pages (/cases/): the list scoped to who asks with the closed-loop banner, one form per action that
changes the state through the services, refusals shown without changing anything, 403 for roles and 404 for
other units and tenants, the audited identity reveal (masked otherwise), the overdue board, spot checks and a
social complaint opening a case."""

from datetime import timedelta

from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.models import AuditEvent
from tenants.assisted.models import SocialComment
from tenants.cases.models import Case, CaseSpotCheck, CaseState, LedgerMilestone
from tenants.cases.services import (
    case_assign,
    case_close,
    case_contact,
    case_feedback_send,
    case_open_from_complaint,
    case_resolve,
    case_verify,
)
from tenants.catalog.models import GuideCorrectionTask
from tenants.notify.models import Notification
from tests.cases.conftest import EVALUATOR, SYSTEM, bad_case, past, person, signed_in
from tests.conftest import host_client

S = CaseState
SECRETS = (EVALUATOR["name"], EVALUATOR["phone"], EVALUATOR["id_number"])


def _html(response) -> str:
    return response.content.decode()


def _state(world, case) -> str:
    with schema_context(world.info.schema):
        return Case.objects.get(pk=case.pk).state


def _events(world, case) -> int:
    with schema_context(world.info.schema):
        return Case.objects.get(pk=case.pk).last_seq


def _act(client, case, action, **data):
    body = {f"{action}-{k}": v for k, v in data.items()}
    return client.post(f"/cases/{case.pk}/act/{action}", body)


def _now_local() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


def _complaint(world, unit, text="窗口人员态度冷漠", **kwargs) -> Case:
    with schema_context(world.info.schema):
        return case_open_from_complaint(actor=SYSTEM, unit=unit, summary=text, **kwargs)


def _closed(world, people, number="T-CLOSED-1") -> Case:
    officer = people.officer.actor
    case = bad_case(world, number, realname=True)
    with schema_context(world.info.schema):
        case = case_assign(actor=officer, case=case)
        case = case_contact(actor=officer, case=case, at=past(minutes=1), method="phone", reached=True)
        case = case_verify(actor=officer, case=case, verification="reasonable")
        case = case_resolve(actor=officer, case=case, outcome="fixed", note="当场整改")
        case = case_feedback_send(actor=officer, case=case, text="已整改")
        return case_close(actor=officer, case=case)


# --- the list -------------------------------------------------------------------------------------------------
def test_the_list_shows_each_officer_the_cases_of_its_own_units_and_supervisors_all(world, people):
    hall_case = bad_case(world, "T-HALL-1")
    other_case = _complaint(world, people.other_department)
    pages = {
        who: _html(signed_in(world.info, getattr(people, who)).get("/cases/"))
        for who in ("officer", "hall_officer", "other_officer", "supervisor", "admin", "auditor")
    }
    for who in ("officer", "hall_officer"):
        assert hall_case.number in pages[who] and other_case.number not in pages[who], who
    assert other_case.number in pages["other_officer"] and hall_case.number not in pages["other_officer"]
    for who in ("supervisor", "admin", "auditor"):
        assert hall_case.number in pages[who] and other_case.number in pages[who], who
    # the row: unit, state, the next deadline (contact), the reason tag, nobody assigned yet
    assert "H01" in pages["officer"] and 'data-state="new"' in pages["officer"]
    assert "服务态度差" in pages["officer"]


def test_window_staff_may_not_see_cases_and_an_unplaced_officer_sees_none(world, people):
    bad_case(world, "T-HALL-1")
    assert signed_in(world.info, people.window_staff).get("/cases/").status_code == 403
    loose = person(world.info, "officer", "loose-officer")
    html = _html(signed_in(world.info, loose).get("/cases/"))
    assert "not placed in a unit" in html and "T-HALL-1" not in html and 'data-rate="realname"' not in html
    assert host_client(world.info.host).get("/cases/").status_code == 302


def test_filters_narrow_the_list(world, people):
    anonymous = bad_case(world, "T-ANON-1")
    realname = bad_case(world, "T-REAL-1", realname=True)
    complaint = _complaint(world, people.other_department)
    with schema_context(world.info.schema):
        Case.objects.filter(pk=anonymous.pk).update(contact_due=past(hours=2))
    client = signed_in(world.info, people.supervisor)

    def numbers(query):
        html = _html(client.get(f"/cases/?{query}"))
        return {c.number for c in (anonymous, realname, complaint) if c.number in html}

    assert numbers("realname=yes") == {realname.number}
    assert numbers("realname=no") == {anonymous.number, complaint.number}
    assert numbers("overdue=yes") == {anonymous.number}
    assert numbers("unit_code=D02") == {complaint.number}
    assert numbers("unit_code=H01&state=new") == {anonymous.number, realname.number}
    assert numbers("state=closed") == set()
    today = timezone.localdate()
    assert numbers(f"start={today}&end={today}") == {anonymous.number, realname.number, complaint.number}
    assert numbers(f"end={today - timedelta(days=1)}") == set()
    response = client.get("/cases/?unit_code=NOPE")
    assert response.status_code == 400 and "No unit has the code" in _html(response)


def test_mine_lists_the_cases_assigned_to_me(world, people):
    mine = bad_case(world, "T-MINE-1")
    other = bad_case(world, "T-OTHER-1")
    with schema_context(world.info.schema):
        case_assign(actor=people.officer.actor, case=mine)
        case_assign(actor=people.hall_officer.actor, case=other)
    html = _html(signed_in(world.info, people.officer).get("/cases/?mine=on"))
    assert mine.number in html and other.number not in html


def test_the_banner_counts_real_name_callbacks_and_the_closed_loop_rates(world, people):
    _closed(world, people)
    bad_case(world, "T-REAL-OPEN", realname=True)
    html = _html(signed_in(world.info, people.supervisor).get("/cases/"))
    # 实名差评回访整改率: one of two real-name cases called back and closed
    realname = html.split('data-rate="realname"')[1].split("</li>")[0]
    assert "50%" in realname and "1 of 2" in realname and "target 100%" in realname
    reply = html.split('data-rate="reply"')[1].split("</li>")[0]
    assert "50%" in reply and "1 of 2" in reply
    satisfaction = html.split('data-rate="satisfaction"')[1].split("</li>")[0]
    assert "0%" in satisfaction and "0 of 2" in satisfaction
    # an officer of another department sees its own (empty) branch, not the tenant's figures
    other = _html(signed_in(world.info, people.other_officer).get("/cases/"))
    assert "0 of 0" in other.split('data-rate="realname"')[1].split("</li>")[0]


# --- one case: the full loop through the forms -----------------------------------------------------------------
def test_an_officer_walks_a_real_name_case_from_new_to_closed_through_the_forms(world, people):
    case = bad_case(world, realname=True)
    client = signed_in(world.info, people.officer)
    page = _html(client.get(f"/cases/{case.pk}/"))
    assert 'id="action-assign"' in page and 'id="action-verify"' not in page
    assert 'id="action-spot-check"' not in page and 'id="action-reassign"' not in page  # supervisors only

    steps = [
        ("assign", {"assignee": "", "note": ""}, S.ASSIGNED),
        (
            "contact",
            {"at": _now_local(), "method": "phone", "reached": "no", "summary": "无人接听"},
            S.ASSIGNED,
        ),
        (
            "contact",
            {"at": _now_local(), "method": "phone", "reached": "yes", "summary": "已联系"},
            S.CONTACTED,
        ),
        ("verify", {"verification": "reasonable", "note": "情况属实"}, S.VERIFIED),
        ("resolve", {"outcome": "fixed", "note": "当场补办并致歉"}, S.RESOLVED),
        ("feedback", {"text": "您反映的问题已整改，感谢监督。"}, S.FEEDBACK_SENT),
        ("opinion", {"opinion": "satisfied", "note": "电话回访满意"}, S.FEEDBACK_SENT),
        ("close", {"note": ""}, S.CLOSED),
    ]
    for action, data, state in steps:
        response = _act(client, case, action, **data)
        assert response.status_code == 302, (action, _html(response))
        assert response.url == f"/cases/{case.pk}/"
        assert _state(world, case) == state, action
    with schema_context(world.info.schema):
        done = Case.objects.get(pk=case.pk)
        assert done.assignee_id == people.officer.pk and done.outcome == "fixed"
        assert done.evaluator_opinion == "satisfied" and done.opinion_source == "phone"
        assert done.callbacks.count() == 2
    with schema_context(world.info.schema):
        [sms] = Notification.objects.filter(reference=f"case-feedback:{case.pk}")
        assert sms.channel == "sms" and sms.recipient_masked == "138****8000"  # queued, sent after commit
    page = _html(client.get(f"/cases/{case.pk}/"))
    assert 'data-state="closed"' in page and 'data-ok="true"' in page and "Chain verified" in page
    assert done.head_hash[:12] in page and page.count('<tr data-kind="') == done.last_seq
    assert "您反映的问题已整改" in page and "当场补办并致歉" in page


def test_a_supervisor_assigns_an_officer_of_the_unit(world, people):
    case = bad_case(world)
    client = signed_in(world.info, people.supervisor)
    page = _html(client.get(f"/cases/{case.pk}/"))
    assert people.hall_officer.email in page and people.other_officer.email not in page  # officers above
    assert _act(client, case, "assign", assignee=str(people.hall_officer.pk)).status_code == 302
    with schema_context(world.info.schema):
        assert Case.objects.get(pk=case.pk).assignee_id == people.hall_officer.pk
    # a supervisor cannot take a case itself: the field is required for it
    other = bad_case(world, "T-BAD-2")
    response = _act(client, other, "assign", assignee="")
    assert response.status_code == 400 and _state(world, other) == S.NEW


def test_a_ledger_case_with_steps_is_ticked_off_and_completed(world, people):
    case = bad_case(world)
    officer = people.officer.actor
    with schema_context(world.info.schema):
        case = case_assign(actor=officer, case=case)
        case = case_verify(actor=officer, case=case, verification="reasonable", note="匿名，调取录像核实")
        limit = timezone.localtime(case.rectify_due).date()
    client = signed_in(world.info, people.officer)
    today = timezone.localdate()
    # a step after the deadline is refused on its own field, nothing changes
    response = _act(
        client,
        case,
        "resolve",
        outcome="ledger",
        note="需修订办事指南",
        deadline=str(limit),
        step1_title="修订指南",
        step1_due=str(limit + timedelta(days=30)),
    )
    assert response.status_code == 400 and "A step is due between today and the deadline" in _html(response)
    assert _state(world, case) == S.VERIFIED
    response = _act(
        client,
        case,
        "resolve",
        outcome="ledger",
        note="需修订办事指南",
        deadline=str(limit),
        step1_title="修订指南",
        step1_due=str(today),
        step2_title="培训窗口人员",
        step2_due=str(limit),
    )
    assert response.status_code == 302 and _state(world, case) == S.LEDGER
    with schema_context(world.info.schema):
        steps = list(LedgerMilestone.objects.filter(case_id=case.pk).order_by("due", "id"))
    assert [s.title for s in steps] == ["修订指南", "培训窗口人员"]
    response = _act(client, case, "complete-ledger", note="完成")
    assert response.status_code == 400 and "Steps not done yet" in _html(response)
    for step in steps:
        assert _act(client, case, "milestone", milestone=str(step.pk), note="已完成").status_code == 302
    assert _act(client, case, "complete-ledger", note="指南已修订，人员已培训").status_code == 302
    assert _state(world, case) == S.RESOLVED


def test_not_adopted_waits_for_a_supervisor_who_confirms_it(world, people):
    case = bad_case(world)
    officer = people.officer.actor
    with schema_context(world.info.schema):
        case = case_assign(actor=officer, case=case)
        case = case_verify(actor=officer, case=case, verification="malicious", note="同一号码重复差评")
    client = signed_in(world.info, people.officer)
    form = _html(client.get(f"/cases/{case.pk}/")).split('id="action-resolve"')[1].split("</form>")[0]
    assert 'value="not_adopted"' in form and 'value="fixed"' not in form  # outcomes fit the verification
    assert _act(client, case, "resolve", outcome="not_adopted", note="恶意差评").status_code == 302
    assert _state(world, case) == S.PENDING_CONFIRMATION
    assert _act(client, case, "confirm-not-adopted", confirm="yes", note="x").status_code == 403
    supervisor = signed_in(world.info, people.supervisor)
    assert 'id="action-confirm-not-adopted"' in _html(supervisor.get(f"/cases/{case.pk}/"))
    assert (
        _act(supervisor, case, "confirm-not-adopted", confirm="yes", note="经核查属恶意").status_code == 302
    )
    assert _state(world, case) == S.RESOLVED


def test_supervisors_reassign_reopen_and_spot_check_officers_may_not(world, people):
    case = bad_case(world)
    officer, supervisor = signed_in(world.info, people.officer), signed_in(world.info, people.supervisor)
    assert _act(officer, case, "reassign", unit_code="D02", note="x").status_code == 403
    response = _act(supervisor, case, "reassign", unit_code="NOPE", note="转办")
    assert response.status_code == 400 and "No unit has the code" in _html(response)
    assert _act(supervisor, case, "reassign", unit_code="D02", note="属人社局职责").status_code == 302
    with schema_context(world.info.schema):
        moved = Case.objects.get(pk=case.pk)
        assert (moved.unit_id, moved.state) == (people.other_department.pk, S.NEW)
    assert officer.get(f"/cases/{case.pk}/").status_code == 404  # out of the officer's branch now

    closed = _closed(world, people)
    assert _act(officer, closed, "reopen", note="x").status_code == 403  # the evaluator did not object
    assert _act(officer, closed, "spot-check", result="confirmed").status_code == 403
    assert _act(supervisor, closed, "spot-check", result="problem", note="").status_code == 400
    assert _act(supervisor, closed, "spot-check", result="confirmed", note="回访记录完整").status_code == 302
    assert _act(supervisor, closed, "reopen", note="抽查发现整改不到位").status_code == 302
    with schema_context(world.info.schema):
        reopened = Case.objects.get(pk=closed.pk)
        assert (reopened.state, reopened.reopened_count) == (S.ASSIGNED, 1)
        assert CaseSpotCheck.objects.filter(case_id=closed.pk).count() == 1


# --- refusals ---------------------------------------------------------------------------------------------------
def test_refused_transitions_show_the_services_message_and_change_nothing(world, people):
    case = bad_case(world, realname=True)
    client = signed_in(world.info, people.officer)
    # not allowed in this state at all (a stale page): 409 with the allowed actions named
    before = _events(world, case)
    response = _act(client, case, "close", note="")
    html = _html(response)
    assert (
        response.status_code == 409 and "is not possible while the case is" in html and "Allowed now" in html
    )
    assert 'role="alert"' in html
    assert (_state(world, case), _events(world, case)) == (S.NEW, before)

    # a real-name case is verified only after a callback reached the evaluator
    assert _act(client, case, "assign", assignee="").status_code == 302
    before = _events(world, case)
    response = _act(client, case, "verify", verification="reasonable", note="")
    assert response.status_code == 409
    assert "verified after a callback has reached the evaluator" in _html(response)
    assert (_state(world, case), _events(world, case)) == (S.ASSIGNED, before)

    # a callback in the future is refused on its field
    future = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = _act(client, case, "contact", at=future, method="phone", reached="yes", summary="")
    assert response.status_code == 400 and "not in the future" in _html(response)
    assert _events(world, case) == before
    # a required note left empty is refused by the form
    response = _act(client, case, "feedback", text="")
    assert response.status_code in (400, 409) and _events(world, case) == before


def test_a_real_name_case_cannot_be_closed_without_a_reached_callback(world, people):
    case = bad_case(world, realname=True)
    officer = people.officer.actor
    with schema_context(world.info.schema):
        case = case_assign(actor=officer, case=case)
        case = case_contact(actor=officer, case=case, at=past(minutes=1), method="phone", reached=True)
        case = case_verify(actor=officer, case=case, verification="reasonable")
        case = case_resolve(actor=officer, case=case, outcome="fixed", note="整改")
        case = case_feedback_send(actor=officer, case=case, text="已整改")
        Case.objects.filter(pk=case.pk).update(contacted_at=None)  # as if no callback had reached anyone
    response = _act(signed_in(world.info, people.officer), case, "close", note="")
    assert response.status_code == 400
    assert "closed only after a callback has reached the evaluator" in _html(response)
    assert _state(world, case) == S.FEEDBACK_SENT


def test_other_units_and_other_tenants_get_404_and_unknown_actions_too(world, people, beta):
    case = bad_case(world)
    outsider = signed_in(world.info, people.other_officer)
    assert outsider.get(f"/cases/{case.pk}/").status_code == 404
    assert _act(outsider, case, "assign", assignee="").status_code == 404
    assert outsider.post(f"/cases/{case.pk}/reveal", {"reveal-reason": "需要回访"}).status_code == 404
    stranger = person(beta, "supervisor", "beta-supervisor")
    foreign = signed_in(beta, stranger)
    assert foreign.get(f"/cases/{case.pk}/").status_code == 404
    assert _act(foreign, case, "assign", assignee="").status_code == 404
    assert case.number not in _html(foreign.get("/cases/"))
    assert _state(world, case) == S.NEW
    supervisor = signed_in(world.info, people.supervisor)
    assert supervisor.post(f"/cases/{case.pk}/act/fly", {}).status_code == 404
    assert supervisor.get(f"/cases/{case.pk}/act/assign").status_code == 405
    assert signed_in(world.info, people.auditor).get(f"/cases/{case.pk}/").status_code == 200
    assert _act(signed_in(world.info, people.auditor), case, "assign", assignee="").status_code == 403


# --- identity ---------------------------------------------------------------------------------------------------
def test_the_evaluator_is_masked_and_revealed_only_to_the_assignee_or_a_supervisor_with_an_audit(
    world, people
):
    case = bad_case(world, realname=True)
    officer = signed_in(world.info, people.officer)
    page = _html(officer.get(f"/cases/{case.pk}/"))
    assert "李*" in page and "138****8000" in page
    assert not [s for s in SECRETS if s in page]
    assert 'id="reveal-form"' not in page  # not assigned yet
    assert officer.post(f"/cases/{case.pk}/reveal", {"reveal-reason": "回访需要"}).status_code == 403

    assert _act(officer, case, "assign", assignee="").status_code == 302
    page = _html(officer.get(f"/cases/{case.pk}/"))
    assert 'id="reveal-form"' in page and not [s for s in SECRETS if s in page]
    response = officer.post(f"/cases/{case.pk}/reveal", {"reveal-reason": ""})
    assert response.status_code == 400 and not [s for s in SECRETS if s in _html(response)]
    response = officer.post(f"/cases/{case.pk}/reveal", {"reveal-reason": "回访需要联系电话"})
    html = _html(response)
    assert response.status_code == 200 and EVALUATOR["name"] in html and EVALUATOR["phone"] in html
    assert "no-store" in response["Cache-Control"]
    # the list never shows it, nor the next page load
    assert not [s for s in SECRETS if s in _html(officer.get(f"/cases/{case.pk}/"))]
    assert not [s for s in SECRETS if s in _html(officer.get("/cases/"))]

    hall = signed_in(world.info, people.hall_officer)  # handles cases in the unit, but is not the assignee
    assert hall.post(f"/cases/{case.pk}/reveal", {"reveal-reason": "想看看"}).status_code == 403
    admin = signed_in(world.info, people.admin)  # supervises cases, may not reveal identities
    assert admin.post(f"/cases/{case.pk}/reveal", {"reveal-reason": "想看看"}).status_code == 403
    supervisor = signed_in(world.info, people.supervisor)
    assert supervisor.post(f"/cases/{case.pk}/reveal", {"reveal-reason": "督办回访"}).status_code == 200
    with schema_context(world.info.schema):
        reveals = AuditEvent.objects.filter(
            action="identity.reveal", target_type="Case", target_id=str(case.pk)
        )
        assert sorted(reveals.values_list("actor_label", "reason")) == sorted(
            [(people.officer.email, "回访需要联系电话"), (people.supervisor.email, "督办回访")]
        )


# --- boards ----------------------------------------------------------------------------------------------------
def test_the_overdue_board_lists_overdue_cases_by_unit_and_deadline(world, people):
    late = bad_case(world, "T-LATE-1")
    very_late = bad_case(world, "T-LATE-2")
    on_time = bad_case(world, "T-ONTIME-1")
    other = _complaint(world, people.other_department)
    with schema_context(world.info.schema):
        Case.objects.filter(pk=late.pk).update(contact_due=past(hours=3), escalation_level=1)
        Case.objects.filter(pk=very_late.pk).update(contact_due=past(days=3), escalation_level=2)
        case = case_assign(actor=people.supervisor.actor, case=other, assignee=people.other_officer)
        case = case_contact(
            actor=people.other_officer.actor, case=case, at=past(minutes=1), method="phone", reached=True
        )
        Case.objects.filter(pk=other.pk).update(feedback_due=past(days=1))
    html = _html(signed_in(world.info, people.supervisor).get("/cases/overdue/"))
    contact = html.split('id="section-contact"')[1].split("</section>")[0]
    assert contact.index(very_late.number) < contact.index(late.number)  # the longest overdue first
    assert on_time.number not in html
    assert other.number in html.split('id="section-feedback"')[1].split("</section>")[0]
    assert 'data-escalation="2"' in contact and 'data-escalation="1"' in contact
    by_unit = html.split('id="overdue-by-unit"')[1].split("</table>")[0]
    assert 'data-unit="H01"' in by_unit and 'data-unit="D02"' in by_unit
    # an officer sees only its branch
    mine = _html(signed_in(world.info, people.officer).get("/cases/overdue/"))
    assert late.number in mine and other.number not in mine
    # the list's overdue mark agrees
    assert 'class="overdue"' in _html(signed_in(world.info, people.officer).get("/cases/?overdue=yes"))


def test_a_supervisor_draws_closed_cases_and_records_spot_checks(world, people):
    closed = _closed(world, people)
    bad_case(world, "T-OPEN-1")
    officer = signed_in(world.info, people.officer)
    assert officer.get("/cases/spot-checks/").status_code == 403
    client = signed_in(world.info, people.supervisor)
    today = timezone.localdate()
    response = client.get(f"/cases/spot-checks/?start={today}&end={today}&mode=count&amount=5")
    assert response.status_code == 302 and "seed=" in response.url  # the draw gets a seed to stay stable
    html = _html(client.get(response.url))
    assert closed.number in html and "T-OPEN-1" not in html
    query = response.url.split("?", 1)[1]
    bad = client.post(
        "/cases/spot-checks/",
        {
            "case_id": str(closed.pk),
            "query": query,
            f"c{closed.pk}-result": "problem",
            f"c{closed.pk}-note": "",
        },
    )
    assert bad.status_code == 400 and "required" in _html(bad).lower()
    done = client.post(
        "/cases/spot-checks/",
        {
            "case_id": str(closed.pk),
            "query": query,
            f"c{closed.pk}-result": "confirmed",
            f"c{closed.pk}-note": "好",
        },
    )
    assert done.status_code == 302 and done.url.endswith(query)
    with schema_context(world.info.schema):
        assert list(CaseSpotCheck.objects.values_list("case_id", "result")) == [(closed.pk, "confirmed")]
    assert "Handled properly" in _html(client.get(done.url))
    percent = _html(
        client.get(f"/cases/spot-checks/?start={today}&end={today}&mode=percent&amount=100&seed=x")
    )
    assert closed.number in percent
    assert (
        client.get(f"/cases/spot-checks/?start={today}&end={today}&mode=percent&amount=150").status_code
        == 400
    )


# --- social complaints ------------------------------------------------------------------------------------------
def test_a_supervisor_opens_a_case_from_a_social_comment(world, people):
    with schema_context(world.info.schema):
        named = SocialComment.objects.create(
            source_kind="hotline",
            subject="投诉",
            text="W01 窗口让我跑了三次",
            received_at=timezone.now(),
            window=world.window,
            created_by="tests",
        )
        loose = SocialComment.objects.create(
            source_kind="email", text="办事太慢", received_at=timezone.now(), created_by="tests"
        )
    supervisor = signed_in(world.info, people.supervisor)
    page = _html(supervisor.get("/assisted/social/"))
    assert f'action="/assisted/social/{named.pk}/case"' in page and f'id="case-unit-{loose.pk}"' in page
    assert f'id="case-unit-{named.pk}"' not in page  # its unit is known

    response = supervisor.post(f"/assisted/social/{named.pk}/case", {})
    with schema_context(world.info.schema):
        case = Case.objects.get(source="complaint", source_ref=f"social:{named.pk}")
        assert case.unit_id == world.window.pk and "跑了三次" in case.summary and case.state == S.NEW
    assert response.status_code == 302 and response.url == f"/cases/{case.pk}/"
    again = supervisor.post(f"/assisted/social/{named.pk}/case", {})  # the same comment: the same case
    assert again.url == f"/cases/{case.pk}/"
    assert f'href="/cases/{case.pk}/"' in _html(supervisor.get("/assisted/social/"))
    assert "跑了三次" in _html(supervisor.get(f"/cases/{case.pk}/"))

    response = supervisor.post(f"/assisted/social/{loose.pk}/case", {"unit_code": "D02"})
    with schema_context(world.info.schema):
        assert Case.objects.get(source_ref=f"social:{loose.pk}").unit_id == people.other_department.pk
    officer = signed_in(world.info, people.officer)
    assert officer.post(f"/assisted/social/{named.pk}/case", {}).status_code == 403
    assert f"/assisted/social/{named.pk}/case" not in _html(officer.get("/assisted/social/"))


def test_the_home_page_links_to_the_cases(world, people):
    assert 'href="/cases/"' in _html(signed_in(world.info, people.officer).get("/"))


def test_the_case_page_names_the_first_bad_event_of_a_tampered_history(world, people):
    case = bad_case(world)
    client = signed_in(world.info, people.officer)
    assert _act(client, case, "assign", assignee="", note="我来办").status_code == 302
    with schema_context(world.info.schema), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE cases_caseevent DISABLE TRIGGER cases_event_append_only")
        cursor.execute("UPDATE cases_caseevent SET note = '' WHERE case_id = %s AND seq = 2", [case.pk])
        cursor.execute("ALTER TABLE cases_caseevent ENABLE TRIGGER cases_event_append_only")
    html = _html(client.get(f"/cases/{case.pk}/"))
    assert 'data-ok="false"' in html and "Chain broken" in html and "The first bad event is #2" in html


def test_feedback_on_an_anonymous_rating_gives_staff_the_status_link(world, people):
    case = bad_case(world)
    officer = people.officer.actor
    with schema_context(world.info.schema):
        case = case_assign(actor=officer, case=case)
        case = case_verify(actor=officer, case=case, verification="reasonable", note="调取录像核实")
        case = case_resolve(actor=officer, case=case, outcome="fixed", note="已整改")
    client = signed_in(world.info, people.officer)
    response = _act(client, case, "feedback", text="问题已整改")
    assert response.status_code == 302 and _state(world, case) == S.FEEDBACK_SENT
    page = _html(client.get(response.url))
    assert "Nothing could be sent" in page and "http://alpha.localhost/s/" in page
    with schema_context(world.info.schema):
        assert not Notification.objects.filter(reference=f"case-feedback:{case.pk}").exists()


def test_the_guide_is_wrong_form_opens_a_guide_correction(world, people):
    case = bad_case(world, tags=("extra_materials", "attitude"))
    other = bad_case(world, "T-BAD-2", tags=("attitude",))
    officer = people.officer.actor
    with schema_context(world.info.schema):
        for c in (case, other):
            c = case_assign(actor=officer, case=c)
            c = case_verify(actor=officer, case=c, verification="reasonable", note="调取录像核实")
            case_resolve(actor=officer, case=c, outcome="fixed", note="已整改")
    client = signed_in(world.info, people.officer)
    assert 'id="action-guide-defect"' not in _html(client.get(f"/cases/{other.pk}/"))  # no guide reason
    assert 'id="action-guide-defect"' in _html(client.get(f"/cases/{case.pk}/"))
    response = _act(client, case, "guide-defect", note="")
    assert response.status_code == 400
    response = _act(client, case, "guide-defect", note="指南材料清单漏列场所证明")
    assert response.status_code == 302
    with schema_context(world.info.schema):
        assert GuideCorrectionTask.objects.filter(item=world.item, tag="extra_materials").count() == 1
        assert Case.objects.get(pk=case.pk).events.filter(kind="guide_defect").exists()
    page = _html(client.get(f"/cases/{case.pk}/"))
    assert 'id="action-guide-defect"' not in page and "Guide correction requested" in page
    assert _act(signed_in(world.info, people.auditor), case, "guide-defect", note="x").status_code == 403
