"""Catalogue screens: the item list, an item with its guide versions, create/edit, publish and retire."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenants.accounts.roles import Perm, has_permission
from tenants.accounts.views import add_service_errors, permission_required
from tenants.catalog.forms import GuideForm, ItemFilterForm, ItemForm
from tenants.catalog.models import ItemStatus, ServiceItem
from tenants.catalog.selectors import (
    guide_corrections_for_item,
    guide_tag_recurrence,
    item_guides,
    item_list,
)
from tenants.catalog.services import (
    GUIDE_FIELDS,
    guide_edit,
    item_create,
    item_publish,
    item_retire,
    item_update,
)

PAGE_SIZE = 50


@permission_required(Perm.READ_CATALOG)
def items(request):
    form = ItemFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = Paginator(item_list(q=filters.get("q", ""), status=filters.get("status", "")), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "catalog/items.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_manage": has_permission(request.user.role, Perm.MANAGE_CATALOG),
        },
    )


@permission_required(Perm.READ_CATALOG)
def item_detail(request, pk: int):
    item = get_object_or_404(ServiceItem.objects.select_related("responsible_unit"), pk=pk)
    guides = item_guides(item=item)
    return render(
        request,
        "catalog/item.html",
        {
            "item": item,
            "guides": guides,
            "newest": guides[0] if guides else None,
            "can_manage": has_permission(request.user.role, Perm.MANAGE_CATALOG),
            "can_publish": bool(guides)
            and (guides[0].pk != item.current_guide_id or item.status != ItemStatus.PUBLISHED),
            "corrections": guide_corrections_for_item(item=item),
            "recurrence": guide_tag_recurrence(item=item),
        },
    )


@permission_required(Perm.MANAGE_CATALOG)
def item_new(request):
    item_form = ItemForm(request.POST or None, prefix="item")
    guide_form = GuideForm(request.POST or None, prefix="guide")
    if request.method == "POST" and item_form.is_valid() and guide_form.is_valid():
        try:
            item = item_create(actor=request.user.actor, **item_form.cleaned_data, **guide_form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(item_form, exc)
        else:
            messages.success(request, _("Item “%(name)s” was created as a draft.") % {"name": item.name})
            return redirect("catalog-item", item.pk)
    return render(
        request,
        "catalog/item_form.html",
        {"item_form": item_form, "guide_form": guide_form, "item": None},
        status=400 if request.method == "POST" else 200,
    )


@permission_required(Perm.MANAGE_CATALOG)
def item_edit(request, pk: int):
    item = get_object_or_404(ServiceItem, pk=pk)
    initial = {
        "code": item.code,
        "name": item.name,
        "item_type": item.item_type,
        "legal_basis": item.legal_basis,
        "responsible_unit": item.responsible_unit,
    }
    form = ItemForm(request.POST or None, initial=initial, prefix="item")
    if item.current_guide_id is not None:
        form.fields["code"].disabled = True
        form.fields["code"].help_text = _("The code of a published item cannot change.")
    if request.method == "POST" and form.is_valid():
        try:
            item_update(actor=request.user.actor, item=item, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The item was saved."))
            return redirect("catalog-item", item.pk)
    return render(
        request,
        "catalog/item_form.html",
        {"item_form": form, "guide_form": None, "item": item},
        status=400 if request.method == "POST" else 200,
    )


@permission_required(Perm.MANAGE_CATALOG)
def guide_edit_view(request, pk: int):
    item = get_object_or_404(ServiceItem, pk=pk)
    newest = item.guides.order_by("-version").first()
    form = GuideForm(
        request.POST or None, initial={f: getattr(newest, f) for f in GUIDE_FIELDS}, prefix="guide"
    )
    if request.method == "POST" and form.is_valid():
        try:
            guide = guide_edit(actor=request.user.actor, item=item, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if guide.pk == newest.pk and guide.published_at is not None:
                messages.info(request, _("Nothing changed."))
            elif guide.pk == newest.pk:
                messages.success(request, _("Draft version %(v)s was saved.") % {"v": guide.version})
            else:
                messages.success(
                    request,
                    _(
                        "Saved as new draft version %(v)s. The published version stays in force until you publish."
                    )
                    % {"v": guide.version},
                )
            return redirect("catalog-item", item.pk)
    return render(
        request,
        "catalog/guide_form.html",
        {"form": form, "item": item, "newest": newest},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@permission_required(Perm.MANAGE_CATALOG)
def item_publish_view(request, pk: int):
    item = item_publish(actor=request.user.actor, item=get_object_or_404(ServiceItem, pk=pk))
    messages.success(
        request, _("Version %(v)s of the guide is now published.") % {"v": item.current_guide.version}
    )
    return redirect("catalog-item", item.pk)


@require_POST
@permission_required(Perm.MANAGE_CATALOG)
def item_retire_view(request, pk: int):
    item = item_retire(actor=request.user.actor, item=get_object_or_404(ServiceItem, pk=pk))
    messages.success(request, _("Item “%(name)s” was retired.") % {"name": item.name})
    return redirect("catalog-item", item.pk)
