"""Comment analysis pages at /insight/comments/ on a tenant's host."""

from django.urls import path

from tenants.insight.textmining import views

urlpatterns = [
    path("", views.comments_overview, name="insight-comments"),
    path("ledger/", views.ledger_list, name="insight-comments-ledger"),
    path("ledger/new", views.ledger_create, name="insight-comments-ledger-new"),
    path("ledger/<int:pk>/", views.ledger_entry, name="insight-comments-ledger-entry"),
    path("ledger/<int:pk>/resolve", views.ledger_resolve, name="insight-comments-ledger-resolve"),
]
