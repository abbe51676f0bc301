"""The plan catalogue for national staff on the control plane (/billing/plans/): every plan with its limits,
switches and prices, and an edit form. Perm.MANAGE_TENANTS; edits are audited (billing.plans.plan_update)."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from billing.entitlements import billing_enabled
from billing.models import Plan
from billing.plan_forms import PlanForm
from billing.plans import plan_update
from billing.selectors import plans_all, price_yuan
from tenants.accounts.roles import Perm
from tenants.accounts.views import add_service_errors, permission_required


def _billing_context() -> dict:
    return {
        "billing_enabled": billing_enabled(),
        "default_plan": Plan.objects.filter(code=settings.BILLING_DEFAULT_PLAN).first(),
        "default_plan_code": settings.BILLING_DEFAULT_PLAN,
    }


@permission_required(Perm.MANAGE_TENANTS)
def plans(request):
    rows = [
        {
            "plan": plan,
            "price": price_yuan(plan.monthly_price),
            "per_rating": price_yuan(plan.price_per_rating) if plan.price_per_rating is not None else "",
            "tenants": plan.tenant_count,
        }
        for plan in plans_all()
    ]
    return render(request, "billing/plans/list.html", {"rows": rows, **_billing_context()})


@permission_required(Perm.MANAGE_TENANTS)
def plan_edit(request, code: str):
    plan = get_object_or_404(Plan, code=code)
    form = PlanForm(request.POST or None, initial=PlanForm.initial_for(plan))
    if request.method == "POST" and form.is_valid():
        try:
            plan_update(actor=request.user.actor, plan=plan, **form.service_arguments())
        except ValidationError as exc:
            add_service_errors(form, exc, PlanForm.service_field_names)
        else:
            messages.success(
                request, _("The plan “%(name)s” was saved.") % {"name": form.cleaned_data["name"]}
            )
            return redirect("billing-plans")
    return render(
        request,
        "billing/plans/edit.html",
        {"plan": plan, "form": form, **_billing_context()},
        status=400 if request.method == "POST" else 200,
    )
