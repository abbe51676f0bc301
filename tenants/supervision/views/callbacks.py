from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenants.accounts.roles import Perm, has_permission
from tenants.accounts.views import add_service_errors, permission_required
from tenants.evaluations.models import SCALE_WORDS
from tenants.evaluations.selectors import intake_config
from tenants.supervision.forms import AssignForm, OutcomeForm, RevealForm, SampleForm, yes_no
from tenants.supervision.models import CallbackSample, CallbackTask
from tenants.supervision.selectors.callbacks import (
    evaluator_masked,
    sample_progress,
    samples_with_progress,
    task_detail,
    tasks_assigned_to,
    tasks_of_sample,
)
from tenants.supervision.services.callbacks import (
    assignable_users,
    may_record,
    sample_close,
    sample_draw,
    task_record,
    tasks_assign,
)
from tenants.supervision.services.reveal import evaluator_identity_reveal
from tenants.supervision.views.common import can_manage, can_reveal, no_store


@permission_required(Perm.VIEW_EVALUATIONS)
def sample_list(request):
    """Samples with their progress, and the form that draws a new one."""
    form = SampleForm(request.POST or None, initial={"mode": "percent", "contactable_only": True})
    status = 200
    if request.method == "POST":
        if not can_manage(request.user):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                sample = sample_draw(
                    actor=request.user.actor,
                    name=data["name"],
                    period_start=data["period_start"],
                    period_end=data["period_end"],
                    mode=data["mode"],
                    amount=data["amount"],
                    unit=data["unit_code"],
                    item=data["item_code"],
                    contactable_only=data["contactable_only"],
                    seed=data["seed"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Drew %(n)d evaluations out of %(population)d (seed %(seed)d).")
                    % {"n": sample.tasks.count(), "population": sample.population, "seed": sample.seed},
                )
                return redirect("supervision-sample", pk=sample.pk)
        status = 400
    page = Paginator(samples_with_progress(), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "supervision/sample_list.html",
        {"page": page, "form": form, "can_manage": can_manage(request.user)},
        status=status,
    )


@permission_required(Perm.VIEW_EVALUATIONS)
def sample_detail(request, pk: int):
    sample = get_object_or_404(CallbackSample.objects.select_related("unit", "item"), pk=pk)
    tasks = tasks_of_sample(sample)
    page = Paginator(tasks, 100).get_page(request.GET.get("page"))
    form = AssignForm(
        request.POST or None, users=assignable_users(), task_ids=[t.pk for t in page.object_list]
    )
    status = 200
    if request.method == "POST":
        if not can_manage(request.user):
            raise PermissionDenied
        form.fields["tasks"].choices = [(pk, pk) for pk in sample.tasks.values_list("id", flat=True)]
        if form.is_valid():
            try:
                changed = tasks_assign(
                    actor=request.user.actor,
                    sample=sample,
                    task_ids=form.cleaned_data["tasks"],
                    assignee=form.cleaned_data["assignee"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("%(n)d tasks assigned.") % {"n": changed})
                return redirect("supervision-sample", pk=sample.pk)
        status = 400
    done, total = sample_progress(sample)
    return render(
        request,
        "supervision/sample_detail.html",
        {
            "sample": sample,
            "page": page,
            "form": form,
            "done": done,
            "total": total,
            "percent": round(100 * done / total) if total else 0,
            "can_manage": can_manage(request.user),
        },
        status=status,
    )


@require_POST
@permission_required(Perm.RUN_SUPERVISION)
def sample_close_view(request, pk: int):
    sample = get_object_or_404(CallbackSample, pk=pk)
    sample_close(actor=request.user.actor, sample=sample)
    messages.success(request, _("Sample closed."))
    return redirect("supervision-sample", pk=pk)


@login_required
def my_tasks(request):
    """Callback tasks assigned to the signed-in person."""
    page = Paginator(tasks_assigned_to(request.user), 100).get_page(request.GET.get("page"))
    return render(request, "supervision/my_tasks.html", {"page": page})


def _task_or_404(request, pk: int) -> CallbackTask:
    """Readers of evaluations see every task; anyone else only the tasks assigned to them. Others get 404,
    not 403: the task's existence is not theirs to know."""
    try:
        task = task_detail(pk)
    except CallbackTask.DoesNotExist as exc:
        raise Http404 from exc
    if not (has_permission(request.user.role, Perm.VIEW_EVALUATIONS) or task.assignee_id == request.user.pk):
        raise Http404
    return task


def _task_page(
    request, task: CallbackTask, *, outcome_form=None, reveal_form=None, revealed=None, status=200
):
    evaluation = task.evaluation
    words = SCALE_WORDS[intake_config().scale]
    initial = {"called_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "method": "phone"}
    return render(
        request,
        "supervision/task_detail.html",
        {
            "task": task,
            "evaluation": evaluation,
            "level_word": words[evaluation.level - 1],
            "masked": evaluator_masked(evaluation),
            "revealed": revealed,
            "outcome_form": outcome_form or OutcomeForm(initial=initial),
            "reveal_form": reveal_form or RevealForm(),
            "may_record": may_record(request.user.actor, task) and task.sample.is_open,
            "can_reveal": can_reveal(request.user),
        },
        status=status,
    )


@login_required
def task_view(request, pk: int):
    """One callback: the evaluation, the evaluator (masked unless revealed) and the outcome form."""
    task = _task_or_404(request, pk)
    if request.method != "POST":
        return _task_page(request, task)
    if not may_record(request.user.actor, task):
        raise PermissionDenied
    form = OutcomeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            task_record(
                actor=request.user.actor,
                task=task,
                called_at=data["called_at"],
                method=data["method"],
                reached=yes_no(data["reached"]),
                confirmed=yes_no(data["confirmed"]),
                freely_given=yes_no(data["freely_given"]),
                notes=data["notes"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Callback recorded."))
            return redirect("supervision-task", pk=task.pk)
    return _task_page(request, task, outcome_form=form, status=400)


@require_POST
@permission_required(Perm.REVEAL_IDENTITY)
def task_reveal(request, pk: int):
    """Show the evaluator's name, phone and ID once, for the call; the reveal is audited with its reason."""
    task = _task_or_404(request, pk)
    form = RevealForm(request.POST)
    revealed = None
    if form.is_valid():
        try:
            revealed = evaluator_identity_reveal(
                actor=request.user.actor,
                evaluation=task.evaluation,
                reason=form.cleaned_data["reason"],
                context=f"callback task {task.pk}",
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
    return no_store(
        _task_page(request, task, reveal_form=form, revealed=revealed, status=200 if revealed else 400)
    )
