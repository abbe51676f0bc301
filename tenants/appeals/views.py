"""Appeal pages (申诉复核) at /appeals/ on a tenant's host.

Appellant side (appeals.file): "My ratings" of oneself or one's unit, the appeal form with evidence, one's
own appeals. Reviewer side (appeals.decide): the queue of appeals one may decide, the decision page. The
appellant's pages never show who rated, not even masked; the reviewer's show the identity masked.
"""

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenants.accounts.roles import Perm, has_permission
from tenants.accounts.views import add_service_errors, permission_required
from tenants.appeals.forms import AppealForm, DecisionForm, EvidenceForm, SettingsForm, evidence_uploads
from tenants.appeals.models import Appeal, AppealEvidence, AppealState
from tenants.appeals.selectors import (
    appeal_may_decide,
    appeal_overdue,
    appeal_settings,
    appealable,
    appeals_by_rating,
    appeals_of_appellant,
    appeals_visible,
    appellant_kinds,
    rating_for_appellant,
    rating_rows,
    ratings_of_appellant,
    review_queue,
)
from tenants.appeals.services import (
    appeal_decide,
    appeal_evidence_add,
    appeal_file,
    appeal_settings_set,
    appeal_withdraw,
)
from tenants.organisation.selectors import membership_of


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store, private"
    return response


def _nav(user) -> dict:
    role = getattr(user, "role", None)
    return {
        "can_file": has_permission(role, Perm.FILE_APPEALS),
        "can_decide": has_permission(role, Perm.DECIDE_APPEALS),
        "can_configure": has_permission(role, Perm.CONFIGURE_CASES),
    }


def _page(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    return _private(render(request, template, {**_nav(request.user), **context}, status=status))


@login_required
def home(request):
    nav = _nav(request.user)
    if not (nav["can_file"] or nav["can_decide"] or nav["can_configure"]):
        raise PermissionDenied
    if nav["can_decide"]:
        return redirect("appeals-review")
    if nav["can_file"]:
        return redirect("appeals-ratings")
    return redirect("appeals-settings")


# --- appellant side ------------------------------------------------------------------------------------
@permission_required(Perm.FILE_APPEALS)
def my_ratings(request):
    """Ratings of oneself (the Staff record) or of one's unit, bad ones first-class, with an Appeal action."""
    show_all = request.GET.get("all") == "1"
    membership = membership_of(request.user)
    page = Paginator(ratings_of_appellant(user=request.user, bad_only=not show_all), 30).get_page(
        request.GET.get("page")
    )
    evaluations = list(page.object_list)
    appeals = appeals_by_rating(evaluation_ids=[e.pk for e in evaluations])
    rules, now = appeal_settings(), timezone.now()
    rows = [
        {
            "rating": row,
            "appeal": appeals.get(e.pk),
            "appealable": appealable(e, appeal=appeals.get(e.pk), rules=rules, now=now),
        }
        for e, row in zip(evaluations, rating_rows(evaluations), strict=True)
    ]
    return _page(
        request,
        "appeals/my_ratings.html",
        {"page": page, "rows": rows, "show_all": show_all, "membership": membership, "rules": rules},
    )


@permission_required(Perm.FILE_APPEALS)
def appeal_new(request, evaluation_id: int):
    evaluation = rating_for_appellant(user=request.user, pk=evaluation_id)
    if evaluation is None:
        raise Http404
    kinds = appellant_kinds(membership=membership_of(request.user), evaluation=evaluation)
    form = AppealForm(request.POST or None, request.FILES or None, kinds=kinds)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                appeal = appeal_file(
                    actor=request.user.actor,
                    evaluation=evaluation,
                    statement=form.cleaned_data["statement"],
                    kind=form.cleaned_data["kind"],
                    evidence=evidence_uploads(form.cleaned_data["evidence"]),
                )
            except (ValidationError, PermissionDenied) as exc:
                add_service_errors(
                    form, exc if isinstance(exc, ValidationError) else ValidationError(str(exc))
                )
            else:
                messages.success(
                    request,
                    _("Your appeal was filed. A reviewer decides by %(due)s.")
                    % {"due": appeal.due_at.isoformat()},
                )
                return redirect("appeals-mine-detail", pk=appeal.pk)
        status = 400
    (rating,) = rating_rows([evaluation])
    return _page(
        request,
        "appeals/appeal_form.html",
        {"form": form, "rating": rating, "rules": appeal_settings()},
        status=status,
    )


@permission_required(Perm.FILE_APPEALS)
def my_appeals(request):
    page = Paginator(appeals_of_appellant(user=request.user), 30).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [{"appeal": a, "overdue": appeal_overdue(a, today=today)} for a in page.object_list]
    return _page(request, "appeals/my_appeals.html", {"page": page, "rows": rows})


def _own_appeal(request, pk: int) -> Appeal:
    appeal = appeals_of_appellant(user=request.user).filter(pk=pk).first()
    if appeal is None:
        raise Http404
    return appeal


@permission_required(Perm.FILE_APPEALS)
def my_appeal_detail(request, pk: int):
    appeal = _own_appeal(request, pk)
    evidence_form = EvidenceForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if evidence_form.is_valid():
            try:
                appeal_evidence_add(
                    actor=request.user.actor,
                    appeal=appeal,
                    evidence=evidence_uploads(evidence_form.cleaned_data["evidence"]),
                )
            except (ValidationError, PermissionDenied) as exc:
                add_service_errors(
                    evidence_form, exc if isinstance(exc, ValidationError) else ValidationError(str(exc))
                )
            else:
                messages.success(request, _("Evidence added."))
                return redirect("appeals-mine-detail", pk=appeal.pk)
        status = 400
    (rating,) = rating_rows([appeal.evaluation])
    return _page(
        request,
        "appeals/my_appeal_detail.html",
        {
            "appeal": appeal,
            "rating": rating,
            "evidence": appeal.evidence.defer("data"),
            "evidence_form": evidence_form,
            "overdue": appeal_overdue(appeal),
        },
        status=status,
    )


@require_POST
@permission_required(Perm.FILE_APPEALS)
def my_appeal_withdraw(request, pk: int):
    appeal = _own_appeal(request, pk)
    try:
        appeal_withdraw(actor=request.user.actor, appeal=appeal)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your appeal was withdrawn."))
    return redirect("appeals-mine-detail", pk=appeal.pk)


@login_required
def evidence_download(request, pk: int, evidence_id: int):
    """An evidence file, for the appellant and for those who may decide the appeal."""
    appeal = appeals_visible(actor=request.user.actor).filter(pk=pk).first()
    if appeal is None:
        raise Http404
    evidence = get_object_or_404(AppealEvidence, appeal=appeal, pk=evidence_id)
    response = HttpResponse(bytes(evidence.data), content_type=evidence.content_type)
    ascii_name = evidence.name.encode("ascii", "ignore").decode().strip() or f"evidence-{evidence.pk}"
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(evidence.name)}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return _private(response)


