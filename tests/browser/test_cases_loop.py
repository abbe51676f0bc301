"""The closed loop in a real Chromium against gunicorn: a bad real-name rating opens a case; an officer of the
hall signs in, finds it in the list, takes it, calls back, verifies, fixes, feeds back, records the evaluator's
opinion and closes it, all through the pages with the keyboard and the mouse; the case ends closed with its
hash chain verified and the evaluator never shown in clear."""

from dataclasses import dataclass

import pytest
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent, User
from tenants.accounts.roles import Role
from tenants.accounts.services import user_create
from tenants.cases.models import Case
from tenants.cases.services import case_chain_verify
from tenants.evaluations.services import EvaluationInput, evaluations_submit
from tenants.notify.models import Notification
from tenants.organisation.models import Unit
from tenants.organisation.services import membership_set
from tests.channels import browser_support as support
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
EVALUATOR = {"name": "王秀英", "phone": "13912345678"}
ACTOR = Actor.system("browser tests")


@dataclass
class Loop:
    world: support.BrowserWorld
    officer_email: str
    case_id: int
    case_number: str


def build(schema: str) -> Loop:
    world = support.build(schema)
    with schema_context(schema):
        email = f"officer-{world.tag.lower()}@alpha.example"
        officer = user_create(
            actor=ACTOR, email=email, role=Role.OFFICER, password=PASSWORD, display_name="陈办理"
        )
        membership_set(actor=ACTOR, user=officer, unit=Unit.objects.get(code=world.unit_code))
        [outcome] = evaluations_submit(
            actor=ACTOR,
            items=[
                EvaluationInput(
                    transaction=world.registered_txn,
                    level=5,
                    channel="device",
                    reason_tags=["attitude", "long_wait"],
                    comment="等了一个多小时，窗口人员还不耐烦",
                    evaluator=dict(EVALUATOR),
                )
            ],
        )
        case = Case.objects.get(pk=outcome.case_id)
    return Loop(world=world, officer_email=email, case_id=case.pk, case_number=case.number)


def final_state(loop: Loop) -> dict:
    with schema_context(loop.world.schema):
        case = Case.objects.get(pk=loop.case_id)
        return {
            "state": case.state,
            "outcome": case.outcome,
            "verification": case.verification,
            "opinion": case.evaluator_opinion,
            "assignee": case.assignee.email if case.assignee else "",
            "callbacks": list(case.callbacks.values_list("reached", flat=True)),
            "chain_ok": case_chain_verify(case=case).ok,
            "kinds": list(case.events.order_by("seq").values_list("kind", flat=True)),
            "sms": list(
                Notification.objects.filter(reference=f"case-feedback:{case.pk}").values_list(
                    "channel", "recipient_masked"
                )
            ),
        }


def tear_down(loop: Loop) -> None:
    with schema_context(loop.world.schema):
        Notification.objects.filter(reference=f"case-feedback:{loop.case_id}").delete()
        Case.objects.filter(pk=loop.case_id).delete()  # its events go with it (database cascade)
        User.objects.filter(email=loop.officer_email).delete()
        AuditEvent.objects.filter(id__gt=loop.world.audit_floor, actor_label=loop.officer_email).delete()
    support.tear_down(loop.world)


@pytest.fixture
def loop(tenant_pair, django_db_blocker):
    made = support.in_thread(django_db_blocker, lambda: build(tenant_pair["alpha"].schema))
    yield made
    support.in_thread(django_db_blocker, lambda: tear_down(made))


def shot(page, path):
    page.screenshot(path=str(path), full_page=True)
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 1000


def submit(page, action: str, *, keyboard: bool = False):
    """Send the action's form (Enter on its focused button, or a click) and wait for the page it leads to."""
    button = page.locator(f"#action-{action} button[type=submit]")
    with page.expect_navigation():
        if keyboard:
            button.focus()
            page.keyboard.press("Enter")
        else:
            button.click()
    assert page.locator(".error-summary").count() == 0, page.locator("main").inner_text()


def state(page) -> str:
    return page.locator("#case-state").get_attribute("data-state")


