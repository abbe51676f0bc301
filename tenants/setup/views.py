"""The first-run checklist, inviting staff, and the invitation link that sets a password (no sign-in needed)."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from tenants.accounts.models import User
from tenants.accounts.roles import MACHINE_ROLES, Perm, has_permission
from tenants.accounts.services import role_label, user_deactivate
from tenants.accounts.views import add_service_errors, permission_required
from tenants.evaluations.models import EvaluationPolicy
from tenants.privacy.masking import mask_email
from tenants.setup.forms import ScaleForm, StaffInviteForm
from tenants.setup.models import StepState
from tenants.setup.selectors import (
    STEP_KEYS,
    checklist,
    checklist_summary,
    invitation_check,
    invitation_open_for,
)
from tenants.setup.services import (
    InvitationError,
    invitation_accept,
    invitation_path,
    invitation_renew,
    invitation_usable_for,
    setup_scale_set,
    setup_step_mark,
    staff_invitation_withdraw,
    staff_invite,
    staff_reinvite,
)

SETUP_PERM = Perm.MANAGE_USERS  # the tenant's administrators
ACTIONS = {"done": StepState.DONE, "skip": StepState.SKIPPED, "resume": None}


def _link_for(request):
    return lambda token: request.build_absolute_uri(invitation_path(token))


@permission_required(SETUP_PERM)
def checklist_page(request):
    policy = EvaluationPolicy.objects.first()
    return render(
        request,
        "setup/checklist.html",
        {
            "steps": checklist(),
            "summary": checklist_summary(),
            "scale_form": ScaleForm(initial={"scale": policy.scale if policy else None}),
        },
    )


@require_POST
@permission_required(SETUP_PERM)
def step_mark(request, key: str, action: str):
    if key not in STEP_KEYS or action not in ACTIONS:
        raise Http404
    setup_step_mark(actor=request.user.actor, key=key, state=ACTIONS[action])
    return redirect(f"{request.build_absolute_uri('/setup/')}#step-{key}")


@require_POST
@permission_required(SETUP_PERM)
def scale_set(request):
    form = ScaleForm(request.POST)
    if form.is_valid():
        setup_scale_set(actor=request.user.actor, scale=form.cleaned_data["scale"])
        messages.success(request, _("The rating scale was saved."))
    else:
        messages.error(request, _("Choose one of the scales."))
    return redirect("/setup/#step-evaluation")


def _staff_rows() -> list[dict]:
    rows = []
    for user in User.objects.order_by("-is_active", "email")[:500]:
        invited = user.is_active and not user.has_usable_password()
        rows.append(
            {
                "user": user,
                "role": role_label(user.role),
                "invited": invited,
                "invitation": invitation_open_for(user) if invited else None,
            }
        )
    return rows


@permission_required(SETUP_PERM)
def staff_page(request):
    """Who has an account here; invite someone by e-mail (they set their own password)."""
    form = StaffInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, _token = staff_invite(
                actor=request.user.actor, link_for=_link_for(request), **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("An invitation was e-mailed to %(email)s.") % {"email": user.email})
            return redirect("setup-staff")
    return render(request, "setup/staff.html", {"form": form, "rows": _staff_rows()})


def _person_or_404(pk: int) -> User:
    """A person's account of this workspace (users live in the tenant's schema: another tenant's is not here)."""
    return get_object_or_404(User.objects.exclude(role__in=MACHINE_ROLES), pk=pk)


@require_POST
@permission_required(SETUP_PERM)
def staff_deactivate_view(request, pk: int):
    """Someone left: they can no longer sign in, and their staff seat is free."""
    user = _person_or_404(pk)
    try:
        user_deactivate(actor=request.user.actor, user=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("%(email)s was deactivated and can no longer sign in.") % {"email": user.email}
        )
    return redirect("setup-staff")


@require_POST
@permission_required(SETUP_PERM)
def staff_withdraw_view(request, pk: int):
    user = _person_or_404(pk)
    try:
        staff_invitation_withdraw(actor=request.user.actor, user=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The invitation of %(email)s was withdrawn.") % {"email": user.email})
    return redirect("setup-staff")


@require_POST
@permission_required(SETUP_PERM)
def staff_reinvite_view(request, pk: int):
    user = get_object_or_404(User, pk=pk)
    try:
        staff_reinvite(actor=request.user.actor, user=user, link_for=_link_for(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("A new invitation was e-mailed to %(email)s.") % {"email": user.email})
    return redirect("setup-staff")


def _invalid(request, state: str, token: str, *, renewed: bool = False):
    return render(
        request,
        "setup/invitation_invalid.html",
        {
            "state": state,
            "token": token,
            "can_renew": state in ("used", "expired", "revoked"),
            "renewed": renewed,
        },
        status=404 if state == "invalid" else 410,
    )


@never_cache
def invitation_page(request, token: str):
    """Set a password with a one-time link, then land signed in (the first administrator on the checklist)."""
    check = invitation_check(token)
    if check.state != "ok":
        return _invalid(request, check.state, token)
    invitee = check.invitation.user
    if not invitation_usable_for(invitee):
        return _invalid(request, "has_password", token)
    form = SetPasswordForm(invitee, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(token=token, password=form.cleaned_data["new_password1"])
        except InvitationError as exc:
            return _invalid(request, exc.code or "used", token)
        except ValidationError as exc:
            form.add_error("new_password2", exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Your password is set. Welcome!"))
            return redirect("setup" if has_permission(user.role, SETUP_PERM) else "home")
    return render(
        request,
        "setup/invitation.html",
        {"form": form, "invitee": invitee, "invitation": check.invitation, "role": role_label(invitee.role)},
    )


@require_POST
def invitation_renew_view(request, token: str):
    """A used or expired link asks for a new one, which goes to the invited address (never shown here)."""
    check = invitation_check(token)
    if check.state == "ok":
        return redirect("setup-invitation", token=token)
    if check.invitation is None:
        return _invalid(request, check.state, token)
    invitation_renew(invitation=check.invitation, link_for=_link_for(request))
    messages.success(
        request,
        _("If the address %(email)s can receive mail, a new link is on its way.")
        % {"email": mask_email(check.invitation.user.email)},
    )
    return _invalid(request, check.state, token, renewed=True)
