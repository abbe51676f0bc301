"""Included at /console/ on the control-plane host."""

from django.urls import path, re_path

from control_plane.console import views

urlpatterns = [
    path("", views.console, name="console"),
    path("tenants/<int:pk>/", views.tenant_detail, name="console-tenant"),
    re_path(
        r"^tenants/(?P<pk>[0-9]+)/(?P<action>suspend|archive|resume)$",
        views.tenant_action,
        name="console-tenant-action",
    ),
    path("tenants/<int:pk>/support/", views.support_request_view, name="console-support-request"),
    path("support/<int:grant_id>/open", views.support_open, name="console-support-open"),
    path("support/<int:grant_id>/revoke", views.support_revoke_view, name="console-support-revoke"),
]
