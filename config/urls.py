from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("", include("signatures.urls")),
    path("", include("petition.urls")),
]

handler500 = "config.views.server_error"
