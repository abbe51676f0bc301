"""The case list and one case: its rating, deadlines, callbacks, ledger, history with the hash chain, and one
form per action its state and the signed-in role allow."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from tenants.accounts.models import User
from tenants.accounts.roles import ROLE_PERMISSIONS, Perm, has_permission
from tenants.accounts.views import add_service_errors, permission_required
from tenants.cases import forms as f
from tenants.cases.models import Case, CaseState, LedgerMilestone, OpinionSource, Verification
from tenants.cases.selectors import case_detail, cases_for
from tenants.cases.services import (
    MilestoneInput,
    TransitionError,
    case_assign,
    case_chain_verify,
    case_close,
    case_confirm_not_adopted,
    case_contact,
    case_identity_reveal,
    case_ledger_complete,
    case_milestone_done,
    case_reassign,
    case_record_opinion,
    case_reopen,
    case_resolve,
    case_spot_check,
    case_verify,
)
from tenants.cases.services.common import is_rated_staff, is_tenant_wide, membership_unit, rated_staff_id
from tenants.cases.services.feedback import case_feedback_deliver
from tenants.cases.services.root_cause import case_flag_guide_defect
from tenants.cases.views.common import (
    ACTION_PERMS,
    ESCALATION_LABELS,
    EVENT_LABELS,
    banner,
    banner_unit,
    case_or_404,
    case_row,
    end_of,
    may_act,
    may_flag_guide,
    may_reveal,
    no_store,
    start_of,
    state_labels,
    tag_labels,
)
from tenants.evaluations.models import SCALE_WORDS
from tenants.evaluations.selectors import intake_config
from tenants.organisation.models import Unit, UnitKind

PAGE_SIZE = 50
UNIT_CHOICES = 300  # units offered in the code picker (a datalist; any code can be typed)


def unit_choices(actor) -> list[Unit]:
    """Units for the code picker: the actor's branch (or the whole tree), windows left out, tree order."""
    units = Unit.objects.exclude(kind=UnitKind.WINDOW).filter(active=True)
    if not is_tenant_wide(actor):
        own = membership_unit(actor)
        units = units.filter(path__startswith=own.path) if own is not None else units.none()
    return list(units.order_by("path", "code")[:UNIT_CHOICES])


# --- the list ----------------------------------------------------------------------------------------------
@permission_required(Perm.VIEW_CASES)
def case_list(request):
    """Cases within the signed-in person's reach, filtered, newest first, with the closed-loop rates."""
    actor, now = request.user.actor, timezone.now()
    form = f.CaseFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    cases = cases_for(
        actor=actor,
        state=data.get("state") or None,
        unit=data.get("unit_code"),
        overdue=f.yes_no(data.get("overdue", "")),
        realname=f.yes_no(data.get("realname", "")),
        assignee_id=request.user.pk if data.get("mine") else None,
        now=now,
    )
    start, end = data.get("start"), data.get("end")
    if start:
        cases = cases.filter(opened_at__gte=start_of(start))
    if end:
        cases = cases.filter(opened_at__lte=end_of(end))
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    labels = tag_labels()
    query = request.GET.copy()
    query.pop("page", None)
    shown, unit = banner_unit(actor, data.get("unit_code"))
    return render(
        request,
        "cases/case_list.html",
        {
            "form": form,
            "page": page,
            "rows": [case_row(c, labels, now) for c in page.object_list],
            "query": query.urlencode(),
            "rates": banner(start=start, end=end, unit=unit) if shown else None,
            "banner_unit": unit,
            "start": start,
            "end": end,
            "units": unit_choices(actor),
            "unplaced": not shown,
            "can_supervise": has_permission(request.user.role, Perm.SUPERVISE_CASES),
        },
        status=200 if form.is_bound is False or form.is_valid() else 400,
    )


# --- one case ----------------------------------------------------------------------------------------------
HANDLER_ROLES = [role for role, perms in ROLE_PERMISSIONS.items() if Perm.HANDLE_CASES in perms]


def officers_for(case: Case):
    """Active accounts that handle cases, placed in the case's unit or a unit above it; not the rated staff
    member (case_assign refuses them)."""
    ancestors = [int(p) for p in case.unit.path.strip("/").split("/") if p]
    officers = User.objects.filter(is_active=True, role__in=HANDLER_ROLES, membership__unit_id__in=ancestors)
    staff_id = rated_staff_id(case)
    if staff_id is not None:
        officers = officers.exclude(membership__staff_id=staff_id)
    return officers.order_by("email")


