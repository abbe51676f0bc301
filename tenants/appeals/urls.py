"""Appeal pages (申诉复核) at /appeals/ on a tenant's host."""

from django.urls import path

from tenants.appeals import views

urlpatterns = [
    path("", views.home, name="appeals-home"),
    # appellant side
    path("ratings/", views.my_ratings, name="appeals-ratings"),
    path("ratings/<int:evaluation_id>/appeal", views.appeal_new, name="appeals-new"),
    path("mine/", views.my_appeals, name="appeals-mine"),
    path("mine/<int:pk>/", views.my_appeal_detail, name="appeals-mine-detail"),
    path("mine/<int:pk>/withdraw", views.my_appeal_withdraw, name="appeals-mine-withdraw"),
    path("<int:pk>/evidence/<int:evidence_id>", views.evidence_download, name="appeals-evidence"),
    # reviewer side
    path("review/", views.review_list, name="appeals-review"),
    path("review/<int:pk>/", views.review_detail, name="appeals-review-detail"),
    path("settings/", views.settings_view, name="appeals-settings"),
]
