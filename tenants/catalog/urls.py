from django.urls import path, re_path

from tenants.catalog import views
from tenants.catalog.imports import views as imports
from tenants.catalog.models import ImportKind

SECTION = imports.Section(kinds=(ImportKind.ITEMS,), prefix="catalog")
ITEMS = {"section": SECTION, "kind": ImportKind.ITEMS}

urlpatterns = [
    path("", views.items, name="catalog-items"),
    path("new/", views.item_new, name="catalog-item-new"),
    path("<int:pk>/", views.item_detail, name="catalog-item"),
    path("<int:pk>/edit/", views.item_edit, name="catalog-item-edit"),
    path("<int:pk>/guide/", views.guide_edit_view, name="catalog-guide-edit"),
    path("<int:pk>/publish", views.item_publish_view, name="catalog-item-publish"),
    path("<int:pk>/retire", views.item_retire_view, name="catalog-item-retire"),
    path("import/", imports.import_page, {"section": SECTION}, name="catalog-import"),
    re_path(
        r"^import/template\.(?P<fmt>csv|xlsx)$",
        imports.import_template,
        ITEMS,
        name="catalog-import-template",
    ),
    re_path(r"^export\.(?P<fmt>csv|xlsx)$", imports.export_file, ITEMS, name="catalog-export"),
    path("imports/<int:pk>/", imports.job_page, {"section": SECTION}, name="catalog-import-job"),
    path(
        "imports/<int:pk>/status", imports.job_status, {"section": SECTION}, name="catalog-import-job-status"
    ),
    path(
        "imports/<int:pk>/errors", imports.job_errors, {"section": SECTION}, name="catalog-import-job-errors"
    ),
]
