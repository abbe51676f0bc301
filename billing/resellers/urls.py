"""Included at /reseller/ on the control-plane host: the reseller console, and national staff's management of
resellers under manage/."""

from django.urls import path, re_path

from billing.resellers import views

urlpatterns = [
    path("", views.dashboard, name="reseller-dashboard"),
    path("tenants/new/", views.tenant_new, name="reseller-tenant-new"),
    path("tenants/<int:pk>/", views.tenant_detail, name="reseller-tenant"),
    path("tenants/<int:pk>/plan", views.tenant_plan, name="reseller-tenant-plan"),
    path("plans/", views.plans, name="reseller-plans"),
    path("signups/", views.signups, name="reseller-signups"),
    path("signups/<int:pk>/", views.signup_detail, name="reseller-signup"),
    path("signups/<int:pk>/status", views.signup_status, name="reseller-signup-status"),
    path("signups/<int:pk>/approve", views.signup_approve, name="reseller-signup-approve"),
    path("signups/<int:pk>/reject", views.signup_reject, name="reseller-signup-reject"),
    path("statements/", views.statement, name="reseller-statement"),
    re_path(
        r"^statements/(?P<month>\d{4}-\d{2})\.(?P<fmt>csv|xlsx|pdf)$",
        views.statement_download,
        name="reseller-statement-download",
    ),
    # national staff
    path("manage/", views.manage_list, name="reseller-manage"),
    path("manage/new/", views.manage_new, name="reseller-manage-new"),
    path("manage/<int:pk>/", views.manage_detail, name="reseller-manage-detail"),
    path("manage/<int:pk>/edit/", views.manage_edit, name="reseller-manage-edit"),
    path("manage/<int:pk>/staff", views.manage_staff_add, name="reseller-manage-staff"),
    path(
        "manage/<int:pk>/staff/<int:membership_pk>/invite",
        views.manage_staff_invite,
        name="reseller-manage-invite",
    ),
    path(
        "manage/<int:pk>/staff/<int:membership_pk>/remove",
        views.manage_staff_remove,
        name="reseller-manage-remove",
    ),
    path("manage/<int:pk>/prices", views.manage_prices, name="reseller-manage-prices"),
]
