"""Included at /setup/ on tenant hosts: the first-run checklist, staff invitations and the invitation link."""

from django.urls import path

from tenants.setup import views

urlpatterns = [
    path("", views.checklist_page, name="setup"),
    path("steps/<str:key>/<str:action>", views.step_mark, name="setup-step"),
    path("scale", views.scale_set, name="setup-scale"),
    path("staff/", views.staff_page, name="setup-staff"),
    path("staff/<int:pk>/reinvite", views.staff_reinvite_view, name="setup-staff-reinvite"),
    path("staff/<int:pk>/withdraw", views.staff_withdraw_view, name="setup-staff-withdraw"),
    path("staff/<int:pk>/deactivate", views.staff_deactivate_view, name="setup-staff-deactivate"),
    path("invite/<str:token>", views.invitation_page, name="setup-invitation"),
    path("invite/<str:token>/renew", views.invitation_renew_view, name="setup-invitation-renew"),
]
