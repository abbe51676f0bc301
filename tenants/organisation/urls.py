from django.urls import path, re_path

from tenants.catalog.imports import views as imports
from tenants.catalog.models import ImportKind
from tenants.organisation import views

SECTION = imports.Section(kinds=(ImportKind.UNITS, ImportKind.STAFF), prefix="org")
KINDS = "|".join(SECTION.kinds)

urlpatterns = [
    path("", views.units, name="org-units"),
    path("units/new/", views.unit_new, name="org-unit-new"),
    path("units/<int:pk>/", views.unit_detail, name="org-unit"),
    path("units/<int:pk>/edit/", views.unit_edit, name="org-unit-edit"),
    path("staff/", views.staff, name="org-staff"),
    path("staff/new/", views.staff_new, name="org-staff-new"),
    path("staff/<int:pk>/", views.staff_detail, name="org-staff-detail"),
    path("staff/<int:pk>/edit/", views.staff_edit, name="org-staff-edit"),
    path("staff/<int:pk>/assign", views.staff_assign_view, name="org-staff-assign"),
    path("staff/<int:pk>/leave", views.staff_leave_view, name="org-staff-leave"),
    path("staff/<int:pk>/return", views.staff_return_view, name="org-staff-return"),
    path("assignments/<int:pk>/end", views.assignment_end_view, name="org-assignment-end"),
    path("platforms/", views.platforms, name="org-platforms"),
    path("platforms/<int:pk>/edit/", views.platform_edit, name="org-platform-edit"),
    path("devices/", views.devices, name="org-devices"),
    path("import/", imports.import_page, {"section": SECTION}, name="org-import"),
    re_path(
        rf"^import/template/(?P<kind>{KINDS})\.(?P<fmt>csv|xlsx)$",
        imports.import_template,
        {"section": SECTION},
        name="org-import-template",
    ),
    re_path(
        rf"^export/(?P<kind>{KINDS})\.(?P<fmt>csv|xlsx)$",
        imports.export_file,
        {"section": SECTION},
        name="org-export",
    ),
    path("imports/<int:pk>/", imports.job_page, {"section": SECTION}, name="org-import-job"),
    path("imports/<int:pk>/status", imports.job_status, {"section": SECTION}, name="org-import-job-status"),
    path("imports/<int:pk>/errors", imports.job_errors, {"section": SECTION}, name="org-import-job-errors"),
]
