"""Included at "" on the control-plane host: sign-up applications, their progress, and their review."""

from django.urls import path

from control_plane.onboarding import views

urlpatterns = [
    path("onboarding/", views.index, name="onboarding"),
    path("onboarding/apply/", views.apply, name="onboarding-apply"),
    path("onboarding/requests/", views.review_list, name="onboarding-requests"),
    path("onboarding/requests/<int:pk>/", views.review_detail, name="onboarding-review"),
    path("onboarding/requests/<int:pk>/approve", views.review_approve, name="onboarding-approve"),
    path("onboarding/requests/<int:pk>/reject", views.review_reject, name="onboarding-reject"),
    path("onboarding/<int:pk>/", views.detail, name="onboarding-detail"),
    path("onboarding/<int:pk>/status", views.status, name="onboarding-status"),
    path("onboarding/<int:pk>/retry", views.retry, name="onboarding-retry"),
]
