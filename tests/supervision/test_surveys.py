"""Surveys: build, publish with a signed public link, answer once per browser, close, results and exports."""

import csv
import io
import re

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context
from openpyxl import load_workbook

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent
from tenants.supervision.models import Survey, SurveyAnswer, SurveyResponse
from tenants.supervision.selectors.surveys import survey_public_slug
from tenants.supervision.services.surveys import (
    survey_create,
    survey_publish,
    survey_question_add,
    survey_question_update,
)
from tests.conftest import host_client

SUPERVISOR = Actor(kind="user", id=None, label="sup@test", role="supervisor")


def build_survey(
    info, *, max_per_minute: int = 120, publish: bool = True, collect_contact: bool = True
) -> dict:
    with schema_context(info.schema):
        survey = survey_create(
            actor=SUPERVISOR,
            title="企业开办新政知晓度调查",
            topic="policy",
            max_per_minute=max_per_minute,
            collect_contact=collect_contact,
        )
        known = survey_question_add(
            actor=SUPERVISOR,
            survey=survey,
            kind="single",
            text="您是否了解企业开办一日办结新政？",
            options=["了解", "听说过", "不了解"],
            required=True,
        )
        channels = survey_question_add(
            actor=SUPERVISOR,
            survey=survey,
            kind="multiple",
            text="您通过哪些渠道了解？",
            options=["政务服务网", "窗口告知", "微信公众号", "其他"],
        )
        scale = survey_question_add(actor=SUPERVISOR, survey=survey, kind="scale", text="办理是否便捷？")
        text = survey_question_add(actor=SUPERVISOR, survey=survey, kind="text", text="您的建议")
        if publish:
            survey_publish(actor=SUPERVISOR, survey=survey)
        slug = survey_public_slug(survey)
    return {
        "survey": survey,
        "slug": slug,
        "known": known,
        "channels": channels,
        "scale": scale,
        "text": text,
    }


def public_url(built) -> str:
    return f"/supervision/s/{built['slug']}/"


def answer(client, built, **overrides):
    """A respondent's browser: GET the page (receives its cookie and CSRF token), then POST."""
    client.get(public_url(built))
    data = {
        f"q{built['known'].pk}": "0",
        f"q{built['channels'].pk}": ["0", "2"],
        f"q{built['scale'].pk}": "2",
        f"q{built['text'].pk}": "希望增加周末办理",
    }
    data.update(overrides)
    return client.post(public_url(built), data)


def test_supervisor_builds_reorders_and_publishes_a_survey_on_the_pages(alpha, login):
    client = login("supervisor")
    created = client.post(
        "/supervision/surveys/",
        {
            "title": "新服务满意度",
            "description": "",
            "topic": "service",
            "collect_contact": "on",
            "max_per_minute": 100,
        },
    )
    assert created.status_code == 302
    url = created["Location"]
    for kind, text, options in [
        ("single", "是否满意？", "满意\n一般\n不满意"),
        ("text", "建议", ""),
        ("scale", "便利程度", ""),
    ]:
        added = client.post(url, {"form": "question", "kind": kind, "text": text, "options": options})
        assert added.status_code == 302
    with schema_context(alpha.schema):
        survey = Survey.objects.get(title="新服务满意度")
        ids = list(survey.questions.order_by("position").values_list("id", flat=True))
    # move the scale question up to second place
    assert client.post(f"{url}questions/{ids[2]}/move", {"direction": "up"}).status_code == 302
    # a choice question needs two options
    refused = client.post(
        url, {"form": "question", "kind": "single", "text": "只有一个选项", "options": "是"}
    )
    assert refused.status_code == 400
    assert client.post(f"{url}publish").status_code == 302
    page = client.get(url).content.decode()
    with schema_context(alpha.schema):
        survey.refresh_from_db()
        assert list(survey.questions.order_by("position").values_list("id", flat=True)) == [
            ids[0],
            ids[2],
            ids[1],
        ]
        assert survey.status == "open"
        slug = survey_public_slug(survey)
        assert AuditEvent.objects.filter(action="survey.publish", target_id=str(survey.pk)).exists()
    assert f"http://alpha.localhost/supervision/s/{slug}/" in page
    # once published, the questions are fixed
    late = client.post(url, {"form": "question", "kind": "text", "text": "晚加的问题"})
    assert late.status_code == 400
    with schema_context(alpha.schema):
        assert survey.questions.count() == 3


