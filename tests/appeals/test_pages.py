"""Appeal pages: the appellant's ratings, form, list and detail (never the evaluator's identity); the reviewer's
queue with due dates and overdue marks and the decision page; role refusals."""

from datetime import date

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from tenants.appeals.models import Appeal, AppealState
from tenants.appeals.services import appeal_file
from tenants.evaluations.models import Evaluation
from tests.appeals.conftest import (
    EVALUATOR_ID,
    EVALUATOR_MASKED,
    EVALUATOR_NAME,
    EVALUATOR_PHONE,
    FILED,
    bad_ratings,
    client_of,
)
from tests.appeals.test_services import PDF, PNG
from tests.supervision.conftest import local

STATEMENT = "该办件由B02窗口受理，评价人误评本窗口。"


def assert_no_identity(html: str) -> None:
    for secret in (
        EVALUATOR_NAME,
        EVALUATOR_PHONE,
        EVALUATOR_ID,
        *EVALUATOR_MASKED,
        "evaluator",
        "Evaluator",
    ):
        assert secret not in html, secret


def file_via_page(client, evaluation_id: int, **overrides):
    body = {"kind": "staff", "statement": STATEMENT, **overrides}
    with time_machine.travel(FILED, tick=False):
        return client.post(f"/appeals/ratings/{evaluation_id}/appeal", body)


def test_the_home_link_and_the_entry_page_lead_each_role_to_its_side(scene):
    staff, reviewer = client_of(scene.world.info, scene.staff), client_of(scene.world.info, scene.supervisor)
    assert 'href="/appeals/"' in staff.get("/").content.decode()
    assert staff.get("/appeals/").url == "/appeals/ratings/"
    assert reviewer.get("/appeals/").url == "/appeals/review/"


def test_my_ratings_lists_own_bad_reviews_without_the_evaluator_and_offers_an_appeal(scene):
    (rating,) = bad_ratings(scene)
    client = client_of(scene.world.info, scene.staff)
    with time_machine.travel(FILED, tick=False):
        response = client.get("/appeals/ratings/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "B00000" in html and f'href="/appeals/ratings/{rating.pk}/appeal"' in html
    assert_no_identity(html)
    with time_machine.travel(local(2026, 5, 1, 9), tick=False):  # the filing period is over
        late = client.get("/appeals/ratings/").content.decode()
    assert "B00000" in late and f"/appeals/ratings/{rating.pk}/appeal" not in late


def test_an_account_of_another_unit_sees_none_of_the_ratings_and_cannot_open_the_form(scene):
    (rating,) = bad_ratings(scene)
    client = client_of(scene.world.info, scene.outsider)
    with time_machine.travel(FILED, tick=False):
        assert "B00000" not in client.get("/appeals/ratings/").content.decode()
        assert client.get(f"/appeals/ratings/{rating.pk}/appeal").status_code == 404
    assert file_via_page(client, rating.pk).status_code == 404
    with schema_context(scene.schema):
        assert not Appeal.objects.exists()


def test_filing_with_evidence_then_reading_the_appeal_shows_no_identity(scene):
    (rating,) = bad_ratings(scene)
    client = client_of(scene.world.info, scene.staff)
    with time_machine.travel(FILED, tick=False):
        form = client.get(f"/appeals/ratings/{rating.pk}/appeal")
    assert form.status_code == 200
    assert_no_identity(form.content.decode())
    response = file_via_page(
        client,
        rating.pk,
        evidence=[
            SimpleUploadedFile("叫号记录.png", PNG, "image/png"),
            SimpleUploadedFile("说明.pdf", PDF, "application/pdf"),
        ],
    )
    with schema_context(scene.schema):
        appeal = Appeal.objects.get()
        evidence = list(appeal.evidence.order_by("id"))
    assert response.status_code == 302 and response.url == f"/appeals/mine/{appeal.pk}/"
    assert appeal.statement == STATEMENT and appeal.due_at == date(2026, 3, 17)
    detail = client.get(response.url).content.decode()
    assert STATEMENT in detail and "叫号记录.png" in detail and "2026-03-17" in detail
    assert_no_identity(detail)
    mine = client.get("/appeals/mine/").content.decode()
    assert f"#{appeal.pk}" in mine and "Awaiting decision" in mine
    assert_no_identity(mine)
    download = client.get(f"/appeals/{appeal.pk}/evidence/{evidence[0].pk}")
    assert download.status_code == 200 and download.content == PNG
    assert download["Content-Type"] == "image/png" and download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("证明.pdf", PNG, "application/pdf"), "not a PDF, JPEG or PNG"),
        (SimpleUploadedFile("证明.pdf", b"GIF89a....", "application/pdf"), "not a PDF, JPEG or PNG"),
        (SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024), "application/pdf"), "5 MB"),
    ],
)
def test_the_form_shows_evidence_refusals(scene, upload, message):
    (rating,) = bad_ratings(scene)
    response = file_via_page(client_of(scene.world.info, scene.staff), rating.pk, evidence=[upload])
    assert response.status_code == 400 and message in response.content.decode()
    with schema_context(scene.schema):
        assert not Appeal.objects.exists()


def test_six_files_are_refused_on_the_form(scene):
    (rating,) = bad_ratings(scene)
    files = [SimpleUploadedFile(f"{n}.png", PNG, "image/png") for n in range(6)]
    response = file_via_page(client_of(scene.world.info, scene.staff), rating.pk, evidence=files)
    assert response.status_code == 400 and "at most 5 evidence files" in response.content.decode()


def test_a_colleague_cannot_appeal_as_the_rated_staff_member_on_the_form(scene):
    (rating,) = bad_ratings(scene)
    response = file_via_page(client_of(scene.world.info, scene.colleague), rating.pk, kind="staff")
    assert response.status_code == 400
    with schema_context(scene.schema):
        assert not Appeal.objects.exists()


