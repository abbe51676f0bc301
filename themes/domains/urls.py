"""/settings/domains/ on a tenant host."""

from django.urls import path

from themes.domains import views

urlpatterns = [
    path("", views.domains, name="domains"),
    path("<int:pk>/verify", views.domain_verify, name="domain-verify"),
    path("<int:pk>/remove", views.domain_remove, name="domain-remove"),
]
