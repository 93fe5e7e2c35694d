"""Caching headers for pages that every visitor gets the same.

Cache-Control is read by browsers and shared caches alike, so it carries
only what a browser may do: keep the page `browser` seconds, and no longer
(no stale-while-revalidate: a browser would show a page it knows to be old,
a count that went down, a petition since closed). Shared caches get their
own lifetime in `s-maxage`, and a CDN its stale-while-revalidate in
CDN-Cache-Control (RFC 9213), which browsers ignore. nginx in front serves
stale copies while it updates on its own (proxy_cache_use_stale updating,
deploy/nginx.conf).
"""

from collections.abc import Callable
from functools import wraps

from django.http import HttpResponse
from django.utils.cache import patch_cache_control

LANGUAGE_NEUTRAL = "language_neutral"


def shared_cache_headers(
    response: HttpResponse, *, browser: int, shared: int, stale: int
) -> None:
    patch_cache_control(response, public=True, max_age=browser, s_maxage=shared)
    response["CDN-Cache-Control"] = (
        f"public, max-age={shared}, stale-while-revalidate={stale}"
    )


def shared_cache(
    *, browser: int, shared: int | None = None, stale: int
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """shared_cache_headers as a view decorator; `shared` defaults to `browser`."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(*args, **kwargs) -> HttpResponse:
            response = view(*args, **kwargs)
            shared_cache_headers(
                response,
                browser=browser,
                shared=browser if shared is None else shared,
                stale=stale,
            )
            return response

        return wrapped

    return decorator


def language_neutral(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """A response the same in every language (outside i18n_patterns):
    LanguageNeutralMiddleware takes back the `Vary: Accept-Language` and
    Content-Language that LocaleMiddleware gives every such response, so a
    cache in front keeps one copy, not one per Accept-Language string."""

    @wraps(view)
    def wrapped(*args, **kwargs) -> HttpResponse:
        response = view(*args, **kwargs)
        setattr(response, LANGUAGE_NEUTRAL, True)
        return response

    return wrapped