# --- reviewer side -------------------------------------------------------------------------------------
REVIEW_STATES = {
    "": AppealState.SUBMITTED,
    "upheld": AppealState.UPHELD,
    "rejected": AppealState.REJECTED,
}


@permission_required(Perm.DECIDE_APPEALS)
def review_list(request):
    """Appeals this reviewer may decide, the nearest deadline first, overdue ones marked."""
    state = REVIEW_STATES.get(request.GET.get("state", ""), AppealState.SUBMITTED)
    page = Paginator(review_queue(actor=request.user.actor, state=state), 30).get_page(
        request.GET.get("page")
    )
    today = timezone.localdate()
    rows = [{"appeal": a, "overdue": appeal_overdue(a, today=today)} for a in page.object_list]
    return _page(
        request,
        "appeals/review_list.html",
        {"page": page, "rows": rows, "state": state, "today": today},
    )


@permission_required(Perm.DECIDE_APPEALS)
def review_detail(request, pk: int):
    appeal = (
        appeals_visible(actor=request.user.actor)
        .select_related("appellant", "appellant_unit", "rated_unit", "evaluation__transaction")
        .filter(pk=pk)
        .first()
    )
    if appeal is None:
        raise Http404
    may_decide = appeal.state == AppealState.SUBMITTED and appeal_may_decide(
        actor=request.user.actor, appeal=appeal
    )
    form = DecisionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not may_decide:
            raise PermissionDenied
        if form.is_valid():
            try:
                appeal_decide(
                    actor=request.user.actor,
                    appeal=appeal,
                    decision=form.cleaned_data["decision"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Decision recorded."))
                return redirect("appeals-review-detail", pk=appeal.pk)
        status = 400
    (rating,) = rating_rows([appeal.evaluation], for_reviewer=True)
    return _page(
        request,
        "appeals/review_detail.html",
        {
            "appeal": appeal,
            "rating": rating,
            "evidence": appeal.evidence.defer("data"),
            "form": form,
            "may_decide": may_decide,
            "overdue": appeal_overdue(appeal),
        },
        status=status,
    )


@permission_required(Perm.CONFIGURE_CASES)
def settings_view(request):
    rules = appeal_settings()
    form = SettingsForm(
        request.POST or None,
        initial={"filing_days": rules.filing_days, "decision_working_days": rules.decision_working_days},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                appeal_settings_set(actor=request.user.actor, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Appeal settings saved."))
                return redirect("appeals-settings")
        status = 400
    return _page(request, "appeals/settings.html", {"form": form}, status=status)
