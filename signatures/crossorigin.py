"""Cross-site request forgery protection for the anonymous sign form, without
a token: the campaign page carrying it is the same for every visitor, so a
proxy or CDN can keep it (petition/views.py).

The browser says where a POST comes from. django-modern-csrf reads it, as
Go's net/http CrossOriginProtection does: `Sec-Fetch-Site: same-origin` is
accepted, and so is `none` (the visitor's own action, such as a bookmark:
no other site can cause it); `same-site` and `cross-site` are refused
unless `Origin` is one of CSRF_TRUSTED_ORIGINS. A browser too old to send
`Sec-Fetch-Site` still sends `Origin`, checked the same way. Where neither
came (a very old browser, or no browser at all), an HTTPS request must
carry a `Referer` from this site, as Django's own check asks of HTTPS
requests; such a request without one is refused.

Everything else keeps Django's token CSRF (CsrfViewMiddleware): the admin,
the signer's manage, confirm and resend pages.
"""

import copy
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import REASON_NO_REFERER
from django.urls import get_callable
from django.views.decorators.csrf import csrf_exempt
from modern_csrf.decorators import csrf_protect as fetch_metadata_protect
from modern_csrf.middleware import ModernCsrfViewMiddleware

_SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


def _trusted(origin: str, request: HttpRequest) -> bool:
    """Whether django-modern-csrf would accept `origin` as the request's
    Origin header: this site's own, or one of CSRF_TRUSTED_ORIGINS."""
    probe = copy.copy(request)
    probe.META = {**request.META, "HTTP_ORIGIN": origin}
    # Made per call: the library keeps CSRF_TRUSTED_ORIGINS per instance.
    return ModernCsrfViewMiddleware(_no_response).has_verified_origin(probe)


def _no_response(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError  # only the origin check is asked of it


def _referer_from_here(request: HttpRequest) -> bool:
    try:
        parts = urlsplit(request.headers.get("Referer", ""))
    except ValueError:
        return False
    return bool(parts.netloc) and _trusted(f"{parts.scheme}://{parts.netloc}", request)


def cross_site_refused(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Refuse a POST that a browser says comes from another site, with the
    CSRF failure page (a 403). Django's test client skips it as it skips
    Django's own check (Client(enforce_csrf_checks=True) does not)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if (
            request.method not in _SAFE_METHODS
            and not getattr(request, "_dont_enforce_csrf_checks", False)
            and request.is_secure()
            and "Sec-Fetch-Site" not in request.headers
            and "Origin" not in request.headers
            and not _referer_from_here(request)
        ):
            return get_callable(settings.CSRF_FAILURE_VIEW)(
                request, reason=REASON_NO_REFERER
            )
        # Made per request, as cheap as a function call: the library keeps
        # CSRF_TRUSTED_ORIGINS from its first use, and tests change them.
        return fetch_metadata_protect(view)(request, *args, **kwargs)

    # Django's token check is for the pages that still carry a token.
    return csrf_exempt(wrapped)
