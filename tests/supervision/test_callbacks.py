"""Random-sample callbacks (回访): reproducible draws, filters, tasks, outcomes, masking and audited reveal."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent
from tenants.evaluations.models import Evaluation
from tenants.organisation.models import UnitKind
from tenants.supervision.models import CallbackSample, CallbackTask
from tenants.supervision.services.callbacks import sample_close, sample_draw
from tests.factories import ServiceItemFactory, UnitFactory
from tests.supervision.conftest import local, rate_transactions

SUPERVISOR = Actor(kind="user", id=None, label="sup@test", role="supervisor")
MARCH = {"period_start": date(2026, 3, 1), "period_end": date(2026, 3, 31)}


def draw(schema: str, **kwargs) -> CallbackSample:
    params = {"name": "三月回访", **MARCH, "mode": "count", "amount": 5, **kwargs}
    with schema_context(schema):
        return sample_draw(actor=SUPERVISOR, **params)


def close(schema: str, sample: CallbackSample) -> None:
    with schema_context(schema):
        sample_close(actor=SUPERVISOR, sample=sample)


def drawn(schema: str, sample: CallbackSample) -> set[int]:
    with schema_context(schema):
        return set(sample.tasks.values_list("evaluation_id", flat=True))


@pytest.fixture
def rated(world) -> list[int]:
    """20 real-name ratings in March 2026 at window W01."""
    return rate_transactions(world, 20, start=local(2026, 3, 2, 9))


def test_a_draw_is_reproducible_from_its_seed(world, rated):
    schema = world.info.schema
    first = draw(schema, seed=20260301)
    assert (first.seed, first.population, len(drawn(schema, first))) == (20260301, 20, 5)
    close(schema, first)
    again = draw(schema, seed=20260301)
    assert drawn(schema, again) == drawn(schema, first)
    close(schema, again)
    assert drawn(schema, draw(schema, seed=7)) != drawn(schema, first)


def test_percent_draw_rounds_up_and_skips_evaluations_in_another_open_sample(world, rated):
    schema = world.info.schema
    first = draw(schema, mode="percent", amount="25", seed=1)
    assert len(drawn(schema, first)) == 5
    rest = draw(schema, mode="percent", amount="100", seed=2)
    assert rest.population == 15 and drawn(schema, rest) == set(rated) - drawn(schema, first)
    with pytest.raises(ValidationError) as nothing_left:
        draw(schema, mode="percent", amount="10", seed=3)
    assert list(nothing_left.value.message_dict) == ["amount"]


def test_draw_takes_only_current_valid_rated_in_period_unit_and_item(world, rated):
    schema = world.info.schema
    with schema_context(schema):
        other_hall = UnitFactory(code="H02", kind=UnitKind.HALL, parent=world.department)
        other_window = UnitFactory(code="W02", kind=UnitKind.WINDOW, parent=other_hall)
        other_item = ServiceItemFactory(code="ITEM-002")
        Evaluation.objects.filter(pk=rated[0]).update(excluded=True, excluded_reason="申诉成立")
        Evaluation.objects.filter(pk=rated[1]).update(is_current=False)
    elsewhere = rate_transactions(
        world, 3, start=local(2026, 3, 5, 9), prefix="X", window=other_window, unit=other_hall
    )
    other_items = rate_transactions(world, 2, start=local(2026, 3, 6, 9), prefix="Y", item=other_item)
    april = rate_transactions(world, 2, start=local(2026, 4, 1, 9), prefix="Z")
    anonymous = rate_transactions(world, 2, start=local(2026, 3, 7, 9), prefix="A", phone=False)
    everything = draw(schema, mode="percent", amount=100, seed=1)
    assert drawn(schema, everything) == set(rated[2:]) | set(elsewhere) | set(other_items)
    close(schema, everything)
    under_hall = draw(schema, mode="percent", amount=100, seed=1, unit=world.hall)
    assert drawn(schema, under_hall) == set(rated[2:]) | set(other_items)
    close(schema, under_hall)
    by_item = draw(schema, mode="percent", amount=100, seed=1, item=other_item)
    assert drawn(schema, by_item) == set(other_items)
    close(schema, by_item)
    with_anonymous = draw(schema, mode="percent", amount=100, seed=1, contactable_only=False)
    assert set(anonymous) <= drawn(schema, with_anonymous)
    assert not set(april) & drawn(schema, with_anonymous)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": 0, "mode": "percent"}, "amount"),
        ({"amount": 101, "mode": "percent"}, "amount"),
        ({"amount": "2.5", "mode": "count"}, "amount"),
        ({"mode": "all"}, "mode"),
        ({"period_end": date(2026, 2, 1)}, "period_end"),
        ({"name": ""}, "name"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_draws_are_refused_naming_the_field(world, rated, overrides, field):
    with pytest.raises(ValidationError) as refused:
        draw(world.info.schema, **overrides)
    assert field in refused.value.message_dict
    with schema_context(world.info.schema):
        assert not CallbackSample.objects.exists()


def test_supervisor_draws_on_the_page_assigns_an_officer_who_records_the_outcome(world, rated, login):
    supervisor, officer, other_officer = login("supervisor"), login("officer", "wang"), login("officer", "li")
    response = supervisor.post(
        "/supervision/callbacks/",
        {
            "name": "三月回访",
            "period_start": "2026-03-01",
            "period_end": "2026-03-31",
            "mode": "count",
            "amount": "4",
            "unit_code": "H01",
            "item_code": "",
            "contactable_only": "on",
            "seed": "99",
        },
    )
    assert response.status_code == 302
    sample_url = response["Location"]
    with schema_context(world.info.schema):
        sample = CallbackSample.objects.get()
        tasks = list(sample.tasks.order_by("id"))
        before = list(Evaluation.objects.order_by("id").values())
    assert sample.seed == 99 and len(tasks) == 4
    assert 'max="4" value="0"' in supervisor.get(sample_url).content.decode()
    assigned = supervisor.post(sample_url, {"assignee": officer.user.pk, "tasks": [tasks[0].pk, tasks[1].pk]})
    assert assigned.status_code == 302
    # the officer sees the assigned tasks and records one
    mine = officer.get("/supervision/callbacks/mine/").content.decode()
    assert f"#{tasks[0].pk}" in mine and f"#{tasks[2].pk}" not in mine
    task_url = f"/supervision/callbacks/tasks/{tasks[0].pk}/"
    outcome = {
        "called_at": "2026-04-02T10:30",
        "method": "phone",
        "reached": "yes",
        "confirmed": "yes",
        "freely_given": "no",
        "notes": "评价人称窗口人员要求其点“非常满意”",
    }
    assert officer.post(task_url, outcome).status_code == 302
    # another officer may read the task but not record it
    assert other_officer.post(f"/supervision/callbacks/tasks/{tasks[1].pk}/", outcome).status_code == 403
    # the supervisor records one that is nobody's
    unreached = {"called_at": "2026-04-02T11:00", "method": "sms", "reached": "no"}
    assert supervisor.post(f"/supervision/callbacks/tasks/{tasks[2].pk}/", unreached).status_code == 302
    with schema_context(world.info.schema):
        done = CallbackTask.objects.get(pk=tasks[0].pk)
        assert (done.done, done.reached, done.confirmed, done.freely_given) == (True, True, True, False)
        assert done.recorded_by == officer.user.email
        assert CallbackTask.objects.get(pk=tasks[2].pk).reached is False
        assert not CallbackTask.objects.get(pk=tasks[1].pk).done
        assert AuditEvent.objects.filter(action="callback.record").count() == 2
        # a callback finding never touches the rating
        assert list(Evaluation.objects.order_by("id").values()) == before
    progress = supervisor.get(sample_url).content.decode()
    assert 'max="4" value="2"' in progress and "not given freely" in progress
    api = supervisor.get("/api/v1/supervision/samples").json()["results"][0]
    assert (api["total"], api["done"], api["seed"]) == (4, 2, 99)


def test_reached_needs_the_confirmation_answers(world, rated, login):
    sample = draw(world.info.schema, seed=5)
    with schema_context(world.info.schema):
        task = sample.tasks.first()
    response = login("supervisor").post(
        f"/supervision/callbacks/tasks/{task.pk}/",
        {"called_at": "2026-04-02T10:30", "method": "phone", "reached": "yes"},
    )
    assert response.status_code == 400
    assert "Say whether the evaluator confirmed the rating." in response.content.decode()
    with schema_context(world.info.schema):
        assert not CallbackTask.objects.get(pk=task.pk).done


def test_identity_is_masked_by_default_and_revealing_needs_permission_and_a_reason(world, rated, login):
    sample = draw(world.info.schema, seed=5)
    with schema_context(world.info.schema):
        task = sample.tasks.select_related("evaluation").first()
        index = rated.index(task.evaluation_id)
    phone = f"1380013{index:04d}"
    supervisor = login("supervisor")
    page = supervisor.get(f"/supervision/callbacks/tasks/{task.pk}/").content.decode()
    assert phone not in page and "11010519491231002X" not in page and f"李{index}明" not in page
    assert f"138****{phone[-4:]}" in page and "110***********002X" in page and "李**" in page
    reveal = f"/supervision/callbacks/tasks/{task.pk}/reveal"
    # no reason: refused, nothing shown, nothing audited
    refused = supervisor.post(reveal, {"reason": " "})
    assert refused.status_code == 400 and phone not in refused.content.decode()
    # roles without REVEAL_IDENTITY cannot, even with a reason
    for role in ("window_staff", "officer", "auditor"):
        assert login(role).post(reveal, {"reason": "回访需要"}).status_code == 403
    with schema_context(world.info.schema):
        assert not AuditEvent.objects.filter(action="identity.reveal").exists()
    # with a reason: shown once, audited with who and why
    shown = supervisor.post(reveal, {"reason": "抽样回访电话核实"})
    assert shown.status_code == 200 and phone in shown.content.decode()
    assert shown["Cache-Control"] == "no-store, private"
    with schema_context(world.info.schema):
        [event] = AuditEvent.objects.filter(action="identity.reveal")
    assert (event.actor_label, event.reason, event.target_type, event.target_id) == (
        supervisor.user.email,
        "抽样回访电话核实",
        "Evaluation",
        str(task.evaluation_id),
    )
    assert event.data["context"] == f"callback task {task.pk}"
    # and the next page view is masked again
    assert phone not in supervisor.get(f"/supervision/callbacks/tasks/{task.pk}/").content.decode()


def test_window_staff_cannot_draw_or_close_and_auditor_can_read(world, rated, login):
    sample = draw(world.info.schema, seed=5)
    staff, auditor = login("window_staff"), login("auditor")
    body = {
        "name": "x",
        "period_start": "2026-03-01",
        "period_end": "2026-03-31",
        "mode": "count",
        "amount": "1",
    }
    assert staff.post("/supervision/callbacks/", body).status_code == 403
    assert staff.post(f"/supervision/callbacks/{sample.pk}/close").status_code == 403
    assert auditor.post(f"/supervision/callbacks/{sample.pk}/", {"tasks": []}).status_code == 403
    assert auditor.get("/supervision/callbacks/").status_code == 200
    assert auditor.get(f"/supervision/callbacks/{sample.pk}/").status_code == 200
    with schema_context(world.info.schema):
        task = sample.tasks.first()
    assert (
        auditor.post(
            f"/supervision/callbacks/tasks/{task.pk}/",
            {"called_at": "2026-04-02T10:30", "method": "phone", "reached": "no"},
        ).status_code
        == 403
    )
    with schema_context(world.info.schema):
        assert CallbackSample.objects.count() == 1 and CallbackSample.objects.get().is_open
        assert not CallbackTask.objects.filter(done=True).exists()


def test_closed_sample_frees_its_evaluations_and_refuses_outcomes(world, rated, login):
    sample = draw(world.info.schema, seed=5, mode="percent", amount=100)
    supervisor = login("supervisor")
    assert supervisor.post(f"/supervision/callbacks/{sample.pk}/close").status_code == 302
    with schema_context(world.info.schema):
        task = sample.tasks.first()
        assert not CallbackTask.objects.filter(sample_open=True).exists()
    response = supervisor.post(
        f"/supervision/callbacks/tasks/{task.pk}/",
        {"called_at": "2026-04-02T10:30", "method": "phone", "reached": "no"},
    )
    assert response.status_code == 400
    assert len(drawn(world.info.schema, draw(world.info.schema, seed=6, mode="percent", amount=100))) == 20


def test_outcome_through_the_api(world, rated, login):
    sample = draw(world.info.schema, seed=5)
    with schema_context(world.info.schema):
        task = sample.tasks.first()
    supervisor, staff = login("supervisor"), login("window_staff")
    body = {
        "called_at": "2026-04-02T10:30:00+08:00",
        "method": "visit",
        "reached": True,
        "confirmed": True,
        "freely_given": True,
    }
    assert (
        staff.post(
            f"/api/v1/supervision/callbacks/{task.pk}/outcome", body, content_type="application/json"
        ).status_code
        == 403
    )
    recorded = supervisor.post(
        f"/api/v1/supervision/callbacks/{task.pk}/outcome", body, content_type="application/json"
    )
    assert recorded.status_code == 200 and recorded.json()["done"] is True
    tasks = supervisor.get(f"/api/v1/supervision/samples/{sample.pk}/tasks").json()["results"]
    assert len(tasks) == 5 and "evaluator_phone" not in str(tasks)
    bad = supervisor.post(
        f"/api/v1/supervision/callbacks/{task.pk}/outcome",
        {**body, "method": "fax"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "method"


def test_evaluation_in_an_open_sample_cannot_be_drawn_twice_even_by_the_database(world, rated):
    from django.db import IntegrityError, transaction

    sample = draw(world.info.schema, seed=5, amount=1)
    other = draw(world.info.schema, seed=6, amount=1)
    with schema_context(world.info.schema):
        evaluation_id = sample.tasks.get().evaluation_id
        with pytest.raises(IntegrityError), transaction.atomic():
            CallbackTask.objects.create(sample=other, evaluation_id=evaluation_id)


def test_period_is_in_local_dates(world):
    late = rate_transactions(world, 1, start=local(2026, 3, 31, 23, 30), prefix="L", step=timedelta(0))
    sample = draw(world.info.schema, seed=1, mode="percent", amount=100)
    assert drawn(world.info.schema, sample) == set(late)
