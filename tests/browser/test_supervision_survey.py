"""The public survey in a real phone-sized browser with JavaScript switched off, against gunicorn."""

import pytest
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent
from tenants.supervision.models import Survey, SurveyAnswer, SurveyQuestion, SurveyResponse
from tenants.supervision.selectors.surveys import survey_public_slug
from tenants.supervision.services.surveys import survey_create, survey_publish, survey_question_add
from tests.conftest import committed

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db]

SUPERVISOR = Actor(kind="user", id=None, label="browser-test@alpha", role="supervisor")
TITLE = "浏览器测试：新办理流程满意度"


def create_survey(schema: str) -> str:
    with schema_context(schema):
        survey = survey_create(actor=SUPERVISOR, title=TITLE, topic="service")
        survey_question_add(
            actor=SUPERVISOR,
            survey=survey,
            kind="single",
            text="您是否了解新流程？",
            options=["了解", "不了解"],
            required=True,
        )
        survey_question_add(actor=SUPERVISOR, survey=survey, kind="scale", text="办理是否便捷？")
        survey_question_add(actor=SUPERVISOR, survey=survey, kind="text", text="您的建议")
        survey_publish(actor=SUPERVISOR, survey=survey)
        return survey_public_slug(survey)


def stored(schema: str) -> list:
    with schema_context(schema):
        return list(
            SurveyAnswer.objects.filter(response__survey__title=TITLE)
            .order_by("question__position")
            .values_list("option", "value", "text")
        )


def clean_up(schema: str) -> None:
    with schema_context(schema):
        surveys = Survey.objects.filter(title=TITLE)
        SurveyAnswer.objects.filter(response__survey__in=surveys).delete()
        SurveyResponse.objects.filter(survey__in=surveys).delete()
        SurveyQuestion.objects.filter(survey__in=surveys).delete()
        AuditEvent.objects.filter(actor_label=SUPERVISOR.label).delete()
        surveys.delete()


def test_a_citizen_answers_on_a_phone_without_javascript(live_url, browser, tenant_pair):
    schema = tenant_pair["alpha"].schema
    slug = committed(lambda: create_survey(schema))
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 375, "height": 740}, java_script_enabled=False, has_touch=True
    )
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        url = live_url("alpha", f"/supervision/s/{slug}/")
        assert page.goto(url).status == 200
        assert page.get_by_role("heading", level=1).inner_text().strip() == TITLE
        # mobile-first: nothing wider than the screen, every choice a large target
        assert page.locator("main").bounding_box()["width"] <= 375
        for label in page.locator("label.choice").all():
            assert label.bounding_box()["height"] >= 44
        # submitting without the required answer shows what is missing, keeps the rest
        page.get_by_label("您的建议").fill("希望增加周末窗口")
        page.get_by_role("button").last.click()
        assert page.locator(".error-summary").is_visible()
        assert page.get_by_label("您的建议").input_value() == "希望增加周末窗口"
        # answering by the visible labels works with JavaScript off
        page.get_by_label("了解", exact=True).check()
        page.locator("fieldset", has_text="办理是否便捷？").locator("label.choice").nth(1).click()
        page.get_by_role("button").last.click()
        page.wait_for_url(url + "thanks")
        assert TITLE in page.locator("main").inner_text()
        # the same phone cannot answer twice
        assert page.goto(url).status == 200
        assert page.locator("form textarea").count() == 0
    finally:
        context.close()
        answers = committed(lambda: stored(schema))
        committed(lambda: clean_up(schema))
    assert answers == [(0, None, ""), (None, 2, ""), (None, None, "希望增加周末窗口")]