def _form(action: str, case: Case, user, data=None):
    """The unbound (data None) or bound form of an action on this case."""
    if action == "assign":
        return f.AssignForm(
            data,
            officers=officers_for(case),
            self_allowed=has_permission(user.role, Perm.HANDLE_CASES) and not is_rated_staff(user.pk, case),
            prefix="assign",
        )
    if action == "resolve":
        return f.ResolveForm(data, verification=case.verification, prefix="resolve")
    form_class = {
        "reassign": f.ReassignForm,
        "contact": f.ContactForm,
        "verify": f.VerifyForm,
        "milestone": f.MilestoneDoneForm,
        "complete-ledger": f.LedgerCompleteForm,
        "confirm-not-adopted": f.ConfirmForm,
        "feedback": f.FeedbackForm,
        "opinion": f.OpinionForm,
        "close": f.CloseForm,
        "reopen": f.ReopenForm,
        "spot-check": f.SpotCheckForm,
        "guide-defect": f.GuideDefectForm,
        "reveal": f.RevealForm,
    }[action]
    return form_class(data, prefix=action)


def _perform(request, action: str, case: Case, form) -> str:
    """Call the action's service; returns the success message."""
    actor, data = request.user.actor, form.cleaned_data
    if action == "assign":
        case_assign(actor=actor, case=case, assignee=data["assignee"], note=data["note"])
        return _("The case is assigned.")
    if action == "reassign":
        case_reassign(actor=actor, case=case, unit=data["unit_code"], note=data["note"])
        return _("The case was moved to %(unit)s.") % {"unit": data["unit_code"]}
    if action == "contact":
        reached = f.yes_no(data["reached"])
        case_contact(
            actor=actor,
            case=case,
            at=data["at"],
            method=data["method"],
            reached=reached,
            summary=data["summary"],
        )
        return _("The callback is recorded.")
    if action == "verify":
        case_verify(actor=actor, case=case, verification=data["verification"], note=data["note"])
        return _("The verification is recorded.")
    if action == "resolve":
        steps = [MilestoneInput(title=title, due=due) for title, due in form.steps()]
        case_resolve(
            actor=actor,
            case=case,
            outcome=data["outcome"],
            note=data["note"],
            deadline=data["deadline"],
            milestones=steps,
        )
        return _("The outcome is recorded.")
    if action == "milestone":
        milestone = LedgerMilestone.objects.filter(pk=data["milestone"], case=case).first()
        if milestone is None:
            raise ValidationError({"milestone": [_("This step belongs to another case.")]})
        case_milestone_done(actor=actor, case=case, milestone=milestone, note=data["note"])
        return _("The step is done.")
    if action == "complete-ledger":
        case_ledger_complete(actor=actor, case=case, note=data["note"])
        return _("The ledger rectification is complete.")
    if action == "confirm-not-adopted":
        confirm = f.yes_no(data["confirm"])
        case_confirm_not_adopted(actor=actor, case=case, confirm=confirm, note=data["note"])
        return (
            _("Not adopted: confirmed.")
            if confirm
            else _("Not adopted: refused; the case is verified again.")
        )
    if action == "feedback":
        # recorded, and sent to a real-name evaluator (SMS/e-mail with the signed status link) after commit
        delivery = case_feedback_deliver(
            actor=actor, case=case, text=data["text"], base_url=request.build_absolute_uri("/")
        )
        if delivery.notifications:
            return _("The feedback is recorded and sent to the evaluator (%(channels)s).") % {
                "channels": ", ".join(delivery.channels)
            }
        return _(
            "The feedback is recorded. Nothing could be sent (no contact): give the evaluator this status "
            "link: %(link)s"
        ) % {"link": delivery.status_link}
    if action == "guide-defect":
        tasks = case_flag_guide_defect(actor=actor, case=case, note=data["note"])
        return _("%(n)d guide correction(s) opened for the item's responsible unit.") % {"n": len(tasks)}
    if action == "opinion":
        case_record_opinion(
            actor=actor, case=case, opinion=data["opinion"], source=OpinionSource.PHONE, note=data["note"]
        )
        return _("The evaluator's opinion is recorded.")
    if action == "close":
        case_close(actor=actor, case=case, note=data["note"])
        return _("The case is closed.")
    if action == "reopen":
        case_reopen(actor=actor, case=case, note=data["note"])
        return _("The case is reopened.")
    if action == "spot-check":
        case_spot_check(actor=actor, case=case, result=data["result"], note=data["note"])
        return _("The spot check is recorded.")
    raise Http404


@dataclass
class ActionForm:
    action: str
    form: object
    title: str
    button: str


ACTION_TEXT = {
    "assign": (pgettext_lazy("cases", "Assign"), pgettext_lazy("cases", "Assign")),
    "reassign": (gettext_lazy("Move to another unit"), gettext_lazy("Move the case")),
    "contact": (gettext_lazy("Record a callback (回访)"), gettext_lazy("Record the callback")),
    "verify": (gettext_lazy("Verify (核实)"), gettext_lazy("Record the verification")),
    "resolve": (gettext_lazy("Resolve"), gettext_lazy("Record the outcome")),
    "milestone": (gettext_lazy("Ledger steps"), gettext_lazy("Mark done")),
    "complete-ledger": (gettext_lazy("Complete the ledger"), gettext_lazy("Complete the rectification")),
    "confirm-not-adopted": (
        gettext_lazy("Confirm or refuse “not adopted”"),
        pgettext_lazy("cases", "Record the decision"),
    ),
    "feedback": (gettext_lazy("Feed back to the evaluator"), gettext_lazy("Send the feedback")),
    "opinion": (gettext_lazy("The evaluator's opinion (by phone)"), gettext_lazy("Record the opinion")),
    "close": (pgettext_lazy("cases", "Close"), gettext_lazy("Close the case")),
    "reopen": (gettext_lazy("Reopen"), gettext_lazy("Reopen the case")),
    "spot-check": (gettext_lazy("Spot check (抽查)"), gettext_lazy("Record the spot check")),
    "guide-defect": (gettext_lazy("The item's guide is wrong"), gettext_lazy("Open a guide correction")),
}


