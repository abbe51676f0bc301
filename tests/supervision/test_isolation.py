"""Tenant isolation: beta's people and keys reach none of alpha's supervision objects, on any page or
endpoint, and nothing of alpha's changes."""

from datetime import date

import pytest
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent
from tenants.supervision.models import CallbackTask, Survey
from tenants.supervision.selectors.surveys import survey_public_slug
from tenants.supervision.services.assessments import assessment_create
from tenants.supervision.services.callbacks import sample_draw
from tenants.supervision.services.questionnaires import questionnaire_create
from tenants.supervision.services.surveys import (
    survey_create,
    survey_publish,
    survey_question_add,
    survey_response_submit,
)
from tests.conftest import host_client, key_client, make_key
from tests.supervision.conftest import local, rate_transactions, signed_in

SUPERVISOR = Actor(kind="user", id=None, label="sup@alpha", role="supervisor")

PAGES = [
    ("get", "/supervision/questionnaires/{questionnaire}/"),
    ("post", "/supervision/questionnaires/{questionnaire}/"),
    ("get", "/supervision/surveys/{survey}/"),
    ("post", "/supervision/surveys/{survey}/"),
    ("get", "/supervision/surveys/{draft}/questions/{question}/"),
    ("post", "/supervision/surveys/{draft}/questions/{question}/"),
    ("post", "/supervision/surveys/{draft}/questions/{question}/move"),
    ("post", "/supervision/surveys/{draft}/questions/{question}/delete"),
    ("post", "/supervision/surveys/{draft}/publish"),
    ("post", "/supervision/surveys/{survey}/close"),
    ("get", "/supervision/surveys/{survey}/results"),
    ("get", "/supervision/surveys/{survey}/export.csv"),
    ("get", "/supervision/surveys/{survey}/export.xlsx"),
    ("post", "/supervision/surveys/{survey}/responses/{response}/reveal"),
    ("get", "/supervision/s/{slug}/"),
    ("post", "/supervision/s/{slug}/"),
    ("get", "/supervision/s/{slug}/thanks"),
    ("get", "/supervision/callbacks/{sample}/"),
    ("post", "/supervision/callbacks/{sample}/"),
    ("post", "/supervision/callbacks/{sample}/close"),
    ("get", "/supervision/callbacks/tasks/{task}/"),
    ("post", "/supervision/callbacks/tasks/{task}/"),
    ("post", "/supervision/callbacks/tasks/{task}/reveal"),
    ("get", "/supervision/assessments/{assessment}/report"),
    ("post", "/supervision/assessments/{assessment}/delete"),
]
API = [
    ("get", "/api/v1/supervision/surveys/{survey}/results"),
    ("get", "/api/v1/supervision/samples/{sample}/tasks"),
    ("post", "/api/v1/supervision/callbacks/{task}/outcome"),
]
BODY = {
    "reason": "越权查看",
    "direction": "up",
    "title": "x",
    "kind": "text",
    "text": "x",
    "called_at": "2026-04-02T10:30",
    "method": "phone",
    "reached": "no",
}


@pytest.fixture
def alpha_objects(world) -> dict:
    """One of everything in alpha, with ids beta's fresh schema does not have."""
    schema = world.info.schema
    rate_transactions(world, 3, start=local(2026, 3, 2, 9))
    with schema_context(schema):
        questionnaire = questionnaire_create(
            actor=SUPERVISOR,
            item=world.item,
            title="专项",
            questions=[{"key": "clear", "text": "是否清楚", "kind": "yes_no"}],
        )
        survey = survey_create(actor=SUPERVISOR, title="甲省调查")
        survey_question_add(actor=SUPERVISOR, survey=survey, kind="text", text="建议")
        survey_publish(actor=SUPERVISOR, survey=survey)
        response = survey_response_submit(
            survey=survey,
            respondent_token="t" * 30,
            raw={survey.questions.get().pk: ["好"]},
            contact={"name": "赵六", "phone": "13700001111"},
        )
        draft = survey_create(actor=SUPERVISOR, title="草稿")
        question = survey_question_add(actor=SUPERVISOR, survey=draft, kind="text", text="问题")
        sample = sample_draw(
            actor=SUPERVISOR,
            name="回访",
            period_start=date(2026, 3, 1),
            period_end=date(2026, 3, 31),
            mode="count",
            amount=2,
            seed=1,
        )
        assessment = assessment_create(
            actor=SUPERVISOR,
            organisation="第三方",
            scope="全省",
            period_start=date(2026, 1, 1),
            period_end=date(2026, 3, 31),
            report_name="r.pdf",
            report_data=b"%PDF-1.4 x",
        )
        ids = {
            "questionnaire": questionnaire.pk,
            "survey": survey.pk,
            "draft": draft.pk,
            "question": question.pk,
            "response": response.pk,
            "slug": survey_public_slug(survey),
            "sample": sample.pk,
            "task": sample.tasks.first().pk,
            "assessment": assessment.pk,
        }
    return ids


