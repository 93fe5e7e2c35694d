import unicodedata

from django.contrib import admin
from django.contrib.auth.forms import UsernameField
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import is_ratelimited
from django_ratelimit.decorators import ratelimit
from django_ratelimit.exceptions import Ratelimited

from core.ratelimits import rate_setting
from core.views import same_origin_referrer


def _account(group: str, request) -> str:
    """The account a login attempt is for, as authentication will see it.

    The login form strips the name and NFKC-normalises it, so full-width
    letters and ligatures (U+FB01 for "fi") reach the same account as their
    plain spelling, and must count against the same lock. Names here are
    email addresses, stored in lower case by createorganizer: case is folded
    too, so varying it buys a guesser no fresh attempts.
    """
    name = UsernameField().to_python(request.POST.get("username", "")) or ""
    return unicodedata.normalize("NFKC", name.casefold())


def organizer(request: HttpRequest) -> User:
    """The organizer behind a request to an admin page or action, for the
    record of what they did. admin_view lets only signed-in staff that far:
    anyone else is refused, should a page ever be reached another way."""
    user = request.user
    if isinstance(user, AnonymousUser):
        raise PermissionDenied
    return user


class PetitionAdminSite(admin.AdminSite):
    site_header = _("Petition organizers")
    site_title = _("Petition organizers")
    index_title = _("Campaigns and signatures")

    # Password guessing is slowed per address (every attempt counts) and per
    # account name (only failed attempts count, so nobody can lock an
    # organizer out by sending their name, and logging in costs nothing).
    def admin_view(self, view, cacheable=False):
        # Admin addresses carry searches for signers (?q=Jane+Doe, a postal
        # code): none may reach another site as a referrer.
        return same_origin_referrer(super().admin_view(view, cacheable))

    @method_decorator(same_origin_referrer)
    @method_decorator(
        ratelimit(
            key="ip",
            rate=rate_setting("ADMIN_LOGIN_RATE"),
            method="POST",
            group="admin-login-ip",
        )
    )
    def login(self, request, extra_context=None):
        account_limit = {
            "group": "admin-login-account",
            "key": _account,
            "rate": rate_setting("ADMIN_LOGIN_RATE_PER_ACCOUNT"),
            "method": "POST",
        }
        if request.method == "POST" and is_ratelimited(
            request, increment=False, **account_limit
        ):
            raise Ratelimited
        response = super().login(request, extra_context)
        if request.method == "POST" and not request.user.is_authenticated:
            is_ratelimited(request, increment=True, **account_limit)
        return response

    def get_urls(self):
        return [
            path(
                "email-queue.json",
                self.admin_view(self.email_queue_view),
                name="email_queue",
            ),
            *super().get_urls(),
        ]

    def email_queue_view(self, request: HttpRequest) -> JsonResponse:
        """For operators' monitoring: how far behind the emails are. Staff
        only (admin_view), never cached."""
        from signatures.dashboard import email_queue  # the admin loads first

        queue = email_queue()
        return JsonResponse(
            {"queued_in_database": queue is not None}
            | (queue.as_json() if queue else {})
        )
