from django.urls import path

from api.views.catalog import ItemGuidesView

urlpatterns = [
    path("items/<str:code>/guides", ItemGuidesView.as_view(), name="api-item-guides"),
]
