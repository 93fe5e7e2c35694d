from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url
from django.utils.translation import get_language, get_language_info


def _in_language(request: HttpRequest, language: str) -> str:
    """This page's address in another language, or that language's home.

    Without the query string: the campaign page is rendered once and shown to
    every visitor for a second, so one visitor's query (a tracking code, a
    subscriber id) must not end up in everyone's links.
    """
    current = get_language()
    url = translate_url(request.path, language)
    if url == request.path and language != current:
        prefix = f"/{current}/"
        path = request.path
        url = (
            f"/{language}/{path[len(prefix) :]}"
            if path.startswith(prefix)
            else f"/{language}/"
        )
    return url


def site_name(language: str | None = None) -> str:
    return settings.SITE_NAMES.get(language or get_language(), settings.SITE_NAME)


def site_tagline(language: str | None = None) -> str:
    return settings.SITE_TAGLINES.get(language or get_language(), settings.SITE_TAGLINE)


def site(request: HttpRequest) -> dict:
    """The site name and tagline, and this page in every language for the switcher and
    the hreflang alternates.

    Absolute addresses come from SITE_URL, never from the request's Host:
    pages are cached and shared, so one visitor's Host header (a port, an
    alias, a forged name) must not end up in everyone's links; and the 400
    page for a host we refuse renders through here too.
    """
    context: dict = {"SITE_NAME": site_name(), "SITE_TAGLINE": site_tagline()}
    if request.path.startswith(f"/{settings.ADMIN_URL}"):
        return context
    current = get_language()
    context["language_links"] = [
        {
            "code": code,
            "name": get_language_info(code)["name_local"],
            "url": _in_language(request, code),
            "absolute_url": settings.SITE_URL + _in_language(request, code),
            "current": code == current,
        }
        for code, _ in settings.LANGUAGES
    ]
    return context
