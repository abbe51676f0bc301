"""Staff pages on tenant hosts, under /assisted/."""

from django.urls import path

from tenants.assisted import views

urlpatterns = [
    path("", views.assisted_index, name="assisted"),
    path("paper/", views.paper_index, name="assisted-paper"),
    path("paper/forms/<str:code>.pdf", views.paper_form_download, name="assisted-paper-form"),
    path("paper/enter", views.paper_enter, name="assisted-paper-enter"),
    path("paper/entries/<int:pk>/scan", views.paper_scan, name="assisted-paper-scan"),
    path("social/", views.social_index, name="assisted-social"),
    path("social/new", views.social_create, name="assisted-social-create"),
    path("social/import", views.social_import, name="assisted-social-import"),
    path("social/<int:pk>/case", views.social_open_case, name="assisted-social-case"),
]
