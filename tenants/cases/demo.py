"""Demo closed loop for a demo tenant: officers placed in the units that hold bad-review cases and a case
supervisor, then a share of the open cases walked through realistic states by the same services the pages
use: closed as fixed or explained (some spot-checked), in the ledger with one step done, a not-adopted
proposal awaiting the management body, feedback awaiting the evaluator, one reopened after an unsatisfied
answer, and overdue ones (their deadlines set in the past, escalated) so the overdue board has content.

Runs in the current schema. Idempotent: a tenant that already has the demo case supervisor is left alone.
Not wired into tenants/demo_data.py here (the demo's owner does that).
"""

import random
from collections import Counter
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from tenants.accounts.actors import Actor
from tenants.accounts.models import User
from tenants.accounts.roles import Role
from tenants.accounts.services import user_create
from tenants.cases.models import Case, CaseSource, CaseState
from tenants.cases.services import (
    MilestoneInput,
    case_assign,
    case_close,
    case_contact,
    case_feedback_send,
    case_milestone_done,
    case_record_opinion,
    case_reopen,
    case_resolve,
    case_spot_check,
    case_verify,
)
from tenants.organisation.models import Unit
from tenants.organisation.services import membership_set

SHARE = 0.4  # of the open bad-review cases
MOST = 80
MOST_UNITS = 3  # officers are placed in the units holding the most cases
OFFICER_NAMES = ["陈晓梅", "刘建国", "张丽华"]

# Every plan appears once before any repeats (in this order), then a weighted draw.
PLANS = [
    "closed_fixed",
    "ledger",
    "not_adopted",
    "overdue_contact",
    "closed_explained",
    "feedback_sent",
    "overdue_feedback",
    "reopened",
    "verified",
    "overdue_ledger",
]
WEIGHTS = {
    "closed_fixed": 30,
    "closed_explained": 12,
    "ledger": 10,
    "feedback_sent": 8,
    "verified": 6,
    "overdue_contact": 10,
    "overdue_feedback": 6,
    "overdue_ledger": 3,
    "not_adopted": 3,
    "reopened": 2,
}
CALLBACK_NOTES = [
    "已电话联系评价人，了解到当天等候时间较长，窗口人员解释不耐心。",
    "评价人反映材料被要求反复补充，已当面致歉并说明情况。",
    "联系评价人核实，评价人确认差评原因属实。",
]
FIX_NOTES = [
    "当场为群众补办业务，对窗口人员进行批评教育，纳入月度考核。",
    "高峰时段增开两个综合窗口，并安排引导员分流。",
    "已一次性告知所需材料清单，并更新窗口告知单。",
]
EXPLAIN_NOTES = [
    "该事项依法需现场核验原件，已向评价人解释法律依据，评价人表示理解。",
    "系统升级导致短时无法办理，已说明原因并告知可网上办理的渠道。",
]
FEEDBACK = "您好，您对政务服务的评价已收到。经核实，您反映的问题已整改：{note} 感谢您的监督。"


def _email(local: str) -> str:
    return f"{local}@{connection.schema_name}.demo.haochaping.cn"


def _password(password: str | None) -> str:
    if password is not None:
        return password
    from tenants.demo import DEMO_PASSWORD  # late: tenants.demo imports the demo content seed

    return DEMO_PASSWORD


def _officers(actor: Actor, cases: list[Case], password: str) -> dict[int, User]:
    """{unit id: officer placed in that unit} for the units holding the most of `cases`."""
    counts = Counter(c.unit_id for c in cases)
    placed = {}
    for n, (unit_id, _count) in enumerate(counts.most_common(MOST_UNITS)):
        user = user_create(
            actor=actor,
            email=_email(f"cases-officer{n + 1}"),
            role=Role.OFFICER,
            password=password,
            display_name=OFFICER_NAMES[n % len(OFFICER_NAMES)],
        )
        membership_set(actor=actor, user=user, unit=Unit.objects.get(pk=unit_id))
        placed[unit_id] = user
    return placed


def _call(case: Case, officer: User, rng: random.Random, now: datetime, *, reached: bool = True) -> Case:
    at = max(now - timedelta(minutes=rng.randint(1, 30)), case.opened_at)
    return case_contact(
        actor=officer.actor,
        case=case,
        at=min(at, timezone.now()),
        method="phone",
        reached=reached,
        summary=rng.choice(CALLBACK_NOTES) if reached else "无人接听，稍后再联系。",
    )


def _verify(case: Case, officer: User, rng: random.Random, now: datetime, verification: str) -> Case:
    case = case_assign(actor=officer.actor, case=case)
    if case.realname:
        if rng.random() < 0.3:
            case = _call(case, officer, rng, now, reached=False)
        case = _call(case, officer, rng, now)
        return case_verify(actor=officer.actor, case=case, verification=verification, note="核实属实")
    return case_verify(
        actor=officer.actor, case=case, verification=verification, note="匿名评价，调取叫号记录和现场录像核实"
    )


def _resolved(case: Case, officer: User, rng: random.Random, now: datetime, outcome: str) -> Case:
    verification = "reasonable" if outcome == "fixed" else "needs_explanation"
    case = _verify(case, officer, rng, now, verification)
    note = rng.choice(FIX_NOTES if outcome == "fixed" else EXPLAIN_NOTES)
    case = case_resolve(actor=officer.actor, case=case, outcome=outcome, note=note)
    return case_feedback_send(actor=officer.actor, case=case, text=FEEDBACK.format(note=note))


