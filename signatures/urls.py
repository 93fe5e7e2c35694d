from django.urls import path

from signatures import views

app_name = "signatures"

urlpatterns = [
    path("p/<slug:slug>/sign/", views.sign, name="sign"),
    path("p/<slug:slug>/thanks/", views.thanks, name="thanks"),
    path("p/<slug:slug>/confirmed/", views.confirmed, name="confirmed"),
    path("p/<slug:slug>/resend/", views.resend, name="resend"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("signature/<str:token>/", views.manage, name="manage"),
    path("signature/<str:token>/unsubscribe/", views.unsubscribe, name="unsubscribe"),
    path("privacy/", views.privacy, name="privacy"),
]
