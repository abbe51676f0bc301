from django.urls import path

from billing import views

urlpatterns = [
    path("", views.billing_home, name="billing-home"),
    path("checkout", views.checkout, name="billing-checkout"),
    path("invoice", views.invoice_subscribe, name="billing-invoice"),
    path("plan", views.plan_change, name="billing-plan"),
    path("portal", views.portal, name="billing-portal"),
]
