"""Included at /support-access/ on every tenant's host (config/urls_tenants.py)."""

from django.urls import path

from control_plane.console import views_tenant

urlpatterns = [
    path("", views_tenant.support_list, name="support-access"),
    path("<int:grant_id>/approve", views_tenant.support_approve, name="support-access-approve"),
    path("<int:grant_id>/deny", views_tenant.support_deny, name="support-access-deny"),
    path("<int:grant_id>/revoke", views_tenant.support_revoke_tenant, name="support-access-revoke"),
    path("enter", views_tenant.support_enter, name="support-access-enter"),
    path("leave", views_tenant.support_leave, name="support-access-leave"),
]
