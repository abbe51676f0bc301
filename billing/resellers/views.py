"""The reseller console (`/reseller/` on the control-plane host) and national staff's reseller management
(`/reseller/manage/`). Thin: services write, selectors read.

Every console view gets the reseller from the signed-in person's membership (`reseller_of`), never from the
address: another reseller's tenant or application is simply not found (404)."""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

from control_plane.onboarding import review
from control_plane.onboarding.models import SignupRequest, SignupStatus
from control_plane.onboarding.selectors import reviewable_requests, signup_progress
from control_plane.onboarding.services import tenant_link
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.models import Plan, Reseller, ResellerMembership
from billing.resellers import selectors, services, statements
from billing.resellers.forms import (
    MonthForm,
    PlanChoiceForm,
    PricesForm,
    ResellerForm,
    StaffForm,
    TenantForm,
)
from tenants.accounts.roles import Perm
from tenants.accounts.views import add_service_errors, permission_required


def reseller_required(view):
    """Signed in (else the sign-in page), a reseller's staff with a membership (else 403); the view receives
    the reseller."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        reseller = selectors.reseller_of(request.user)
        if reseller is None:
            raise PermissionDenied
        return view(request, reseller, *args, **kwargs)

    return wrapped


def _port(request) -> str:
    return request.get_host().partition(":")[2]


def _tenant_or_404(reseller: Reseller, pk: int):
    tenant = selectors.reseller_tenant(reseller, pk)
    if tenant is None:
        raise Http404
    return tenant


def _signup_or_404(request, reseller: Reseller, pk: int) -> SignupRequest:
    signup = reviewable_requests(request.user).filter(reseller=reseller, pk=pk).first()
    if signup is None:
        raise Http404
    return signup


# --- the console ---------------------------------------------------------------------------------------------
@reseller_required
def dashboard(request, reseller: Reseller):
    """The reseller's tenants: status, plan, ratings this and last month, and totals."""
    return render(
        request,
        "resellers/dashboard.html",
        {
            "reseller": reseller,
            "board": selectors.dashboard(reseller, scheme=request.scheme, port=_port(request)),
            "pending": selectors.signups_waiting(reseller),
            "nav": "dashboard",
        },
    )


@reseller_required
def tenant_new(request, reseller: Reseller):
    """Set up a tenant for a customer: the onboarding application, approved at once."""
    form = TenantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            signup = services.reseller_tenant_request(
                actor=request.user.actor,
                reseller=reseller,
                data=form.cleaned_data,
                site_url=request.build_absolute_uri("/"),
                language=get_language() or "",
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s is being set up; its first administrator will be invited by e-mail.")
                % {"name": signup.organisation_name},
            )
            return redirect("reseller-signup", pk=signup.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "resellers/tenant_new.html",
        {"reseller": reseller, "form": form, "nav": "new"},
        status=status,
    )


@reseller_required
def tenant_detail(request, reseller: Reseller, pk: int):
    tenant = _tenant_or_404(reseller, pk)
    return _tenant_page(request, reseller, tenant)


def _tenant_page(request, reseller: Reseller, tenant, form: PlanChoiceForm | None = None, status: int = 200):
    from billing.selectors import entitlement_usage

    plans = selectors.wholesale_plans(reseller)
    subscription = selectors.subscription_of(tenant)
    reseller_pays = services.reseller_pays_for(tenant)  # a tenant paying itself changes its own plan
    form = form or PlanChoiceForm(
        plans=plans, initial={"plan": subscription.plan_id if subscription is not None else None}
    )
    return render(
        request,
        "resellers/tenant_detail.html",
        {
            "reseller": reseller,
            "tenant": tenant,
            "url": selectors.tenant_url(tenant, scheme=request.scheme, port=_port(request)),
            "subscription": subscription,
            "usage": entitlement_usage(tenant),
            "plans": plans,
            "form": form,
            "reseller_pays": reseller_pays,
            "nav": "dashboard",
        },
        status=status,
    )