def test_an_officer_closes_a_bad_review_through_the_pages(
    live_url, loop, context, django_db_blocker, tmp_path
):
    page = context.new_page()

    # --- sign in with the keyboard ---------------------------------------------------------------------------
    page.goto(live_url("alpha", "/accounts/login/"))
    page.get_by_label("电子邮件").fill(loop.officer_email)
    password = page.get_by_label("密码")
    password.fill(PASSWORD)
    password.press("Enter")
    page.wait_for_url(live_url("alpha", "/"))

    # --- the case is in the list, with the live closed-loop figures -------------------------------------------
    page.locator('main a[href="/cases/"]').click()
    page.wait_for_url(live_url("alpha", "/cases/"))
    row = page.locator(f'tr[data-case="{loop.case_number}"]')
    row.wait_for()
    assert row.get_attribute("class") is None  # not overdue: just opened
    assert "服务态度差" in row.inner_text() and "窗口等候时间长" in row.inner_text()
    assert page.locator('[data-rate="realname"]').is_visible()
    shot(page, tmp_path / "cases-list.png")
    row.locator("a").first.click()
    page.wait_for_url(live_url("alpha", f"/cases/{loop.case_id}/"))
    assert state(page) == "new"
    main = page.locator("main").inner_text()
    assert EVALUATOR["name"] not in main and EVALUATOR["phone"] not in main and "139****5678" in main
    assert "等了一个多小时" in main
    shot(page, tmp_path / "case-new.png")

    # --- take the case (the officer field defaults to "me"): keyboard -------------------------------------------
    submit(page, "assign", keyboard=True)
    assert state(page) == "assigned"
    assert page.locator("#reveal-form").is_visible()  # the assignee may reveal the evaluator for the call

    # --- the callback reached the evaluator -----------------------------------------------------------------------
    form = page.locator("#action-contact")
    assert form.locator('input[name="contact-at"]').input_value()  # prefilled with now
    form.locator('input[name="contact-method"][value="phone"]').check()
    reached = form.locator('input[name="contact-reached"][value="yes"]')
    reached.focus()
    page.keyboard.press("Space")
    assert reached.is_checked()
    form.locator('textarea[name="contact-summary"]').fill("已电话联系评价人，了解等候和服务态度问题")
    submit(page, "contact")
    assert state(page) == "contacted"

    # --- verified as reasonable --------------------------------------------------------------------------------
    form = page.locator("#action-verify")
    form.locator('input[name="verify-verification"][value="reasonable"]').check()
    form.locator('textarea[name="verify-note"]').fill("调取叫号记录和录像，情况属实")
    submit(page, "verify", keyboard=True)
    assert state(page) == "verified"

    # --- fixed at once, with a note ---------------------------------------------------------------------------
    form = page.locator("#action-resolve")
    assert form.locator('input[name="resolve-outcome"][value="not_adopted"]').count() == 0
    form.locator('input[name="resolve-outcome"][value="fixed"]').check()
    form.locator('textarea[name="resolve-note"]').fill("增开高峰时段窗口，对窗口人员批评教育")
    submit(page, "resolve")
    assert state(page) == "resolved"
    shot(page, tmp_path / "case-resolved.png")

    # --- feedback to the evaluator ---------------------------------------------------------------------------
    page.locator('#action-feedback textarea[name="feedback-text"]').fill(
        "您反映的等候时间长、态度差问题已整改，感谢监督。"
    )
    submit(page, "feedback")
    assert state(page) == "feedback_sent"

    # --- the evaluator said "satisfied" on the phone ----------------------------------------------------------
    satisfied = page.locator('#action-opinion input[name="opinion-opinion"][value="satisfied"]')
    satisfied.focus()
    page.keyboard.press("Space")
    submit(page, "opinion", keyboard=True)
    assert state(page) == "feedback_sent"

    # --- close ----------------------------------------------------------------------------------------------------
    submit(page, "close")
    assert state(page) == "closed"
    assert page.locator("#chain-result").get_attribute("data-ok") == "true"
    history = page.locator("#history tbody tr")
    assert history.count() >= 8  # opened … closed
    main = page.locator("main").inner_text()
    assert EVALUATOR["name"] not in main and EVALUATOR["phone"] not in main
    shot(page, tmp_path / "case-closed.png")

    stored = support.in_thread(django_db_blocker, lambda: final_state(loop))
    assert stored["state"] == "closed" and stored["chain_ok"]
    assert (stored["verification"], stored["outcome"], stored["opinion"]) == (
        "reasonable",
        "fixed",
        "satisfied",
    )
    assert stored["assignee"] == loop.officer_email and stored["callbacks"] == [True]
    assert stored["kinds"][0] == "opened" and stored["kinds"][-1] == "closed"
    assert {"assigned", "callback", "verified", "resolved", "feedback_sent", "opinion"} <= set(
        stored["kinds"]
    )

    # the list now shows it closed
    page.goto(live_url("alpha", "/cases/?state=closed"))
    assert page.locator(f'tr[data-case="{loop.case_number}"] [data-state="closed"]').is_visible()