def _ledger(case: Case, officer: User, rng: random.Random, now: datetime) -> Case:
    case = _verify(case, officer, rng, now, "reasonable")
    today = timezone.localdate()
    limit = timezone.localtime(case.rectify_due).date()
    deadline = min(limit, today + timedelta(days=10))
    case = case_resolve(
        actor=officer.actor,
        case=case,
        outcome="ledger",
        note="涉及办事指南修订和系统改造，列入整改台账限期整改。",
        deadline=deadline,
        milestones=[
            MilestoneInput(title="修订办事指南并报审", due=today),
            MilestoneInput(title="窗口人员专项培训", due=deadline),
        ],
    )
    case_milestone_done(
        actor=officer.actor, case=case, milestone=case.milestones.order_by("due", "id")[0], note="已报审"
    )
    return Case.objects.get(pk=case.pk)


def _walk(plan: str, case: Case, officer: User, supervisor: User, rng: random.Random, now: datetime) -> Case:
    if plan in ("closed_fixed", "closed_explained"):
        case = _resolved(case, officer, rng, now, "fixed" if plan == "closed_fixed" else "explained")
        case = case_record_opinion(
            actor=Actor.system("status page"), case=case, opinion="satisfied", source="status_page"
        )
        return case_close(actor=officer.actor, case=case, note="评价人满意，办结。")
    if plan == "feedback_sent":
        return _resolved(case, officer, rng, now, "fixed")
    if plan == "reopened":
        case = _resolved(case, officer, rng, now, "explained")
        case = case_record_opinion(
            actor=officer.actor, case=case, opinion="unsatisfied", source="phone", note="评价人对解释不满意"
        )
        return case_reopen(actor=supervisor.actor, case=case, note="评价人不满意，重新核实整改。")
    if plan == "ledger":
        return _ledger(case, officer, rng, now)
    if plan == "overdue_ledger":
        case = _ledger(case, officer, rng, now)
        Case.objects.filter(pk=case.pk).update(
            rectify_due=now - timedelta(days=2), escalation_level=2, escalated_step="rectify"
        )
        return case
    if plan == "not_adopted":
        case = _verify(case, officer, rng, now, "malicious")
        return case_resolve(
            actor=officer.actor,
            case=case,
            outcome="not_adopted",
            note="同一号码当日对多个窗口连续差评，经核实与办理情况不符，提请认定为恶意差评。",
        )
    if plan == "verified":
        return _verify(case, officer, rng, now, "reasonable")
    if plan == "overdue_contact":
        if rng.random() < 0.5:
            case = case_assign(actor=officer.actor, case=case)
        late = timedelta(hours=rng.randint(2, 72))
        Case.objects.filter(pk=case.pk).update(
            contact_due=now - late, escalation_level=1 if late.days < 2 else 2, escalated_step="contact"
        )
        return case
    if plan == "overdue_feedback":
        case = _verify(case, officer, rng, now, "reasonable")
        Case.objects.filter(pk=case.pk).update(
            feedback_due=now - timedelta(days=rng.randint(1, 4)),
            escalation_level=1,
            escalated_step="feedback",
        )
        return case
    raise ValueError(plan)


@transaction.atomic
def cases_demo_seed(
    *, actor: Actor, rng: random.Random, now: datetime | None = None, password: str | None = None
) -> dict[str, int]:
    """Walk a share of the open bad-review cases through the loop; returns {plan: cases} ({} when the tenant
    already has the demo case supervisor, or has no open bad-review case). Accounts: cases-supervisor@… and
    cases-officer1…3@<schema>.demo.haochaping.cn with the demo password."""
    now = now or timezone.now()
    if User.objects.filter(email=_email("cases-supervisor")).exists():
        return {}
    open_cases = list(
        Case.objects.filter(source=CaseSource.RATING, state=CaseState.NEW)
        .select_related("unit")
        .order_by("id")
    )
    if not open_cases:
        return {}
    password = _password(password)
    supervisor = user_create(
        actor=actor,
        email=_email("cases-supervisor"),
        role=Role.SUPERVISOR,
        password=password,
        display_name="整改督办员",
    )
    officers = _officers(actor, open_cases, password)
    reachable = [c for c in open_cases if c.unit_id in officers]
    take = min(len(reachable), MOST, max(len(PLANS), round(len(reachable) * SHARE)))
    chosen = rng.sample(reachable, take)
    plans = PLANS[:take] + rng.choices(
        list(WEIGHTS), weights=list(WEIGHTS.values()), k=max(0, take - len(PLANS))
    )
    done: Counter = Counter()
    closed = []
    for plan, case in zip(plans, chosen, strict=True):
        case = _walk(plan, case, officers[case.unit_id], supervisor, rng, now)
        done[plan] += 1
        if case.state == CaseState.CLOSED:
            closed.append(case)
    for case in closed[:2]:
        case_spot_check(
            actor=supervisor.actor, case=case, result="confirmed", note="回访记录和整改材料齐全。"
        )
    if len(closed) > 2:
        case_spot_check(
            actor=supervisor.actor,
            case=closed[2],
            result="problem",
            note="整改说明过于简单，要求补充佐证材料。",
        )
    return dict(done)
