from django.urls import path

from billing import plan_views, views_public

urlpatterns: list = [
    # the plan catalogue (national staff)
    path("plans/", plan_views.plans, name="billing-plans"),
    path("plans/<slug:code>/", plan_views.plan_edit, name="billing-plan-edit"),
    # Stripe: the webhook (signature-checked, no CSRF) and the events national staff watch and retry
    path("stripe/webhook", views_public.stripe_webhook, name="billing-stripe-webhook"),
    path("events/", views_public.events, name="billing-events"),
    path("events/<int:pk>/retry", views_public.event_retry, name="billing-event-retry"),
]
