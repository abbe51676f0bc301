"""/benchmarking/ on the control-plane host: league tables for national staff; /benchmarking/public/ for
everybody (published rankings)."""

from django.urls import path

from control_plane.benchmarking import views

urlpatterns = [
    path("", views.league_page, name="benchmarking-league"),
    path("tenants/<slug:slug>/", views.tenant_page, name="benchmarking-tenant"),
    path("publish/", views.publish, name="benchmarking-publish"),
    path("published/", views.publications_page, name="benchmarking-publications"),
    path("published/<int:pk>/withdraw/", views.withdraw, name="benchmarking-withdraw"),
    path("public/", views.public_index, name="benchmarking-public"),
    path("public/<int:pk>/", views.public_ranking, name="benchmarking-public-ranking"),
]
