import codecs
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from core.health import database_answers, healthz
from core.http_cache import LANGUAGE_NEUTRAL
from core.views import service_unavailable

logger = logging.getLogger(__name__)

HEALTH_CHECK_PATH = "/healthz"


class HealthCheckMiddleware:
    """Answer the health probe before host validation and HTTPS redirects.

    Load balancers and Docker probe the container by IP over plain HTTP, which
    ALLOWED_HOSTS and SECURE_SSL_REDIRECT would otherwise turn away.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == HEALTH_CHECK_PATH:
            return healthz(request)
        return self.get_response(request)


class DatabaseOutageMiddleware:
    """While the database cannot be reached, visitors get a friendly 503
    asking them to come back shortly, rather than the 500 "something broke".

    Nothing to reset when the database returns: each request takes a
    connection afresh (the pool drops broken ones and reconnects with a short
    backoff), so the site is back within seconds.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        # OperationalError: unreachable, restarting, out of connections, or a
        # pool that waited in vain. InterfaceError: a connection that broke.
        # But a deadlock, a timeout or a missing table are OperationalErrors
        # too, on a database that answers: those are bugs, for the 500 page
        # and the error log.
        if not isinstance(
            exception, OperationalError | InterfaceError
        ) or database_answers(quiet=True):
            return None
        # The class and the view only: the message and the path may carry a
        # signer's details (a confirmation token, a query's values).
        view = request.resolver_match.view_name if request.resolver_match else "-"
        logger.warning(
            "Database unavailable (%s): %s %s answered 503",
            type(exception).__name__,
            request.method,
            view,
        )
        response = service_unavailable(request)
        # This warning is the record: Django would log the 503 again as an
        # error, with the path. Django's own flag for that (set and read in
        # django.utils.log.log_response) has no public equivalent, nor a place
        # in the stubs.
        response._has_been_logged = True  # type: ignore[attr-defined]  # noqa: SLF001
        return response


class RequestSizeLimitMiddleware:
    """Refuse a body over DATA_UPLOAD_MAX_MEMORY_SIZE before anything reads it.

    Django applies that limit to form fields only: the file parts of a
    multipart body are read to memory or disk whatever their size. One form
    takes files, the petition's in the admin (its logo and share images):
    a logged-in organizer's post to it may be up to ADMIN_UPLOAD_MAX_SIZE.
    Every other body is held to the limit, with the same "too large" 400
    page as an oversized form.
    """

    UPLOAD_VIEWS = frozenset(
        {"admin:petition_petition_change", "admin:petition_petition_add"}
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def _takes_uploads(self, request: HttpRequest) -> bool:
        if not (request.user.is_authenticated and request.user.is_staff):
            return False
        try:
            return resolve(request.path_info).view_name in self.UPLOAD_VIEWS
        except Resolver404:
            return False

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body it cannot measure
        if limit is not None and length > limit and self._takes_uploads(request):
            limit = settings.ADMIN_UPLOAD_MAX_SIZE
        if limit is not None and length > limit:
            raise RequestDataTooBig(
                "Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE."
            )
        return self.get_response(request)


class TextCharsetMiddleware:
    """Refuse a body that names a codec which is no text encoding as its
    charset ("base64", "rot13", "zlib"...): Django takes any codec Python
    knows and its form parsers then raise LookupError, a 500. An unknown
    name Django ignores itself; a real text encoding is read as usual."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        charset = (request.content_params or {}).get("charset")
        if charset:
            try:
                codecs.lookup(charset)
            except LookupError:
                pass  # unknown: Django reads the body as DEFAULT_CHARSET
            else:
                try:
                    "".encode(charset)  # only a text encoding turns str to bytes
                except LookupError as error:
                    raise BadRequest(
                        "Request body charset is no text encoding."
                    ) from error
        return self.get_response(request)


class LanguageNeutralMiddleware:
    """Placed above LocaleMiddleware, so it sees the response after it: a
    view marked language-neutral (core.http_cache.language_neutral) does not
    vary on Accept-Language, whatever LocaleMiddleware added for a path
    outside i18n_patterns."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(response, LANGUAGE_NEUTRAL, False):
            vary = [
                field.strip()
                for field in response.get("Vary", "").split(",")
                if field.strip() and field.strip().lower() != "accept-language"
            ]
            if vary:
                response["Vary"] = ", ".join(vary)
            else:
                del response["Vary"]
            del response["Content-Language"]
        return response