@require_POST
@reseller_required
def tenant_plan(request, reseller: Reseller, pk: int):
    """Move the tenant to another plan the reseller sells."""
    tenant = _tenant_or_404(reseller, pk)
    plans = selectors.wholesale_plans(reseller)
    form = PlanChoiceForm(request.POST, plans=plans)
    if form.is_valid():
        try:
            services.reseller_tenant_plan_change(
                actor=request.user.actor, reseller=reseller, tenant=tenant, plan=form.cleaned_data["plan"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s is now on %(plan)s.")
                % {"name": tenant.name, "plan": form.cleaned_data["plan"].name},
            )
            return redirect("reseller-tenant", pk=tenant.pk)
    return _tenant_page(request, reseller, tenant, form, status=400)


@reseller_required
def plans(request, reseller: Reseller):
    return render(
        request,
        "resellers/plans.html",
        {"reseller": reseller, "plans": selectors.wholesale_plans(reseller), "nav": "plans"},
    )


@reseller_required
def signups(request, reseller: Reseller):
    """Applications that chose this reseller (and those its staff made), the undecided first."""
    requests = reviewable_requests(request.user).filter(reseller=reseller)
    return render(
        request,
        "resellers/signups.html",
        {
            "reseller": reseller,
            "submitted": list(requests.filter(status=SignupStatus.SUBMITTED)[:500]),
            "others": list(requests.exclude(status=SignupStatus.SUBMITTED)[:500]),
            "nav": "signups",
        },
    )


def _signup_page(request, reseller: Reseller, signup: SignupRequest, reject_form=None, status: int = 200):
    status_url = reverse("reseller-signup-status", args=[signup.pk])
    return render(
        request,
        "resellers/signup_detail.html",
        {
            **review.review_context(signup, status_url=status_url, reject_form=reject_form),
            "reseller": reseller,
            "nav": "signups",
        },
        status=status,
    )


@reseller_required
def signup_detail(request, reseller: Reseller, pk: int):
    return _signup_page(request, reseller, _signup_or_404(request, reseller, pk))


@reseller_required
def signup_status(request, reseller: Reseller, pk: int):
    """What the progress bar polls (onboarding's progress.js)."""
    signup = _signup_or_404(request, reseller, pk)
    return JsonResponse(signup_progress(signup, tenant_url=tenant_link(signup)))


@require_POST
@reseller_required
def signup_approve(request, reseller: Reseller, pk: int):
    signup = _signup_or_404(request, reseller, pk)
    review.review_approve(request, signup)
    return redirect("reseller-signup", pk=signup.pk)


@require_POST
@reseller_required
def signup_reject(request, reseller: Reseller, pk: int):
    signup = _signup_or_404(request, reseller, pk)
    form = review.review_reject(request, signup)
    if form is None:
        return redirect("reseller-signup", pk=signup.pk)
    return _signup_page(request, reseller, signup, form, status=400)


def _statement(reseller: Reseller, month: str, form: MonthForm | None = None):
    """The month's statement, or None (the reason goes on the form when there is one)."""
    try:
        return statements.statement_for(reseller, statements.parse_month(month))
    except ValidationError as exc:
        if form is not None:
            form.add_error("month", exc.messages)
        return None


@reseller_required
def statement(request, reseller: Reseller):
    """The statement of a chosen month (last month by default) and its downloads."""
    default = (timezone.localdate().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    form = MonthForm(request.GET or {"month": default})
    result = _statement(reseller, form.data.get("month", ""), form) if form.is_valid() else None
    return render(
        request,
        "resellers/statement.html",
        {"reseller": reseller, "form": form, "statement": result, "nav": "statements"},
        status=200 if result is not None else 400,
    )


DOWNLOADS = {
    "csv": (statements.statement_csv, "text/csv; charset=utf-8"),
    "xlsx": (
        statements.statement_xlsx,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "pdf": (statements.statement_pdf, "application/pdf"),
}


@reseller_required
def statement_download(request, reseller: Reseller, month: str, fmt: str):
    result = _statement(reseller, month)
    if result is None:
        raise Http404
    render_file, content_type = DOWNLOADS[fmt]
    response = HttpResponse(render_file(result), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{statements.file_name(result, fmt)}"'
    return response


# --- national staff: resellers ---------------------------------------------------------------------------------
def _reseller(pk: int) -> Reseller:
    return get_object_or_404(Reseller, pk=pk)


@permission_required(Perm.MANAGE_TENANTS)
def manage_list(request):
    return render(request, "resellers/manage_list.html", {"resellers": selectors.resellers_all()})


def _reseller_values(form: ResellerForm) -> dict:
    data = form.cleaned_data
    return {
        "name": data["name"],
        "slug": data["slug"],
        "contact_email": data.get("contact_email") or "",
        "billing_model": data["billing_model"],
        "commission_percent": data["commission_percent"],
    }


@permission_required(Perm.MANAGE_TENANTS)
def manage_new(request):
    form = ResellerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reseller = services.reseller_create(actor=request.user.actor, **_reseller_values(form))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Reseller %(name)s was created.") % {"name": reseller.name})
            return redirect("reseller-manage-detail", pk=reseller.pk)
    return render(
        request,
        "resellers/manage_form.html",
        {"form": form, "reseller": None},
        status=400 if request.method == "POST" else 200,
    )


@permission_required(Perm.MANAGE_TENANTS)
def manage_edit(request, pk: int):
    reseller = _reseller(pk)
    initial = {
        "name": reseller.name,
        "slug": reseller.slug,
        "contact_email": reseller.contact_email,
        "billing_model": reseller.billing_model,
        "commission_percent": reseller.commission_percent,
        "is_active": reseller.is_active,
    }
    form = ResellerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.reseller_update(
                actor=request.user.actor,
                reseller=reseller,
                is_active=form.cleaned_data["is_active"],
                **_reseller_values(form),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The reseller was saved."))
            return redirect("reseller-manage-detail", pk=reseller.pk)
    return render(
        request,
        "resellers/manage_form.html",
        {"form": form, "reseller": reseller},
        status=400 if request.method == "POST" else 200,
    )


def _manage_page(request, reseller: Reseller, *, staff_form=None, prices_form=None, status: int = 200):
    all_plans = list(Plan.objects.order_by("sort_order", "code"))
    return render(
        request,
        "resellers/manage_detail.html",
        {
            "reseller": reseller,
            "staff": selectors.reseller_staff(reseller),
            "tenant_count": reseller.tenants.count(),
            "staff_form": staff_form or StaffForm(),
            "prices_form": prices_form
            or PricesForm(plans=all_plans, current=selectors.wholesale_price_map(reseller)),
        },
        status=status,
    )


@permission_required(Perm.MANAGE_TENANTS)
def manage_detail(request, pk: int):
    return _manage_page(request, _reseller(pk))


@require_POST
@permission_required(Perm.MANAGE_TENANTS)
def manage_staff_add(request, pk: int):
    reseller = _reseller(pk)
    form = StaffForm(request.POST)
    if form.is_valid():
        try:
            membership = services.reseller_staff_add(
                actor=request.user.actor,
                reseller=reseller,
                email=form.cleaned_data["email"],
                display_name=form.cleaned_data["display_name"],
                password=form.cleaned_data["password"],
                site_url=request.build_absolute_uri("/"),
                language=get_language() or "",
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if form.cleaned_data["password"]:
                note = _("%(email)s can sign in with the password you set.")
            else:
                note = _("%(email)s was invited by e-mail to set a password.")
            messages.success(request, note % {"email": membership.user.email})
            return redirect("reseller-manage-detail", pk=reseller.pk)
    return _manage_page(request, reseller, staff_form=form, status=400)


@require_POST
@permission_required(Perm.MANAGE_TENANTS)
def manage_staff_invite(request, pk: int, membership_pk: int):
    reseller = _reseller(pk)
    membership = get_object_or_404(
        ResellerMembership.objects.select_related("user", "reseller"), pk=membership_pk, reseller=reseller
    )
    try:
        services.reseller_staff_invite(
            actor=request.user.actor,
            membership=membership,
            site_url=request.build_absolute_uri("/"),
            language=get_language() or "",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("The invitation was sent again to %(email)s.") % {"email": membership.user.email}
        )
    return redirect("reseller-manage-detail", pk=reseller.pk)


@require_POST
@permission_required(Perm.MANAGE_TENANTS)
def manage_staff_remove(request, pk: int, membership_pk: int):
    """A staff member leaves the reseller: deactivated, signed out everywhere, no console any more."""
    reseller = _reseller(pk)
    membership = get_object_or_404(
        ResellerMembership.objects.select_related("user", "reseller"), pk=membership_pk, reseller=reseller
    )
    email = membership.user.email
    services.reseller_staff_remove(actor=request.user.actor, membership=membership)
    messages.success(request, _("%(email)s was removed and can no longer sign in.") % {"email": email})
    return redirect("reseller-manage-detail", pk=reseller.pk)


@require_POST
@permission_required(Perm.MANAGE_TENANTS)
def manage_prices(request, pk: int):
    reseller = _reseller(pk)
    form = PricesForm(request.POST, plans=list(Plan.objects.order_by("sort_order", "code")))
    if form.is_valid():
        try:
            services.wholesale_prices_set(actor=request.user.actor, reseller=reseller, prices=form.prices())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The wholesale prices were saved."))
            return redirect("reseller-manage-detail", pk=reseller.pk)
    return _manage_page(request, reseller, prices_form=form, status=400)
