from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy

from core.views import same_origin_referrer
from petition import views as petition_views
from signatures import webhooks
from visits import views as visits_views

# The organizers' header on the password pages too, not "Django administration".
_ADMIN_HEADER = {
    "site_header": admin.site.site_header,
    "site_title": admin.site.site_title,
}

urlpatterns = [
    # New organizers choose their password from the link createorganizer prints.
    # The token in these addresses must reach no other site as a referrer.
    path(
        f"{settings.ADMIN_URL}password/<uidb64>/<token>/",
        same_origin_referrer(
            auth_views.PasswordResetConfirmView.as_view(
                success_url=reverse_lazy("password_reset_complete"),
                extra_context=_ADMIN_HEADER,
            )
        ),
        name="password_reset_confirm",
    ),
    path(
        f"{settings.ADMIN_URL}password/done/",
        same_origin_referrer(
            auth_views.PasswordResetCompleteView.as_view(extra_context=_ADMIN_HEADER)
        ),
        name="password_reset_complete",
    ),
    path(settings.ADMIN_URL, admin.site.urls),
    # Language-neutral: the count is the same in every language.
    path("p/<slug:slug>/count.json", petition_views.count_json, name="petition-count"),
    # The campaign page's view beacon: a POST, never cached (visits/views.py).
    path("p/<slug:slug>/views", visits_views.page_view, name="petition-views"),
    # Where browsers and link previews look for icons without being told.
    path("favicon.ico", petition_views.favicon, name="favicon"),
    path(
        "apple-touch-icon.png",
        petition_views.apple_touch_icon,
        name="apple-touch-icon",
    ),
    path("icon-<int:size>.png", petition_views.icon, name="icon"),
    # Images organizers upload, from the storage (petition/uploads.py).
    path(
        "media/<path:name>",
        petition_views.uploaded_image,
        name="uploaded-image",
    ),
    # The email provider's bounce and complaint reports (EMAIL_PROVIDER), at
    # the path Anymail's documentation gives each provider.
    path(
        "anymail/<slug:provider>/tracking/",
        webhooks.email_tracking_webhook,
        name="email-tracking-webhook",
    ),
]
# Public pages live under /en/ and /fr/; "/" sends a first-time visitor to
# their browser's language.
urlpatterns += i18n_patterns(
    path("", include("signatures.urls")),
    path("", include("petition.urls")),
)

handler500 = "core.views.server_error"
