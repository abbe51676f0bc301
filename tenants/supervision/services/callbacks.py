"""Writes on random-sample callbacks (回访): drawing a sample, assigning its tasks, recording outcomes.

The draw is reproducible: it orders the population by md5("<seed>:<evaluation id>") in the database and
takes the first N, and the seed is stored with the sample. An evaluation sits in at most one open sample
(a partial unique index enforces it; draws are serialised with an advisory lock).
"""

import math
import secrets
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.accounts.actors import Actor
from tenants.accounts.models import User
from tenants.accounts.roles import Perm, has_permission
from tenants.accounts.services import audit_record
from tenants.supervision.models import CallbackMethod, CallbackSample, CallbackTask, SampleMode
from tenants.supervision.selectors.callbacks import SampleCriteria, sample_draw_ids, sample_population
from tenants.supervision.services.common import require_permission

MAX_SAMPLE = 5000
MAX_SEED = 2**63 - 1


def _size(mode: str, amount: Decimal, population: int) -> int:
    if mode == SampleMode.COUNT:
        return min(int(amount), population)
    return min(math.ceil(population * amount / 100), population)


def _check_draw(*, name: str, period_start, period_end, mode: str, amount, seed) -> tuple[str, Decimal]:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name or len(name) > 200:
        errors["name"] = [_("Name the sample (1–200 characters).")]
    if not isinstance(period_start, date) or not isinstance(period_end, date) or period_end < period_start:
        errors["period_end"] = [_("The period ends on or after the day it starts.")]
    try:
        amount = Decimal(str(amount))
    except InvalidOperation:
        amount = Decimal(-1)
    if mode not in SampleMode.values:
        errors["mode"] = [_("Draw a percentage or a number.")]
    elif mode == SampleMode.PERCENT and not Decimal(0) < amount <= Decimal(100):
        errors["amount"] = [_("A percentage is more than 0 and at most 100.")]
    elif mode == SampleMode.COUNT and (amount != amount.to_integral_value() or not 1 <= amount <= MAX_SAMPLE):
        errors["amount"] = [_("Draw a whole number of 1–%(n)d evaluations.") % {"n": MAX_SAMPLE}]
    if seed is not None and (
        not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED
    ):
        errors["seed"] = [_("A seed is a whole number from 0 to 9223372036854775807.")]
    if errors:
        raise ValidationError(errors)
    return name, amount


@transaction.atomic
def sample_draw(
    *,
    actor: Actor,
    name: str,
    period_start: date,
    period_end: date,
    mode: str,
    amount,
    unit=None,
    item=None,
    contactable_only: bool = True,
    seed: int | None = None,
) -> CallbackSample:
    """Draw N% or N evaluations and create one callback task for each."""
    require_permission(actor, Perm.RUN_SUPERVISION)
    name, amount = _check_draw(
        name=name, period_start=period_start, period_end=period_end, mode=mode, amount=amount, seed=seed
    )
    seed = secrets.randbelow(2**53) if seed is None else seed
    with connection.cursor() as cursor:  # one draw at a time per tenant: "not in another open sample" holds
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"supervision.draw:{connection.schema_name}"]
        )
    criteria = SampleCriteria(
        period_start=period_start,
        period_end=period_end,
        unit=unit,
        item=item,
        contactable_only=contactable_only,
    )
    population = sample_population(criteria)
    population_size = population.count()
    size = _size(mode, amount, population_size)
    if size > MAX_SAMPLE:
        raise ValidationError(
            {
                "amount": [
                    _("That would draw %(size)d evaluations; draw at most %(n)d.")
                    % {"size": size, "n": MAX_SAMPLE}
                ]
            }
        )
    if size == 0:
        raise ValidationError({"amount": [_("No evaluation matches; widen the period or the filters.")]})
    ids = sample_draw_ids(population, seed=seed, size=size)
    sample = CallbackSample.objects.create(
        name=name,
        period_start=period_start,
        period_end=period_end,
        mode=mode,
        amount=amount,
        unit=unit,
        item=item,
        contactable_only=contactable_only,
        seed=seed,
        population=population_size,
        created_by=actor.label[:254],
    )
    CallbackTask.objects.bulk_create([CallbackTask(sample=sample, evaluation_id=pk) for pk in ids])
    audit_record(
        actor=actor,
        action="callback.sample_draw",
        target=sample,
        data={
            "seed": seed,
            "population": population_size,
            "drawn": len(ids),
            "mode": mode,
            "amount": str(amount),
        },
    )
    return sample