def test_public_page_needs_no_login_or_javascript_and_accepts_one_answer_per_browser(alpha):
    built = build_survey(alpha)
    browser = host_client(alpha.host, enforce_csrf_checks=True)
    page = browser.get(public_url(built))
    html = page.content.decode()
    assert page.status_code == 200 and "<script" not in html
    assert 'name="viewport"' in html and "企业开办新政知晓度调查" in html
    assert html.count('type="radio"') == 3 + 5 and html.count('type="checkbox"') == 4
    assert re.search(r'<label class="choice" for="q\d+-0"><input type="radio"', html)  # every input labelled
    cookie = browser.cookies["hcp_respondent"]
    assert cookie["httponly"] and cookie["path"] == "/supervision/s/"
    token = browser.cookies["csrftoken"].value
    data = {
        "csrfmiddlewaretoken": token,
        f"q{built['known'].pk}": "1",
        f"q{built['channels'].pk}": ["0", "3"],
        f"q{built['scale'].pk}": "1",
    }
    first = browser.post(public_url(built), data)
    assert first.status_code == 302 and first["Location"].endswith("/thanks")
    thanks = browser.get(first["Location"])
    assert thanks.status_code == 200 and "企业开办新政知晓度调查" in thanks.content.decode()
    again = browser.post(public_url(built), data)
    assert again.status_code == 409
    assert browser.get(public_url(built)).status_code == 200  # a friendly "already answered" page
    with schema_context(alpha.schema):
        [response] = SurveyResponse.objects.filter(survey=built["survey"])
        assert not response.has_contact and len(response.respondent_hash) == 64
        assert sorted(
            (a.question_id, a.option, a.value) for a in SurveyAnswer.objects.filter(response=response)
        ) == sorted(
            [
                (built["known"].pk, 1, None),
                (built["channels"].pk, 0, None),
                (built["channels"].pk, 3, None),
                (built["scale"].pk, None, 1),
            ]
        )


def test_a_post_without_the_browser_cookie_is_refused(alpha):
    built = build_survey(alpha)
    response = host_client(alpha.host).post(public_url(built), {f"q{built['known'].pk}": "0"})
    assert response.status_code == 400 and "cookies" in response.content.decode()
    with schema_context(alpha.schema):
        assert not SurveyResponse.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("known", ""), ("known", "9"), ("known", "abc"), ("scale", "6"), ("text", "长" * 1001)],
)
def test_invalid_answers_are_shown_again_with_the_error_and_nothing_is_stored(alpha, field, value):
    built = build_survey(alpha)
    response = answer(host_client(alpha.host), built, **{f"q{built[field].pk}": value})
    html = response.content.decode()
    assert response.status_code == 400
    assert f'id="q{built[field].pk}-error"' in html and 'class="error-summary"' in html
    channels = built["channels"].pk
    assert f'id="q{channels}-2" name="q{channels}" value="2" checked' in html  # what was chosen is kept
    with schema_context(alpha.schema):
        assert not SurveyResponse.objects.exists()


def test_contact_details_are_optional_encrypted_and_masked_until_revealed(alpha, login):
    built = build_survey(alpha)
    bad = answer(host_client(alpha.host), built, contact_name="王小明", contact_phone="12345")
    assert bad.status_code == 400 and 'id="contact-phone-error"' in bad.content.decode()
    assert (
        answer(host_client(alpha.host), built, contact_name="王小明", contact_phone="13912345678").status_code
        == 302
    )
    with schema_context(alpha.schema):
        response = SurveyResponse.objects.get(has_contact=True)
        stored = f"{response.contact_name}{response.contact_phone}"
    assert "王小明" not in stored and "13912345678" not in stored
    supervisor = login("supervisor")
    results = supervisor.get(f"/supervision/surveys/{built['survey'].pk}/results").content.decode()
    assert "139****5678" in results and "王**" in results and "13912345678" not in results
    reveal = f"/supervision/surveys/{built['survey'].pk}/responses/{response.pk}/reveal"
    assert supervisor.post(reveal, {"reason": ""}).status_code == 400
    with schema_context(alpha.schema):
        assert not AuditEvent.objects.filter(action="identity.reveal").exists()
    shown = supervisor.post(reveal, {"reason": "回访核实调查意见"})
    assert shown.status_code == 200 and "13912345678" in shown.content.decode()
    assert shown["Cache-Control"] == "no-store, private"
    assert login("auditor").post(reveal, {"reason": "想看看"}).status_code == 403
    with schema_context(alpha.schema):
        [event] = AuditEvent.objects.filter(action="identity.reveal")
    assert (event.reason, event.actor_label, event.target_type) == (
        "回访核实调查意见",
        supervisor.user.email,
        "SurveyResponse",
    )