def alpha_state(schema: str) -> tuple:
    with schema_context(schema):
        return (
            AuditEvent.objects.count(),
            list(Survey.objects.order_by("id").values_list("status", flat=True)),
            list(CallbackTask.objects.order_by("id").values_list("done", "sample_open", "assignee_id")),
        )


@pytest.mark.parametrize(("method", "path"), PAGES)
def test_beta_supervisor_gets_404_for_alphas_objects_on_every_page(alpha, beta, alpha_objects, method, path):
    client = signed_in(beta, "supervisor")
    before = alpha_state(alpha.schema)
    response = getattr(client, method)(path.format(**alpha_objects), BODY)
    assert response.status_code == 404
    assert alpha_state(alpha.schema) == before


@pytest.mark.parametrize(("method", "path"), API)
def test_beta_supervisor_gets_404_for_alphas_objects_on_every_endpoint(
    alpha, beta, alpha_objects, method, path
):
    client = signed_in(beta, "supervisor")
    before = alpha_state(alpha.schema)
    body = {"called_at": "2026-04-02T10:30:00+08:00", "method": "phone", "reached": False}
    response = getattr(client, method)(path.format(**alpha_objects), body, content_type="application/json")
    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"
    assert alpha_state(alpha.schema) == before


@pytest.mark.parametrize(("method", "path"), API)
def test_alpha_key_on_beta_host_is_unknown(alpha, beta, alpha_objects, method, path):
    client = key_client(beta.host, make_key(alpha.schema, "tenant_admin"))
    before = alpha_state(alpha.schema)
    response = getattr(client, method)(path.format(**alpha_objects), {}, content_type="application/json")
    assert response.status_code == 401
    assert alpha_state(alpha.schema) == before


def test_alpha_session_on_beta_host_is_signed_out(alpha, beta, alpha_objects):
    client = signed_in(alpha, "supervisor")
    assert client.get(f"/supervision/surveys/{alpha_objects['survey']}/").status_code == 200
    client.defaults["HTTP_HOST"] = beta.host
    assert client.get("/supervision/").status_code == 302  # beta asks for sign-in
    assert (
        client.post(
            "/supervision/surveys/", {"title": "x", "topic": "general", "max_per_minute": 1}
        ).status_code
        == 302
    )
    with schema_context(beta.schema):
        assert not Survey.objects.exists()


def test_beta_lists_show_nothing_of_alpha(alpha, beta, alpha_objects):
    client = signed_in(beta, "supervisor")
    for path in (
        "/supervision/surveys/",
        "/supervision/callbacks/",
        "/supervision/assessments/",
        "/supervision/questionnaires/",
    ):
        html = client.get(path).content.decode()
        assert (
            "甲省调查" not in html and "第三方" not in html and "专项" not in html and "回访</a>" not in html
        )
    assert client.get("/api/v1/supervision/samples").json()["results"] == []
    assert client.get("/api/v1/supervision/surveys").json()["results"] == []
    assert client.get("/api/v1/supervision/assessments").json()["results"] == []


def test_public_link_of_alpha_is_not_found_on_beta(alpha, beta, alpha_objects):
    assert host_client(beta.host).get(f"/supervision/s/{alpha_objects['slug']}/").status_code == 404
    assert host_client(alpha.host).get(f"/supervision/s/{alpha_objects['slug']}/").status_code == 200
