"""Organisation screens: the unit tree, units, staff with window assignments, platforms and rating devices."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenants.accounts.roles import Perm, has_permission
from tenants.accounts.views import add_service_errors, permission_required
from tenants.organisation.forms import (
    AssignForm,
    DeviceForm,
    EndAssignmentForm,
    LeaveForm,
    PlatformForm,
    StaffFilterForm,
    StaffForm,
    UnitForm,
)
from tenants.organisation.models import Device, Platform, Staff, Unit, UnitKind, WindowAssignment
from tenants.organisation.selectors import staff_list, unit_ancestors, unit_search, unit_tree
from tenants.organisation.services import (
    assignment_end,
    device_register,
    platform_create,
    platform_update,
    staff_assign,
    staff_create,
    staff_leave,
    staff_return,
    staff_update,
    unit_create,
    unit_update,
)


def _can_manage(request) -> bool:
    return has_permission(request.user.role, Perm.MANAGE_ORGANISATION)


def _render_form(request, template: str, context: dict):
    return render(request, template, context, status=400 if request.method == "POST" else 200)


# --- units -------------------------------------------------------------------------------------------------
@permission_required(Perm.READ_CATALOG)
def units(request):
    root = None
    if request.GET.get("root", "").isdigit():
        root = get_object_or_404(Unit, pk=int(request.GET["root"]))
    q = request.GET.get("q", "").strip()[:100]
    return render(
        request,
        "organisation/units.html",
        {
            "root": root,
            "ancestors": unit_ancestors(unit=root) if root else [],
            "tree": unit_tree(root=root),
            "q": q,
            "found": list(unit_search(q=q)) if q else None,
            "can_manage": _can_manage(request),
        },
    )


@permission_required(Perm.READ_CATALOG)
def unit_detail(request, pk: int):
    unit = get_object_or_404(Unit.objects.select_related("parent"), pk=pk)
    return render(
        request,
        "organisation/unit.html",
        {
            "unit": unit,
            "ancestors": unit_ancestors(unit=unit),
            "children": unit.children.order_by("code")[:200],
            "children_count": unit.children.count(),
            "staff": unit.staff.order_by("staff_no")[:200],
            "assigned": WindowAssignment.objects.filter(window=unit, ends_on__isnull=True).select_related(
                "staff"
            )
            if unit.kind == UnitKind.WINDOW
            else [],
            "devices": unit.devices.select_related("api_key") if unit.kind == UnitKind.WINDOW else [],
            "can_manage": _can_manage(request),
        },
    )


@permission_required(Perm.MANAGE_ORGANISATION)
def unit_new(request):
    initial = {"active": True}
    if request.GET.get("parent", "").isdigit():
        parent = Unit.objects.filter(pk=int(request.GET["parent"])).first()
        if parent is not None:
            initial["parent"] = parent.code
            initial["kind"] = UnitKind.WINDOW if parent.kind in (UnitKind.HALL, UnitKind.STATION) else None
    form = UnitForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            unit = unit_create(
                actor=request.user.actor,
                code=data["code"],
                name=data["name"],
                kind=data["kind"],
                parent=data["parent"],
                region_code=data["region_code"],
            )
            if not data["active"]:
                unit_update(actor=request.user.actor, unit=unit, active=False)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Unit “%(name)s” was created.") % {"name": unit.name})
            return redirect("org-unit", unit.pk)
    return _render_form(
        request, "organisation/form.html", {"form": form, "title": _("New unit"), "current": "units"}
    )


@permission_required(Perm.MANAGE_ORGANISATION)
def unit_edit(request, pk: int):
    unit = get_object_or_404(Unit, pk=pk)
    initial = {f: getattr(unit, f) for f in ("code", "name", "kind", "parent", "region_code", "active")}
    form = UnitForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            unit_update(actor=request.user.actor, unit=unit, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The unit was saved."))
            return redirect("org-unit", unit.pk)
    return _render_form(
        request,
        "organisation/form.html",
        {
            "form": form,
            "title": _("Edit “%(name)s”") % {"name": unit.name},
            "current": "units",
            "cancel": unit,
        },
    )


# --- staff -------------------------------------------------------------------------------------------------
@permission_required(Perm.READ_CATALOG)
def staff(request):
    form = StaffFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = Paginator(staff_list(q=filters.get("q", ""), active=filters.get("active", "")), 50).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "organisation/staff.html",
        {"form": form, "page": page, "query": query.urlencode(), "can_manage": _can_manage(request)},
    )


def _staff_context(request, member: Staff, **forms) -> dict:
    today = timezone.localdate()
    return {
        "member": member,
        "assignments": member.assignments.select_related("window").order_by("-starts_on"),
        "assign_form": AssignForm(initial={"starts_on": today}),
        "leave_form": LeaveForm(initial={"left_on": today}),
        "today": today,
        "can_manage": _can_manage(request),
        **forms,
    }


@permission_required(Perm.READ_CATALOG)
def staff_detail(request, pk: int):
    member = get_object_or_404(Staff.objects.select_related("unit"), pk=pk)
    return render(request, "organisation/staff_detail.html", _staff_context(request, member))


@permission_required(Perm.MANAGE_ORGANISATION)
def staff_new(request):
    form = StaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member = staff_create(actor=request.user.actor, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s was added.") % {"name": member.name})
            return redirect("org-staff-detail", member.pk)
    return _render_form(
        request,
        "organisation/form.html",
        {"form": form, "title": _("New member of staff"), "current": "staff"},
    )


@permission_required(Perm.MANAGE_ORGANISATION)
def staff_edit(request, pk: int):
    member = get_object_or_404(Staff, pk=pk)
    form = StaffForm(
        request.POST or None, initial={"staff_no": member.staff_no, "name": member.name, "unit": member.unit}
    )
    if request.method == "POST" and form.is_valid():
        try:
            staff_update(actor=request.user.actor, staff=member, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("org-staff-detail", member.pk)
    return _render_form(
        request,
        "organisation/form.html",
        {"form": form, "title": _("Edit %(name)s") % {"name": member.name}, "current": "staff"},
    )


def _staff_detail_with(request, member, **forms):
    return render(
        request, "organisation/staff_detail.html", _staff_context(request, member, **forms), status=400
    )


@require_POST
@permission_required(Perm.MANAGE_ORGANISATION)
def staff_assign_view(request, pk: int):
    member = get_object_or_404(Staff, pk=pk)
    form = AssignForm(request.POST)
    if form.is_valid():
        try:
            staff_assign(actor=request.user.actor, staff=member, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The window assignment was saved."))
            return redirect("org-staff-detail", member.pk)
    return _staff_detail_with(request, member, assign_form=form)


@require_POST
@permission_required(Perm.MANAGE_ORGANISATION)
def assignment_end_view(request, pk: int):
    assignment = get_object_or_404(WindowAssignment.objects.select_related("staff", "window"), pk=pk)
    form = EndAssignmentForm(request.POST)
    if form.is_valid():
        try:
            assignment_end(actor=request.user.actor, assignment=assignment, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, _("The assignment was ended."))
    else:
        messages.error(request, _("Give the last day of the assignment."))
    return redirect("org-staff-detail", assignment.staff_id)


@require_POST
@permission_required(Perm.MANAGE_ORGANISATION)
def staff_leave_view(request, pk: int):
    member = get_object_or_404(Staff, pk=pk)
    form = LeaveForm(request.POST)
    if form.is_valid():
        staff_leave(actor=request.user.actor, staff=member, **form.cleaned_data)
        messages.success(request, _("%(name)s is marked as left.") % {"name": member.name})
        return redirect("org-staff-detail", member.pk)
    return _staff_detail_with(request, member, leave_form=form)


@require_POST
@permission_required(Perm.MANAGE_ORGANISATION)
def staff_return_view(request, pk: int):
    member = staff_return(actor=request.user.actor, staff=get_object_or_404(Staff, pk=pk))
    messages.success(request, _("%(name)s is working again.") % {"name": member.name})
    return redirect("org-staff-detail", member.pk)


# --- platforms ---------------------------------------------------------------------------------------------
@permission_required(Perm.READ_CATALOG)
def platforms(request):
    form = PlatformForm(request.POST or None, initial={"active": True})
    if request.method == "POST":
        if not _can_manage(request):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                platform = platform_create(
                    actor=request.user.actor, code=data["code"], name=data["name"], kind=data["kind"]
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Platform “%(name)s” was added.") % {"name": platform.name})
                return redirect("org-platforms")
    return _render_form(
        request,
        "organisation/platforms.html",
        {"form": form, "platforms": Platform.objects.order_by("code"), "can_manage": _can_manage(request)},
    )


@permission_required(Perm.MANAGE_ORGANISATION)
def platform_edit(request, pk: int):
    platform = get_object_or_404(Platform, pk=pk)
    form = PlatformForm(
        request.POST or None, initial={f: getattr(platform, f) for f in ("code", "name", "kind", "active")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            platform_update(actor=request.user.actor, platform=platform, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("org-platforms")
    return _render_form(
        request,
        "organisation/form.html",
        {"form": form, "title": _("Edit “%(name)s”") % {"name": platform.name}, "current": "platforms"},
    )


# --- rating devices ----------------------------------------------------------------------------------------
@permission_required(Perm.READ_CATALOG)
def devices(request):
    """Rating pads by window. Registering one shows its key once; it is never shown again."""
    initial = {"name": "评价器"}
    if request.GET.get("window"):
        initial["window"] = request.GET["window"][:64]
    form, created = DeviceForm(request.POST or None, initial=initial), None
    if request.method == "POST":
        if not _can_manage(request):
            raise PermissionDenied
        if form.is_valid():
            try:
                created = device_register(actor=request.user.actor, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                form = DeviceForm(initial={"name": "评价器"})
    response = render(
        request,
        "organisation/devices.html",
        {
            "form": form,
            "created": created,
            "page": Paginator(
                Device.objects.select_related("window__parent", "api_key").order_by("code"), 100
            ).get_page(request.GET.get("page")),
            "can_manage": _can_manage(request),
        },
        status=400 if request.method == "POST" and created is None else 200,
    )
    response["Cache-Control"] = "no-store"  # the new key must not stay in any cache
    return response