def test_results_count_and_percent_per_question_and_exports_match(alpha, login):
    built = build_survey(alpha)
    answer(host_client(alpha.host), built)
    answer(
        host_client(alpha.host),
        built,
        **{
            f"q{built['known'].pk}": "2",
            f"q{built['channels'].pk}": "0",
            f"q{built['scale'].pk}": "4",
            f"q{built['text'].pk}": "=HYPERLINK(1)",
        },
    )
    answer(host_client(alpha.host), built, **{f"q{built['channels'].pk}": [], f"q{built['text'].pk}": ""})
    auditor = login("auditor")
    page = auditor.get(f"/supervision/surveys/{built['survey'].pk}/results")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<svg class="bar-chart"' in html and 'aria-hidden="true"' in html
    # known: 了解 2 of 3, 不了解 1 of 3
    assert re.search(r"<th scope=\"row\">了解</th><td>2</td><td>66\.7%</td>", html)
    assert re.search(r"<th scope=\"row\">不了解</th><td>1</td><td>33\.3%</td>", html)
    # channels: answered by 2; 政务服务网 chosen by both (100%), 微信公众号 by one (50%)
    assert re.search(r"<th scope=\"row\">政务服务网</th><td>2</td><td>100\.0%</td>", html)
    assert re.search(r"<th scope=\"row\">微信公众号</th><td>1</td><td>50\.0%</td>", html)
    assert "希望增加周末办理" in html
    csv_response = auditor.get(f"/supervision/surveys/{built['survey'].pk}/export.csv")
    rows = list(csv.reader(io.StringIO(b"".join(csv_response.streaming_content).decode("utf-8-sig"))))
    assert csv_response["Content-Type"].startswith("text/csv")
    assert rows[0][2:6] == [
        "您是否了解企业开办一日办结新政？",
        "您通过哪些渠道了解？",
        "办理是否便捷？",
        "您的建议",
    ]
    assert len(rows) == 4 and rows[1][2:6] == ["了解", "政务服务网; 微信公众号", "2", "希望增加周末办理"]
    assert rows[2][5] == "'=HYPERLINK(1)"  # never a live formula in a spreadsheet
    xlsx = auditor.get(f"/supervision/surveys/{built['survey'].pk}/export.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [[("" if c is None else str(c)) for c in row] for row in sheet.iter_rows(values_only=True)]
    assert [r[2:6] for r in values] == [r[2:6] for r in rows]
    api = auditor.get(f"/api/v1/supervision/surveys/{built['survey'].pk}/results").json()
    assert api["responses"] == 3 and api["questions"][0]["rows"][0] == {
        "answer": "了解",
        "count": 2,
        "percent": 66.7,
    }


def test_closing_stops_answers_and_a_draft_or_forged_link_is_not_found(alpha, login):
    built = build_survey(alpha)
    draft = build_survey(alpha, publish=False)
    client = login("supervisor")
    assert host_client(alpha.host).get(public_url(draft)).status_code == 404
    assert host_client(alpha.host).get(f"/supervision/s/{built['slug']}x/").status_code == 404
    assert host_client(alpha.host).get(f"/supervision/s/{built['survey'].public_token}/").status_code == 404
    assert client.post(f"/supervision/surveys/{built['survey'].pk}/close").status_code == 302
    assert host_client(alpha.host).get(public_url(built)).status_code == 410
    assert answer(host_client(alpha.host), built).status_code == 410
    with schema_context(alpha.schema):
        assert not SurveyResponse.objects.exists()


def test_rate_limit_is_per_survey_not_per_ip(alpha):
    # given a survey taking two answers a minute, and another survey, every browser behind one address
    built, other = build_survey(alpha, max_per_minute=2), build_survey(alpha, max_per_minute=2)
    codes = [answer(host_client(alpha.host, REMOTE_ADDR="10.0.0.1"), built).status_code for _ in range(3)]
    assert codes == [302, 302, 429]
    assert answer(host_client(alpha.host, REMOTE_ADDR="10.0.0.1"), other).status_code == 302
    with schema_context(alpha.schema):
        assert SurveyResponse.objects.filter(survey=built["survey"]).count() == 2


def test_questions_cannot_change_after_publishing(alpha):
    built = build_survey(alpha)
    with schema_context(alpha.schema), pytest.raises(ValidationError):
        survey_question_update(actor=SUPERVISOR, question=built["known"], kind="text", text="改了")


def test_window_staff_cannot_run_surveys_and_auditor_only_reads(alpha, login):
    built = build_survey(alpha, publish=False)
    staff, auditor = login("window_staff"), login("auditor")
    url = f"/supervision/surveys/{built['survey'].pk}/"
    body = {"title": "x", "topic": "general", "max_per_minute": 10}
    assert staff.post("/supervision/surveys/", body).status_code == 403
    assert staff.post(f"{url}publish").status_code == 403
    assert auditor.post(f"{url}publish").status_code == 403
    assert auditor.post(url, {"form": "question", "kind": "text", "text": "x"}).status_code == 403
    assert auditor.get(url).status_code == 200 and auditor.get("/supervision/surveys/").status_code == 200
    with schema_context(alpha.schema):
        assert Survey.objects.get(pk=built["survey"].pk).status == "draft"
        assert Survey.objects.count() == 1
