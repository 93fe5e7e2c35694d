"""Views every app shares: the error pages, and the referrer policy for
pages whose address is a secret."""

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseServerError,
)
from django.template import loader
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import requires_csrf_token

from core.context_processors import site_name, site_tagline

_Response = TypeVar("_Response", bound=HttpResponseBase)


def same_origin_referrer(
    view: Callable[..., _Response],
) -> Callable[..., _Response]:
    """No referrer at all to another site, the full one to this site: for
    pages whose address carries what no other site may read (a signer's
    confirm or manage link, a password-reset token, an organizer's search
    for a signer's name). Not
    "no-referrer": under it Chromium posts the page's own forms with
    "Origin: null", which Django's CSRF check refuses."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> _Response:
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "same-origin"
        return response

    return wrapped


# Long enough for a database restart or failover, short enough that a signer
# who waits is not lost.
RETRY_AFTER_SECONDS = 30


def _site() -> dict:
    """What the header and footer need, without the context processors."""
    return {"SITE_NAME": site_name(), "SITE_TAGLINE": site_tagline()}


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponseServerError:
    """The friendly 500 page, with no context processors: whatever failed
    may be among them, and this page must render regardless."""
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render(_site()))


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """The friendly 503 page while the database is away. Rendered from the
    template alone, like the 500 page: sessions, users and messages may all
    need the database. Never cached, by a browser or a proxy, so the page
    comes back as soon as the site does."""
    template = loader.get_template("503.html")
    response = HttpResponse(template.render(_site()), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response
