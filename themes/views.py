from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from themes.models import Theme


@require_GET
def logo(request):
    theme = Theme.objects.filter(tenant=request.tenant).exclude(logo_content_type="").first()
    if theme is None:
        raise Http404
    response = HttpResponse(bytes(theme.logo), content_type=theme.logo_content_type)
    response["Cache-Control"] = "public, max-age=300"
    return response
