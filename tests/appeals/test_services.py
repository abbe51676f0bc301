"""Appeal rules (申诉复核) at the service layer: who may file, evidence limits, who may decide, the working-day
deadline, and what an upheld or rejected decision does to the rating and the indicators."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_tenants.utils import schema_context

from tenants.accounts.models import AuditEvent
from tenants.appeals.models import Appeal, AppealEvidence, AppealState
from tenants.appeals.selectors import appeal_may_decide, review_queue
from tenants.appeals.services import (
    EVIDENCE_MAX_BYTES,
    EvidenceUpload,
    appeal_decide,
    appeal_evidence_add,
    appeal_file,
    appeal_settings_set,
    appeal_withdraw,
)
from tenants.evaluations.models import Evaluation
from tenants.insight.selectors import Scope, indicators
from tenants.insight.services import rollups_drain
from tenants.workcalendar.services import calendar_override_set
from tests.appeals.conftest import FILED, RATED, SYSTEM, bad_ratings
from tests.supervision.conftest import local, rate_transactions

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20


def file(scene, user, evaluation, **kwargs):
    kwargs.setdefault("statement", "评价人办理的是其他窗口的业务，误评了本窗口。")
    kwargs.setdefault("now", FILED)
    with schema_context(scene.schema):
        return appeal_file(actor=user.actor, evaluation=evaluation, **kwargs)


def decide(scene, user_or_actor, appeal, decision="upheld", note="监控录像显示评价人未在本窗口办理业务。"):
    actor = getattr(user_or_actor, "actor", user_or_actor)
    with schema_context(scene.schema):
        return appeal_decide(actor=actor, appeal=appeal, decision=decision, note=note, now=FILED)


# --- filing --------------------------------------------------------------------------------------------
def test_the_rated_staff_member_files_with_evidence_and_a_due_date(scene):
    (rating,) = bad_ratings(scene)
    appeal = file(
        scene,
        scene.staff,
        rating,
        evidence=[EvidenceUpload("监控截图.png", PNG), EvidenceUpload("说明.pdf", PDF)],
    )
    with schema_context(scene.schema):
        appeal.refresh_from_db()
        assert (appeal.state, appeal.appellant_kind, appeal.appellant_id) == (
            AppealState.SUBMITTED,
            "staff",
            scene.staff.pk,
        )
        assert appeal.rated_unit == scene.world.hall and appeal.appellant_unit == scene.world.hall
        assert appeal.due_at == date(2026, 3, 17)  # Tue 10 March + 5 working days
        assert [(e.name, e.content_type, e.size) for e in appeal.evidence.all()] == [
            ("监控截图.png", "image/png", len(PNG)),
            ("说明.pdf", "application/pdf", len(PDF)),
        ]
        assert AuditEvent.objects.filter(action="appeal.file", target_id=str(appeal.pk)).exists()


def test_someone_of_the_rated_unit_files_for_the_unit(scene):
    first, second = bad_ratings(scene, 2)
    assert file(scene, scene.hall_officer, first).appellant_kind == "unit"
    # an account at the window the rating was given at belongs to the rated unit too
    assert file(scene, scene.window_officer, second).appellant_kind == "unit"


def test_another_staff_member_cannot_appeal_as_the_rated_staff(scene):
    (rating,) = bad_ratings(scene)
    with pytest.raises(PermissionDenied, match="not the staff member rated"):
        file(scene, scene.colleague, rating, kind="staff")
    with schema_context(scene.schema):
        assert not Appeal.objects.exists()


def test_another_unit_cannot_appeal(scene):
    (rating,) = bad_ratings(scene)
    with pytest.raises(PermissionDenied):
        file(scene, scene.outsider, rating)
    with pytest.raises(PermissionDenied):
        file(scene, scene.outsider, rating, kind="unit")
    with schema_context(scene.schema):
        assert not Appeal.objects.exists()


def test_roles_without_the_permission_and_unplaced_accounts_cannot_appeal(scene):
    (rating,) = bad_ratings(scene)
    with pytest.raises(PermissionDenied):
        file(scene, scene.department_supervisor, rating)  # supervisors decide, they do not file
    with pytest.raises(PermissionDenied), schema_context(scene.schema):
        appeal_file(actor=SYSTEM, evaluation=rating, statement="x", now=FILED)


def test_one_open_appeal_per_rating(scene):
    (rating,) = bad_ratings(scene)
    file(scene, scene.staff, rating)
    with pytest.raises(ValidationError, match="already has an open appeal"):
        file(scene, scene.hall_officer, rating)
    with schema_context(scene.schema):
        assert Appeal.objects.count() == 1


def test_a_withdrawn_appeal_can_be_filed_again_a_decided_one_cannot(scene):
    first, second = bad_ratings(scene, 2)
    appeal = file(scene, scene.staff, first)
    with schema_context(scene.schema):
        appeal_withdraw(actor=scene.staff.actor, appeal=appeal)
    assert file(scene, scene.staff, first).state == AppealState.SUBMITTED
    decide(scene, scene.supervisor, file(scene, scene.staff, second), "rejected", "评价属实。")
    with pytest.raises(ValidationError, match="already decided"):
        file(scene, scene.staff, second)


def test_late_appeals_are_refused_and_the_period_is_a_setting(scene):
    (rating,) = bad_ratings(scene)
    with pytest.raises(ValidationError, match="within 30 days"):
        file(scene, scene.staff, rating, now=RATED + timedelta(days=30, minutes=2))
    with schema_context(scene.schema):
        appeal_settings_set(actor=SYSTEM, filing_days=60, decision_working_days=5)
    assert file(scene, scene.staff, rating, now=RATED + timedelta(days=30, minutes=2)).pk


def test_only_current_bad_ratings_can_be_appealed(scene):
    (good,) = bad_ratings(scene, level=1, prefix="G")
    with pytest.raises(ValidationError, match="Only bad reviews"):
        file(scene, scene.staff, good)


def test_the_statement_is_required_and_bounded(scene):
    (rating,) = bad_ratings(scene)
    with pytest.raises(ValidationError) as empty:
        file(scene, scene.staff, rating, statement="   ")
    with pytest.raises(ValidationError) as long:
        file(scene, scene.staff, rating, statement="长" * 4001)
    assert "statement" in empty.value.message_dict and "statement" in long.value.message_dict


# --- evidence ------------------------------------------------------------------------------------------
def test_oversized_evidence_is_refused(scene):
    (rating,) = bad_ratings(scene)
    big = EvidenceUpload("scan.pdf", b"%PDF-" + b"0" * EVIDENCE_MAX_BYTES)
    with pytest.raises(ValidationError, match="5 MB"):
        file(scene, scene.staff, rating, evidence=[big])
    with schema_context(scene.schema):
        assert not Appeal.objects.exists()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("证明.pdf", PNG),  # a PNG calling itself a PDF
        ("证明.pdf", b"MZ\x90\x00 an executable"),
        ("证明.pdf", b"<html><script>alert(1)</script>"),
        ("photo.png", JPEG),
        ("note.txt", b"plain text"),
        ("noextension", PDF),
    ],
)
def test_evidence_type_is_decided_by_content(scene, name, data):
    (rating,) = bad_ratings(scene)
    with pytest.raises(ValidationError, match="not a PDF, JPEG or PNG"):
        file(scene, scene.staff, rating, evidence=[EvidenceUpload(name, data)])
    with schema_context(scene.schema):
        assert not AppealEvidence.objects.exists()


def test_at_most_five_files_also_when_added_later(scene):
    first, second = bad_ratings(scene, 2)
    six = [EvidenceUpload(f"{n}.jpg", JPEG) for n in range(6)]
    with pytest.raises(ValidationError, match="at most 5 evidence files"):
        file(scene, scene.staff, first, evidence=six)
    appeal = file(scene, scene.staff, second, evidence=six[:4])
    with schema_context(scene.schema):
        appeal_evidence_add(actor=scene.staff.actor, appeal=appeal, evidence=six[4:5])
        with pytest.raises(ValidationError, match="at most 5"):
            appeal_evidence_add(actor=scene.staff.actor, appeal=appeal, evidence=six[5:])
        with pytest.raises(PermissionDenied):
            appeal_evidence_add(actor=scene.hall_officer.actor, appeal=appeal, evidence=six[5:])
        assert appeal.evidence.count() == 5


# --- deciding ------------------------------------------------------------------------------------------
def test_the_appellant_cannot_decide_their_own_appeal(scene):
    (rating,) = bad_ratings(scene)
    appeal = file(scene, scene.staff, rating)
    with schema_context(scene.schema):  # promoted to supervisor while the appeal is open
        scene.staff.role = "supervisor"
        scene.staff.save(update_fields=["role"])
    with pytest.raises(PermissionDenied, match="own appeal"):
        decide(scene, scene.staff, appeal)
    with schema_context(scene.schema):
        assert Appeal.objects.get().state == AppealState.SUBMITTED


def test_a_reviewer_of_the_rated_unit_or_beside_it_is_refused(scene):
    (rating,) = bad_ratings(scene)
    appeal = file(scene, scene.staff, rating)
    for reviewer in (scene.hall_supervisor, scene.other_supervisor):
        with pytest.raises(PermissionDenied, match="above the rated unit"):
            decide(scene, reviewer, appeal)
    with schema_context(scene.schema):
        assert Appeal.objects.get().state == AppealState.SUBMITTED
        assert list(review_queue(actor=scene.hall_supervisor.actor)) == []


def test_a_unit_appeal_from_above_the_handling_unit_needs_a_reviewer_above_the_appellant(scene):
    (rating,) = bad_ratings(scene)
    with schema_context(scene.schema):  # the department's own officer appeals for the department
        from tenants.organisation.services import membership_set

        membership_set(actor=SYSTEM, user=scene.hall_officer, unit=scene.world.department)
    appeal = file(scene, scene.hall_officer, rating)
    with pytest.raises(PermissionDenied):
        decide(scene, scene.department_supervisor, appeal)  # above the hall, but the appellant's own unit
    assert decide(scene, scene.supervisor, appeal).state == AppealState.UPHELD


def test_window_staff_and_officers_cannot_decide(scene):
    (rating,) = bad_ratings(scene)
    appeal = file(scene, scene.staff, rating)
    for user in (scene.colleague, scene.hall_officer):
        with pytest.raises(PermissionDenied, match="may not decide"):
            decide(scene, user, appeal)


def test_a_reviewer_above_the_unit_and_a_tenant_wide_supervisor_may_decide(scene):
    first, second = bad_ratings(scene, 2)
    one, two = file(scene, scene.staff, first), file(scene, scene.hall_officer, second)
    with schema_context(scene.schema):
        assert appeal_may_decide(actor=scene.department_supervisor.actor, appeal=one)
        assert [a.pk for a in review_queue(actor=scene.department_supervisor.actor)] == [one.pk, two.pk]
        assert [a.pk for a in review_queue(actor=scene.supervisor.actor)] == [one.pk, two.pk]
        assert list(review_queue(actor=scene.other_supervisor.actor)) == []
    decided = decide(scene, scene.department_supervisor, one, "rejected", "评价属实，申诉不成立。")
    assert (decided.state, decided.reviewer_id) == (AppealState.REJECTED, scene.department_supervisor.pk)
    assert decide(scene, scene.supervisor, two).state == AppealState.UPHELD


def test_a_decision_needs_a_note_and_happens_once(scene):
    (rating,) = bad_ratings(scene)
    appeal = file(scene, scene.staff, rating)
    with pytest.raises(ValidationError, match="reason for the decision"):
        decide(scene, scene.supervisor, appeal, note=" ")
    with pytest.raises(ValidationError, match="Uphold or reject"):
        decide(scene, scene.supervisor, appeal, decision="withdrawn")
    decide(scene, scene.supervisor, appeal, "rejected", "评价属实。")
    with pytest.raises(ValidationError, match="already decided"):
        decide(scene, scene.supervisor, appeal)
    with pytest.raises(ValidationError), schema_context(scene.schema):
        appeal_withdraw(actor=scene.staff.actor, appeal=appeal)


def test_only_the_appellant_withdraws(scene):
    (rating,) = bad_ratings(scene)
    appeal = file(scene, scene.staff, rating)
    with schema_context(scene.schema):
        with pytest.raises(PermissionDenied):
            appeal_withdraw(actor=scene.hall_officer.actor, appeal=appeal)
        assert appeal_withdraw(actor=scene.staff.actor, appeal=appeal).state == AppealState.WITHDRAWN
        assert AuditEvent.objects.filter(action="appeal.withdraw").count() == 1


# --- deadline on the working-day calendar -------------------------------------------------------------
def test_the_deadline_skips_the_national_day_week_and_counts_the_make_up_saturday(scene):
    (rating,) = bad_ratings(scene, start=local(2026, 9, 28, 9))
    appeal = file(scene, scene.staff, rating, now=local(2026, 9, 30, 16))
    # 1–7 Oct are holidays; Sat 10 Oct is a 调休 working day: 8, 9, 10, 12, 13 October
    assert appeal.due_at == date(2026, 10, 13)


def test_the_deadline_follows_the_tenants_overrides_and_settings(scene):
    first, second = bad_ratings(scene, 2, start=local(2026, 4, 1, 9))
    with schema_context(scene.schema):
        calendar_override_set(actor=SYSTEM, day=date(2026, 4, 8), is_workday=False, note="停电")
    # Thu 2 April: 3 Apr, (Qingming 4–6), 7, 9, 10 (8 is the tenant's day off), 13
    assert file(scene, scene.staff, first, now=local(2026, 4, 2, 9)).due_at == date(2026, 4, 13)
    with schema_context(scene.schema):
        appeal_settings_set(actor=SYSTEM, filing_days=30, decision_working_days=1)
    assert file(scene, scene.staff, second, now=local(2026, 4, 3, 9)).due_at == date(2026, 4, 7)


def test_the_settings_are_bounded_and_only_for_configurers(scene):
    with schema_context(scene.schema):
        with pytest.raises(ValidationError):
            appeal_settings_set(actor=SYSTEM, filing_days=0, decision_working_days=500)
        with pytest.raises(PermissionDenied):
            appeal_settings_set(actor=scene.staff.actor, filing_days=10, decision_working_days=3)


# --- effect on the rating and the indicators ----------------------------------------------------------
def march(scene):
    with schema_context(scene.schema):
        rollups_drain()
        return indicators(Scope(start=date(2026, 3, 1), end=date(2026, 3, 31)))


def test_an_upheld_appeal_excludes_the_rating_and_changes_the_indicators(scene):
    rate_transactions(scene.world, 3, start=RATED, level=1, prefix="G")
    (rating,) = bad_ratings(scene)
    before = march(scene)
    assert (before["good_rate"].numerator, before["good_rate"].denominator) == (3, 4)
    assert (before["bad_rate"].numerator, before["bad_rate"].value) == (1, 0.25)
    decide(scene, scene.department_supervisor, file(scene, scene.staff, rating))
    with schema_context(scene.schema):
        rating.refresh_from_db()
        assert rating.excluded and "监控录像" in rating.excluded_reason  # kept, marked, reason recorded
        assert Evaluation.objects.filter(pk=rating.pk).exists()
        assert AuditEvent.objects.filter(action="evaluation.exclude", target_id=str(rating.pk)).exists()
    after = march(scene)
    assert (after["good_rate"].numerator, after["good_rate"].denominator, after["good_rate"].value) == (
        3,
        3,
        1.0,
    )
    assert (after["bad_rate"].numerator, after["bad_rate"].value) == (0, 0.0)
    assert after["active_good_rate"].value == 1.0


def test_a_rejected_appeal_changes_nothing_on_the_rating(scene):
    rate_transactions(scene.world, 3, start=RATED, level=1, prefix="G")
    (rating,) = bad_ratings(scene)
    before = march(scene)
    decide(scene, scene.department_supervisor, file(scene, scene.staff, rating), "rejected", "评价属实。")
    with schema_context(scene.schema):
        rating.refresh_from_db()
        assert not rating.excluded and rating.excluded_reason == ""
        assert not AuditEvent.objects.filter(action="evaluation.exclude").exists()
    assert march(scene) == before


def test_indicators_count_current_revisions_and_keep_defaults_apart(scene):
    from tenants.evaluations.services import EvaluationInput, evaluations_submit

    rate_transactions(scene.world, 2, start=RATED, level=4, prefix="R")
    with schema_context(scene.schema):
        # the first evaluator revises 4 → 2: one vote, the current one
        revised = RATED + timedelta(hours=2)
        (outcome,) = evaluations_submit(
            actor=SYSTEM,
            items=[EvaluationInput(transaction="R00000", level=2, channel="device", rated_at=revised)],
            now=revised,
        )
        assert outcome.status == "created" and outcome.supersedes is not None
        Evaluation.objects.filter(transaction__number="R00001").update(is_default=True, level=2, is_bad=False)
        rollups_drain()
        figures = indicators(Scope(start=date(2026, 3, 1), end=date(2026, 3, 31)))
        empty = indicators(Scope(start=date(2025, 1, 1), end=date(2025, 1, 31)))
        other_unit = indicators(
            Scope(start=date(2026, 3, 1), end=date(2026, 3, 31), unit=scene.other_department)
        )
        hall = indicators(Scope(start=date(2026, 3, 1), end=date(2026, 3, 31), unit=scene.world.hall))
    assert (figures["good_rate"].numerator, figures["good_rate"].denominator) == (2, 2)
    assert (figures["active_good_rate"].numerator, figures["active_good_rate"].denominator) == (1, 1)
    assert figures["good_rate"].denominator - figures["active_good_rate"].denominator == 1  # the default
    assert empty["good_rate"].value is None and other_unit["bad_rate"].denominator == 0
    assert (
        hall["good_rate"] == figures["good_rate"] and hall["active_good_rate"] == figures["active_good_rate"]
    )


def test_the_rated_staff_member_never_decides_an_appeal_about_their_own_rating(scene):
    (rating,) = bad_ratings(scene)
    appeal = file(scene, scene.hall_officer, rating)  # the hall appeals a rating of S001
    with schema_context(scene.schema):  # S001 is promoted to supervisor of the department, above the hall
        from tenants.organisation.services import membership_set

        membership_set(actor=SYSTEM, user=scene.staff, unit=scene.world.department, staff=scene.world.staff)
        scene.staff.role = "supervisor"
        scene.staff.save(update_fields=["role"])
        assert not appeal_may_decide(actor=scene.staff.actor, appeal=appeal)
        assert list(review_queue(actor=scene.staff.actor)) == []
    with pytest.raises(PermissionDenied, match="rated staff member"):
        decide(scene, scene.staff, appeal)
    with schema_context(scene.schema):
        assert Appeal.objects.get().state == AppealState.SUBMITTED
        assert not Evaluation.objects.get(pk=rating.pk).excluded
    assert decide(scene, scene.department_supervisor, appeal).state == AppealState.UPHELD