@transaction.atomic
def sample_close(*, actor: Actor, sample: CallbackSample) -> CallbackSample:
    """Close a sample: its evaluations may be drawn again by later samples; its records stay. The caller's
    instance is updated too."""
    require_permission(actor, Perm.RUN_SUPERVISION)
    locked = CallbackSample.objects.select_for_update().get(pk=sample.pk)
    if locked.is_open:
        locked.is_open, locked.closed_at = False, timezone.now()
        locked.save(update_fields=["is_open", "closed_at"])
        locked.tasks.update(sample_open=False)
        audit_record(actor=actor, action="callback.sample_close", target=locked)
    sample.is_open, sample.closed_at = locked.is_open, locked.closed_at
    return locked


def assignable_users():
    """People who may be given callback tasks: supervisors, officers and administrators."""
    return User.objects.filter(is_active=True, role__in=["supervisor", "officer", "tenant_admin"]).order_by(
        "email"
    )


@transaction.atomic
def tasks_assign(*, actor: Actor, sample: CallbackSample, task_ids: list[int], assignee: User | None) -> int:
    """Assign (or, with None, unassign) tasks of one sample; returns how many changed."""
    require_permission(actor, Perm.RUN_SUPERVISION)
    if assignee is not None and not assignable_users().filter(pk=assignee.pk).exists():
        raise ValidationError({"assignee": [_("Choose a supervisor, officer or administrator.")]})
    if not sample.is_open:
        raise ValidationError({"sample": [_("This sample is closed.")]})
    changed = CallbackTask.objects.filter(sample=sample, pk__in=task_ids, done=False).update(
        assignee=assignee
    )
    audit_record(
        actor=actor,
        action="callback.assign",
        target=sample,
        data={
            "tasks": sorted(task_ids)[:500],
            "assignee": assignee.email if assignee else None,
            "changed": changed,
        },
    )
    return changed


def may_record(actor: Actor, task: CallbackTask) -> bool:
    """A supervisor (RUN_SUPERVISION) or the person the task is assigned to."""
    return has_permission(actor.role, Perm.RUN_SUPERVISION) or (
        actor.kind == "user" and task.assignee_id is not None and task.assignee_id == actor.id
    )


@transaction.atomic
def task_record(
    *,
    actor: Actor,
    task: CallbackTask,
    called_at: datetime,
    method: str,
    reached: bool,
    confirmed: bool | None = None,
    freely_given: bool | None = None,
    notes: str = "",
) -> CallbackTask:
    """Record a callback's outcome. When the evaluator was reached, say whether they confirmed the rating and
    whether it was given freely (nobody may force or interfere, DOMAIN §8). The rating itself is never
    changed here: a finding goes to the supervisors, not into the evaluation."""
    task = CallbackTask.objects.select_for_update().select_related("sample").get(pk=task.pk)
    if not may_record(actor, task):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if not task.sample.is_open:
        errors["task"] = [_("This sample is closed.")]
    if method not in CallbackMethod.values:
        errors["method"] = [_("Choose phone, SMS or visit.")]
    if not isinstance(called_at, datetime):
        errors["called_at"] = [_("Give the date and time of the callback.")]
    elif called_at > timezone.now() + timedelta(minutes=5):
        errors["called_at"] = [_("The callback cannot be in the future.")]
    if reached and confirmed is None:
        errors["confirmed"] = [_("Say whether the evaluator confirmed the rating.")]
    if reached and freely_given is None:
        errors["freely_given"] = [_("Say whether the rating was given freely.")]
    if len(notes or "") > 2000:
        errors["notes"] = [_("Notes are at most 2,000 characters.")]
    if errors:
        raise ValidationError(errors)
    task.done = True
    task.called_at, task.method, task.reached = called_at, method, bool(reached)
    task.confirmed = confirmed if reached else None
    task.freely_given = freely_given if reached else None
    task.notes = (notes or "").strip()
    task.recorded_by, task.recorded_at = actor.label[:254], timezone.now()
    task.save()
    audit_record(
        actor=actor,
        action="callback.record",
        target=task,
        data={
            "sample": task.sample_id,
            "method": method,
            "reached": task.reached,
            "confirmed": task.confirmed,
            "freely_given": task.freely_given,
        },
    )
    return task