def test_the_appellant_withdraws_on_the_page(scene):
    (rating,) = bad_ratings(scene)
    with schema_context(scene.schema):
        appeal = appeal_file(actor=scene.staff.actor, evaluation=rating, statement=STATEMENT, now=FILED)
    client = client_of(scene.world.info, scene.staff)
    assert client.post(f"/appeals/mine/{appeal.pk}/withdraw").status_code == 302
    assert client_of(scene.world.info, scene.colleague).get(f"/appeals/mine/{appeal.pk}/").status_code == 404
    with schema_context(scene.schema):
        assert Appeal.objects.get().state == AppealState.WITHDRAWN


def test_the_review_queue_shows_due_dates_marks_overdue_and_the_decision_excludes_the_rating(scene):
    first, second = bad_ratings(scene, 2)
    with schema_context(scene.schema):
        late = appeal_file(actor=scene.staff.actor, evaluation=first, statement=STATEMENT, now=FILED)
        fresh = appeal_file(
            actor=scene.staff.actor, evaluation=second, statement=STATEMENT, now=local(2026, 3, 20, 9)
        )
    reviewer = client_of(scene.world.info, scene.department_supervisor)
    with time_machine.travel(local(2026, 3, 20, 10), tick=False):
        queue = reviewer.get("/appeals/review/").content.decode()
    assert "2026-03-17" in queue and "2026-03-27" in queue
    assert queue.count('class="overdue"') == 1 and queue.count("Overdue") == 1
    assert queue.index(f"#{late.pk}") < queue.index(f"#{fresh.pk}")
    page = reviewer.get(f"/appeals/review/{late.pk}/")
    html = page.content.decode()
    assert page.status_code == 200 and STATEMENT in html
    # the reviewer sees the identity masked, never in full
    assert EVALUATOR_MASKED[0] in html and EVALUATOR_MASKED[1] in html
    assert EVALUATOR_NAME not in html and EVALUATOR_PHONE not in html
    decided = reviewer.post(
        f"/appeals/review/{late.pk}/", {"decision": "upheld", "note": "叫号记录显示评价对象有误。"}
    )
    assert decided.status_code == 302
    with schema_context(scene.schema):
        assert Evaluation.objects.get(pk=first.pk).excluded
        assert Appeal.objects.get(pk=late.pk).state == AppealState.UPHELD
    appellant_view = (
        client_of(scene.world.info, scene.staff).get(f"/appeals/mine/{late.pk}/").content.decode()
    )
    assert (
        "叫号记录显示评价对象有误。" in appellant_view and "Excluded from every indicator" in appellant_view
    )
    assert_no_identity(appellant_view)


def test_a_decision_without_a_note_is_a_form_error(scene):
    (rating,) = bad_ratings(scene)
    with schema_context(scene.schema):
        appeal = appeal_file(actor=scene.staff.actor, evaluation=rating, statement=STATEMENT, now=FILED)
    response = client_of(scene.world.info, scene.supervisor).post(
        f"/appeals/review/{appeal.pk}/", {"decision": "rejected", "note": ""}
    )
    assert response.status_code == 400
    with schema_context(scene.schema):
        assert Appeal.objects.get().state == AppealState.SUBMITTED


def test_reviewers_outside_the_scope_neither_see_nor_decide(scene):
    (rating,) = bad_ratings(scene)
    with schema_context(scene.schema):
        appeal = appeal_file(actor=scene.staff.actor, evaluation=rating, statement=STATEMENT, now=FILED)
    for user in (scene.hall_supervisor, scene.other_supervisor):
        client = client_of(scene.world.info, user)
        assert f"#{appeal.pk}" not in client.get("/appeals/review/").content.decode()
        assert client.get(f"/appeals/review/{appeal.pk}/").status_code == 404
        assert (
            client.post(f"/appeals/review/{appeal.pk}/", {"decision": "upheld", "note": "x"}).status_code
            == 404
        )
        assert client.get(f"/appeals/{appeal.pk}/evidence/1").status_code == 404
    with schema_context(scene.schema):
        assert Appeal.objects.get().state == AppealState.SUBMITTED


def test_window_staff_and_auditors_are_refused_the_reviewer_pages(scene, login):
    (rating,) = bad_ratings(scene)
    with schema_context(scene.schema):
        appeal = appeal_file(actor=scene.staff.actor, evaluation=rating, statement=STATEMENT, now=FILED)
    staff = client_of(scene.world.info, scene.colleague)
    assert staff.get("/appeals/review/").status_code == 403
    assert staff.get(f"/appeals/review/{appeal.pk}/").status_code == 403
    assert staff.post(f"/appeals/review/{appeal.pk}/", {"decision": "upheld", "note": "x"}).status_code == 403
    assert staff.get("/appeals/settings/").status_code == 403
    auditor = login("auditor")
    assert auditor.get("/appeals/").status_code == 403
    assert auditor.get("/appeals/ratings/").status_code == 403
    with schema_context(scene.schema):
        assert Appeal.objects.get().state == AppealState.SUBMITTED


def test_the_administrator_sets_the_periods(scene, login):
    admin = login("tenant_admin")
    assert (
        admin.post("/appeals/settings/", {"filing_days": 15, "decision_working_days": 3}).status_code == 302
    )
    assert admin.post("/appeals/settings/", {"filing_days": 0, "decision_working_days": 3}).status_code == 400
    from tenants.appeals.selectors import appeal_settings

    with schema_context(scene.schema):
        rules = appeal_settings()
    assert (rules.filing_days, rules.decision_working_days) == (15, 3)
