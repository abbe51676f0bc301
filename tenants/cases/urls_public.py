"""Citizen-facing case URLs at the root of a tenant's host (no sign-in): the evaluator's status page."""

from django.urls import path

from tenants.cases import views_public

urlpatterns = [
    path("s/<str:token>/", views_public.status_page, name="cases-status"),
    path("s/<str:token>/verify", views_public.status_verify, name="cases-status-verify"),
]
