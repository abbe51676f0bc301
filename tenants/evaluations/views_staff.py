"""Staff screens over evaluations: a filtered list with identity masked, an audited reveal, a masked export."""

import csv

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from tenants.accounts.roles import Perm, has_permission
from tenants.accounts.views import permission_required
from tenants.evaluations.forms import EvaluationFilterForm, RevealForm
from tenants.evaluations.models import SCALE_WORDS, Evaluation
from tenants.evaluations.selectors import intake_config
from tenants.evaluations.selectors_staff import evaluation_list, evaluation_masked_row
from tenants.privacy.identity import identity_from_row
from tenants.privacy.services import identity_reveal


def _filtered(request):
    form = EvaluationFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    return form, evaluation_list(**{k: v for k, v in filters.items() if v not in (None, "")})


@permission_required(Perm.VIEW_EVALUATIONS)
def evaluation_index(request):
    form, rows = _filtered(request)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    words = SCALE_WORDS[intake_config().scale]
    return render(
        request,
        "evaluations/index.html",
        {
            "form": form,
            "page": page,
            "rows": [evaluation_masked_row(e, words) for e in page.object_list],
            "can_reveal": has_permission(request.user.role, Perm.REVEAL_IDENTITY),
            "query": request.GET.urlencode(),
        },
    )


@permission_required(Perm.REVEAL_IDENTITY)
def evaluation_reveal(request, pk: int):
    evaluation = get_object_or_404(Evaluation, pk=pk, anonymous=False)
    form, identity = RevealForm(request.POST or None), None
    if request.method == "POST" and form.is_valid():
        try:
            identity = identity_reveal(
                actor=request.user.actor,
                target=evaluation,
                reason=form.cleaned_data["reason"],
                context="evaluation list",
                identity=lambda: identity_from_row(evaluation, "evaluator"),
            )
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, exc)
    response = render(
        request,
        "evaluations/reveal.html",
        {"form": form, "identity": identity, "row": evaluation_masked_row(evaluation)},
    )
    response["Cache-Control"] = "no-store"
    return response


class _Echo:
    def write(self, value):
        return value


@permission_required(Perm.VIEW_EVALUATIONS)
def evaluation_export(request):
    """CSV, streamed row by row with flat memory; identity masked, as everywhere else."""
    _form, rows = _filtered(request)
    words = SCALE_WORDS[intake_config().scale]
    header = [
        _("Rated at"),
        _("Transaction number"),
        _("Service item"),
        _("Unit"),
        _("Window"),
        _("Staff"),
        _("Channel"),
        _("Level"),
        _("Rating"),
        _("Reason tags"),
        _("Comment"),
        _("Evaluator"),
        _("Phone"),
        _("Default rating"),
        _("Supplementary"),
    ]

    def lines():
        writer = csv.writer(_Echo())
        yield "\ufeff" + writer.writerow(header)  # BOM: Excel opens UTF-8 Chinese correctly
        for evaluation in rows.iterator(chunk_size=2000):
            r = evaluation_masked_row(evaluation, words)
            who = r["evaluator"] or {}
            yield writer.writerow(
                [
                    r["rated_at"].isoformat(),
                    r["transaction"],
                    r["item"],
                    r["unit"],
                    r["window"],
                    r["staff"],
                    r["channel"],
                    r["level"],
                    r["level_word"],
                    "；".join(r["reason_tags"]),
                    r["comment"],
                    who.get("name", ""),
                    who.get("phone", ""),
                    int(r["is_default"]),
                    int(r["is_supplementary"]),
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="evaluations.csv"'
    return response
