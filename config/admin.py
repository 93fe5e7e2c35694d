from django.conf import settings
from django.contrib import admin
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django_ratelimit.decorators import ratelimit


def _setting(name: str):
    return lambda group, request: getattr(settings, name)


class PetitionAdminSite(admin.AdminSite):
    site_header = _("Petition organizers")
    site_title = _("Petition organizers")
    index_title = _("Campaigns and signatures")

    # Password guessing is slowed per address and per account name.
    @method_decorator(
        ratelimit(
            key="ip",
            rate=_setting("ADMIN_LOGIN_RATE"),
            method="POST",
            group="admin-login-ip",
        )
    )
    @method_decorator(
        ratelimit(
            key="post:username",
            rate=_setting("ADMIN_LOGIN_RATE_PER_ACCOUNT"),
            method="POST",
            group="admin-login-account",
        )
    )
    def login(self, request, extra_context=None):
        return super().login(request, extra_context)
