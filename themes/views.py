from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tenants.accounts.roles import Perm
from tenants.accounts.views import add_service_errors, permission_required
from themes.forms import BrandingForm
from themes.models import Theme
from themes.services import LOGO_MAX_BYTES, theme_for_tenant, theme_update


@require_GET
def logo(request):
    theme = Theme.objects.filter(tenant=request.tenant).exclude(logo_content_type="").first()
    if theme is None:
        raise Http404
    response = HttpResponse(bytes(theme.logo), content_type=theme.logo_content_type)
    response["Cache-Control"] = "public, max-age=300"
    return response


@permission_required(Perm.MANAGE_BRANDING)
def branding(request):
    """Display name, primary colour and logo of this tenant, applied to all of its pages."""
    current = theme_for_tenant(request.tenant)
    form = BrandingForm(
        request.POST or None,
        request.FILES or None,
        initial={"display_name": current.display_name, "primary_color": current.primary_color},
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["logo"]
        try:
            theme_update(
                actor=request.user.actor,
                tenant=request.tenant,
                display_name=form.cleaned_data["display_name"],
                primary_color=form.cleaned_data["primary_color"],
                logo=upload.read(LOGO_MAX_BYTES + 1) if upload else None,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Branding saved."))
            return redirect("branding")
    return render(request, "themes/branding.html", {"form": form})
