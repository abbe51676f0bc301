"""Staff screens of the assisted channels: printable paper forms, paper entry, social comments."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenants.accounts.roles import Perm, has_permission
from tenants.accounts.views import add_service_errors, permission_required
from tenants.assisted.forms import MailUploadForm, PaperEntryForm, SocialCommentForm
from tenants.assisted.mail import mail_messages_in_upload
from tenants.assisted.models import PaperEntry, SocialComment, SocialSource
from tenants.assisted.pdf import PaperFormSpec, paper_form_pdf
from tenants.assisted.selectors import (
    active_tags,
    paper_entry_list,
    site_of,
    social_comment_list,
    social_comment_row,
    window_list,
)
from tenants.assisted.services.paper import SCAN_EXTENSIONS, paper_evaluation_enter, paper_scan_open
from tenants.assisted.services.social import social_comment_record, social_mail_import
from tenants.cases.models import Case, CaseSource
from tenants.cases.services import case_open_from_complaint
from tenants.evaluations.models import SCALE_WORDS
from tenants.evaluations.selectors import intake_config
from tenants.organisation.models import Unit, UnitKind
from themes.selectors import raster_logo
from themes.services import theme_for_tenant


@permission_required(Perm.VIEW_EVALUATIONS)
def assisted_index(request):
    role = request.user.role
    return render(
        request,
        "assisted/index.html",
        {
            "can_paper": has_permission(role, Perm.ENTER_PAPER_EVALUATIONS),
            "can_social": has_permission(role, Perm.VIEW_EVALUATIONS),
        },
    )


# --- paper -------------------------------------------------------------------------------------------------
@permission_required(Perm.ENTER_PAPER_EVALUATIONS)
def paper_index(request):
    """Windows with their printable form, and the forms entered lately."""
    query = (request.GET.get("q") or "").strip()[:64]
    page = Paginator(window_list(query=query), 50).get_page(request.GET.get("page"))
    words = SCALE_WORDS[intake_config().scale]
    entries = [
        {
            "entry": entry,
            "word": words[entry.evaluation.level - 1],
            "has_scan": hasattr(entry, "scan"),
        }
        for entry in paper_entry_list()[:20]
    ]
    return render(request, "assisted/paper_index.html", {"page": page, "query": query, "entries": entries})


@permission_required(Perm.ENTER_PAPER_EVALUATIONS)
def paper_form_download(request, code: str):
    window = get_object_or_404(Unit, code=code, kind=UnitKind.WINDOW)
    site = site_of(window)
    theme = theme_for_tenant(request.tenant)
    spec = PaperFormSpec(
        tenant_name=theme.display_name,
        window_name=window.name,
        window_code=window.code,
        site_name=site.name if site else "",
        site_code=site.code if site else "",
        scale_words=tuple(SCALE_WORDS[intake_config().scale]),
        tags=active_tags(),
        printed_on=timezone.localdate(),
        color=theme.primary_color,
        on_color=theme.on_primary_color,
        logo=raster_logo(theme),
        contact=theme.contact_line,
    )
    response = HttpResponse(paper_form_pdf(spec), content_type="application/pdf")
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "_" for ch in window.code)
    response["Content-Disposition"] = f'attachment; filename="rating-form-{safe}.pdf"'
    return response


def _paper_form(request, data=None, files=None):
    return PaperEntryForm(data, files, scale_words=SCALE_WORDS[intake_config().scale], tags=active_tags())


@permission_required(Perm.ENTER_PAPER_EVALUATIONS)
def paper_enter(request):
    """Type in a filled paper form. Bad input shows the form again with the reasons; nothing is stored."""
    form = _paper_form(request, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("scan")
        try:
            result = paper_evaluation_enter(
                actor=request.user.actor, data=form.entry_input(), scan=upload.read() if upload else None
            )
        except ValidationError as exc:
            add_service_errors(form, exc, PaperEntryForm.service_fields)
        else:
            number = result.entry.evaluation.transaction.number
            if result.created:
                messages.success(request, _("Paper form recorded for transaction %(n)s.") % {"n": number})
            else:
                messages.info(
                    request, _("This form was already recorded (transaction %(n)s).") % {"n": number}
                )
            return redirect("assisted-paper-enter")
    status = 400 if request.method == "POST" else 200
    return render(request, "assisted/paper_enter.html", {"form": form}, status=status)


@permission_required(Perm.ENTER_PAPER_EVALUATIONS)
def paper_scan(request, pk: int):
    entry = get_object_or_404(PaperEntry, pk=pk)
    scan = paper_scan_open(actor=request.user.actor, entry=entry)
    if scan is None:
        raise Http404
    response = HttpResponse(bytes(scan.data), content_type=scan.content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="paper-form-{entry.pk}.{SCAN_EXTENSIONS[scan.content_type]}"'
    )
    response["Cache-Control"] = "no-store"
    return response


# --- social comments ---------------------------------------------------------------------------------------
def _social_page(request, *, form=None, upload=None, status=200):
    source = request.GET.get("source", "")
    source = source if source in SocialSource.values else ""
    page = Paginator(social_comment_list(source_kind=source), 50).get_page(request.GET.get("page"))
    can_record = has_permission(request.user.role, Perm.RUN_SUPERVISION)
    rows = [social_comment_row(c) for c in page.object_list]
    # A comment may open a bad-review case (差评整改); its case, or the unit the case would go to.
    opened = dict(
        Case.objects.filter(
            source=CaseSource.COMPLAINT, source_ref__in=[f"social:{c.pk}" for c in page.object_list]
        ).values_list("source_ref", "pk")
    )
    unit_ids = {c.pk: _complaint_unit_id(c) for c in page.object_list}
    units = Unit.objects.in_bulk([u for u in unit_ids.values() if u])
    for row, comment in zip(rows, page.object_list, strict=True):
        row["case_id"] = opened.get(f"social:{comment.pk}")
        row["case_unit"] = units.get(unit_ids[comment.pk])
    return render(
        request,
        "assisted/social.html",
        {
            "page": page,
            "rows": rows,
            "can_open_case": has_permission(request.user.role, Perm.SUPERVISE_CASES),
            "sources": SocialSource.choices,
            "source": source,
            "can_record": can_record,
            "form": form or (SocialCommentForm() if can_record else None),
            "upload": upload or (MailUploadForm() if can_record else None),
        },
        status=status,
    )


@permission_required(Perm.VIEW_EVALUATIONS)
def social_index(request):
    return _social_page(request)


@require_POST
@permission_required(Perm.RUN_SUPERVISION)
def social_create(request):
    form = SocialCommentForm(request.POST)
    if form.is_valid():
        try:
            _comment, created = social_comment_record(actor=request.user.actor, data=form.comment_input())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if created:
                messages.success(request, _("The comment was recorded."))
            else:
                messages.info(request, _("A comment with this source and reference was already recorded."))
            return redirect("assisted-social")
    return _social_page(request, form=form, status=400)


@require_POST
@permission_required(Perm.RUN_SUPERVISION)
def social_import(request):
    upload = MailUploadForm(request.POST, request.FILES)
    if not upload.is_valid():
        return _social_page(request, upload=upload, status=400)
    report = social_mail_import(
        actor=request.user.actor, messages=mail_messages_in_upload(upload.cleaned_data["mail"].read())
    )
    messages.success(
        request,
        _("E-mail import: %(created)d new, %(duplicates)d already recorded, %(failed)d not imported.")
        % {"created": report.created, "duplicates": report.duplicates, "failed": len(report.failed)},
    )
    for failure in report.failed[:20]:
        messages.warning(request, failure)
    return redirect("assisted-social")


def _complaint_unit_id(comment: SocialComment) -> int | None:
    """The unit a comment is about: named directly, through its window or staff member, or the item's
    responsible unit."""
    if comment.unit_id or comment.window_id:
        return comment.unit_id or comment.window_id
    if comment.staff is not None:
        return comment.staff.unit_id
    return comment.item.responsible_unit_id if comment.item is not None else None


@require_POST
@permission_required(Perm.SUPERVISE_CASES)
def social_open_case(request, pk: int):
    """Open a bad-review case for a social comment at the unit it is about (or the unit code given; none:
    the tenant's fallback unit), then go to the case."""
    comment = get_object_or_404(SocialComment.objects.select_related("staff", "item"), pk=pk)
    existing = Case.objects.filter(source=CaseSource.COMPLAINT, source_ref=f"social:{comment.pk}").first()
    if existing is not None:
        return redirect("cases-detail", pk=existing.pk)
    unit = Unit.objects.filter(pk=_complaint_unit_id(comment)).first()
    code = (request.POST.get("unit_code") or "").strip()[:64]
    if code:
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            messages.error(request, _("No unit has the code “%(code)s”.") % {"code": code})
            return redirect("assisted-social")
    summary = "\n".join(part for part in (comment.subject, comment.text) if part)[:4000]
    try:
        case = case_open_from_complaint(
            actor=request.user.actor, unit=unit, summary=summary, source_ref=f"social:{comment.pk}"
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("assisted-social")
    messages.success(request, _("Case %(number)s was opened for the comment.") % {"number": case.number})
    return redirect("cases-detail", pk=case.pk)
