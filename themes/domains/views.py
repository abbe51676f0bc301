"""The tenant admin's custom-domain page: add a name, follow the instructions, verify, remove."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tenants.accounts.roles import Perm
from tenants.accounts.views import add_service_errors, permission_required
from themes.domains.forms import DomainClaimForm
from themes.domains.selectors import claim_for_tenant, claims_for_tenant, verified_claim_for_host
from themes.domains.services import domain_claim_add, domain_claim_remove, domain_claim_verify
from themes.domains.verify import error_text


@permission_required(Perm.MANAGE_BRANDING)
def domains(request):
    form = DomainClaimForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            claim = domain_claim_add(
                actor=request.user.actor,
                tenant=request.tenant,
                domain=form.cleaned_data["domain"],
                method=form.cleaned_data["method"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s added. Follow the steps below, then press “Verify now”.")
                % {"name": claim.domain},
            )
            return redirect("domains")
    status = 400 if form.errors else 200
    return render(
        request,
        "domains/domains.html",
        {
            "form": form,
            "claims": claims_for_tenant(request.tenant),
            "platform_domain": settings.BASE_DOMAIN,
            "pending_days": settings.DOMAINS_PENDING_DAYS,
        },
        status=status,
    )


def _own_claim(request, pk: int):
    claim = claim_for_tenant(request.tenant, pk)
    if claim is None:
        raise Http404
    return claim


@require_POST
@permission_required(Perm.MANAGE_BRANDING)
def domain_verify(request, pk: int):
    claim = domain_claim_verify(actor=request.user.actor, claim=_own_claim(request, pk))
    if claim is None:
        raise Http404
    if claim.last_error:
        messages.error(
            request,
            _("%(name)s is not verified yet: %(reason)s")
            % {"name": claim.domain, "reason": error_text(claim.last_error, claim.last_error_params)},
        )
    else:
        messages.success(
            request,
            _("%(name)s is verified and now opens this organisation's pages.") % {"name": claim.domain},
        )
    return redirect("domains")


@require_POST
@permission_required(Perm.MANAGE_BRANDING)
def domain_remove(request, pk: int):
    claim = _own_claim(request, pk)
    domain_claim_remove(actor=request.user.actor, claim=claim)
    messages.success(
        request, _("%(name)s removed; it no longer opens this organisation's pages.") % {"name": claim.domain}
    )
    return redirect("domains")


@require_GET
def token_file(request):
    """/.well-known/haochaping-verify.txt on a verified custom domain: once the domain points at the platform, the
    daily HTTP re-check reaches us and finds the token, so the claim stays verified exactly as long as the domain
    points here. Never for a pending claim: its host does not route, and the proof must come from the domain."""
    claim = verified_claim_for_host(request.tenant, request.tenant.domain_url)
    if claim is None:
        raise Http404
    response = HttpResponse(claim.token, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response
