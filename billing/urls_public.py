from django.urls import path

from billing import plan_views

urlpatterns: list = [
    # the plan catalogue (national staff)
    path("plans/", plan_views.plans, name="billing-plans"),
    path("plans/<slug:code>/", plan_views.plan_edit, name="billing-plan-edit"),
]