def _page(request, case: Case, *, failed=None, revealed=None, reveal_form=None, status=200):
    """The case page. `failed`: (action, bound form with errors) of a refused post."""
    actor, user = request.user.actor, request.user
    detail = case_detail(actor=actor, case_id=case.pk)
    case = detail.case
    forms = []
    # the step the case is at first; another callback attempt, a move or a reassignment after it
    secondary = {"reassign"} | ({"contact", "assign"} if case.state != CaseState.NEW else set())
    if case.state == CaseState.ASSIGNED:
        secondary -= {"contact"}
    for action in sorted(detail.allowed, key=lambda a: a in secondary):
        if action == "milestone" or not may_act(user, case, action):
            continue
        form = failed[1] if failed and failed[0] == action else _form(action, case, user)
        title, button = ACTION_TEXT[action]
        forms.append(ActionForm(action, form, title, button))
    if may_flag_guide(user, case, detail.events):
        form = failed[1] if failed and failed[0] == "guide-defect" else _form("guide-defect", case, user)
        forms.append(ActionForm("guide-defect", form, *ACTION_TEXT["guide-defect"]))
    may_tick = "milestone" in detail.allowed and may_act(user, case, "milestone")
    evaluation = detail.evaluation
    level_word = SCALE_WORDS[intake_config().scale][evaluation.level - 1] if evaluation else ""
    labels = tag_labels()
    now = timezone.now()
    row = case_row(case, labels, now)
    chain = case_chain_verify(case=case)
    states = state_labels()
    events = [
        {
            "event": e,
            "label": EVENT_LABELS.get(e.kind, e.kind),
            "short": e.hash[:12],
            "from": states.get(e.from_state, e.from_state),
            "to": states.get(e.to_state, e.to_state),
        }
        for e in detail.events
    ]
    if reveal_form is None and may_reveal(user, case):
        reveal_form = f.RevealForm(prefix="reveal")
    response = render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "detail": detail,
            "row": row,
            "evaluation": evaluation,
            "level_word": level_word,
            "masked": detail.evaluator_masked,
            "revealed": revealed,
            "reveal_form": reveal_form if may_reveal(user, case) else None,
            "forms": forms,
            "may_tick": may_tick,
            "milestone_form": f.MilestoneDoneForm(prefix="milestone"),
            "failed": failed,
            "chain": chain,
            "events": events,
            "escalation": ESCALATION_LABELS.get(case.escalation_level, case.escalation_level),
            "units": unit_choices(actor) if any(a.action == "reassign" for a in forms) else [],
            "verification_choices": dict(Verification.choices),
            "open": case.state != CaseState.CLOSED,
            "can_supervise": has_permission(user.role, Perm.SUPERVISE_CASES),
        },
        status=status,
    )
    return no_store(response)


@permission_required(Perm.VIEW_CASES)
def case_view(request, pk: int):
    return _page(request, case_or_404(request, pk))


@require_POST
@permission_required(Perm.VIEW_CASES)
def case_act(request, pk: int, action: str):
    """One action on the case (POST). A role the action is not for gets 403; a refused transition shows the
    service's message on the page, changing nothing."""
    case = case_or_404(request, pk)
    if action not in ACTION_PERMS:
        raise Http404
    if not may_act(request.user, case, action):
        raise PermissionDenied
    form = _form(action, case, request.user, request.POST)
    status = 400
    if form.is_valid():
        try:
            message = _perform(request, action, case, form)
        except TransitionError as exc:
            add_service_errors(form, exc)
            status = 409
        except ValidationError as exc:
            mapping = form.service_field_map() if hasattr(form, "service_field_map") else None
            add_service_errors(form, exc, mapping)
        else:
            messages.success(request, message)
            return redirect(reverse("cases-detail", args=[case.pk]))
    return _page(request, case, failed=(action, form), status=status)


@require_POST
@permission_required(Perm.VIEW_CASES)
def case_reveal(request, pk: int):
    """Show the evaluator's name, phone and ID once, for the callback; audited with its reason."""
    case = case_or_404(request, pk)
    if not may_reveal(request.user, case):
        raise PermissionDenied
    form = f.RevealForm(request.POST, prefix="reveal")
    revealed = None
    if form.is_valid():
        try:
            revealed = case_identity_reveal(
                actor=request.user.actor, case=case, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
    return _page(request, case, revealed=revealed, reveal_form=form, status=200 if revealed else 400)
