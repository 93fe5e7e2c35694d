from django.urls import path

from petition import views

app_name = "petition"

urlpatterns = [
    path("", views.featured, name="featured"),
    path("p/<slug:slug>/", views.detail, name="detail"),
    path("p/<slug:slug>/widget/", views.widget, name="widget"),
    path("p/<slug:slug>/share.png", views.share_image, name="share-image"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
]
