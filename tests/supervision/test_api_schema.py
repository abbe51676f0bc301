"""The supervision endpoints answer what the OpenAPI schema says, errors included."""

from datetime import date

from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.supervision.services.assessments import assessment_create
from tenants.supervision.services.callbacks import sample_draw
from tests.api.test_openapi import assert_matches_schema, load_spec
from tests.conftest import host_client, key_client
from tests.supervision.conftest import local, rate_transactions, signed_in
from tests.supervision.test_surveys import answer, build_survey

SUPERVISOR = Actor(kind="user", id=None, label="sup@test", role="supervisor")


def test_supervision_responses_validate_against_the_schema(world):
    info = world.info
    rate_transactions(world, 4, start=local(2026, 3, 2, 9))
    built = build_survey(info)
    answer(host_client(info.host), built)
    with schema_context(info.schema):
        sample = sample_draw(
            actor=SUPERVISOR,
            name="回访",
            period_start=date(2026, 3, 1),
            period_end=date(2026, 3, 31),
            mode="count",
            amount=2,
            seed=3,
        )
        task = sample.tasks.first()
        assessment_create(
            actor=SUPERVISOR,
            organisation="第三方",
            scope="全省",
            period_start=date(2026, 1, 1),
            period_end=date(2026, 3, 31),
            score="88",
            report_name="r.pdf",
            report_data=b"%PDF-1.4",
        )
    spec = load_spec(info.host)
    supervisor, staff = signed_in(info, "supervisor"), signed_in(info, "window_staff")
    integration = key_client(info.host, world.integration_key)
    outcome = {
        "called_at": "2026-04-02T10:30:00+08:00",
        "method": "phone",
        "reached": True,
        "confirmed": True,
        "freely_given": True,
    }
    responses = [
        integration.get("/api/v1/questionnaire?item_code=ITEM-001"),
        integration.get("/api/v1/questionnaire"),
        supervisor.get("/api/v1/supervision/surveys"),
        supervisor.get(f"/api/v1/supervision/surveys/{built['survey'].pk}/results"),
        supervisor.get("/api/v1/supervision/samples"),
        supervisor.get(f"/api/v1/supervision/samples/{sample.pk}/tasks"),
        supervisor.post(
            f"/api/v1/supervision/callbacks/{task.pk}/outcome", outcome, content_type="application/json"
        ),
        supervisor.get("/api/v1/supervision/signals?start=2026-03-01&end=2026-03-31"),
        supervisor.get("/api/v1/supervision/assessments"),
        integration.get("/api/v1/questionnaire?item_code=NOPE"),  # 400
        supervisor.get("/api/v1/supervision/signals?start=2026-03-31&end=2026-03-01"),  # 400
        supervisor.get("/api/v1/supervision/surveys/987654/results"),  # 404
        staff.get("/api/v1/supervision/signals"),  # 403
        host_client(info.host).get("/api/v1/supervision/samples"),  # 401
    ]
    assert [r.status_code for r in responses] == [200] * 9 + [400, 400, 404, 403, 401]
    for response in responses:
        assert_matches_schema(spec, response)
