from collections.abc import Callable

from csp.decorators import csp_replace
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import translate_url
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from core.http_cache import language_neutral, shared_cache, shared_cache_headers
from petition.markup import plain_summary, render_campaign
from petition.models import FootnoteText, Petition
from petition.public import (
    featured_petition,
    public_footnotes,
    public_page,
    public_stats,
    public_url,
    published_or_404,
)
from signatures.form_clock import issued_token
from signatures.forms import SignatureForm

# Link previews name the audience's locale: Canadian English and French.
OG_LOCALES = {"en": "en_CA", "fr": "fr_CA"}


def _petition_page(request: HttpRequest, find: Callable[[], Petition]) -> HttpResponse:
    """The campaign page: the same bytes for every visitor of a language (no
    CSRF token, no time stamp, no cookie; the sign form is guarded by its
    request headers instead, see signatures/crossorigin.py), so any cache
    in front of the app may keep it and serve it to everyone."""
    page, left = public_page(
        request.path, lambda: _render_petition_page(request, find())
    )
    response = HttpResponse(page)
    # Browsers ask again each time (max-age=0); a shared cache keeps the page
    # for what is left of PAGE_CACHE_SECONDS since it was rendered (a copy
    # kept here is not made younger by passing it on).
    shared_cache_headers(
        response, browser=0, shared=left, stale=settings.PAGE_STALE_SECONDS
    )
    return response


def _render_petition_page(request: HttpRequest, petition: Petition) -> bytes:
    text = petition.text()
    footnotes = [
        FootnoteText(footnote, footnote.text_in(text.language))
        for footnote in public_footnotes(petition)
    ]
    content = render_campaign(
        text.body,
        text.why_important,
        frozenset(footnote.number for footnote in footnotes),
    )
    return render_to_string(
        "petition/detail.html",
        {
            "petition": petition,
            "text": text,
            "content": content,
            "footnotes": footnotes,
            "summary": plain_summary(text.body),
            # The canonical page is the one in the language actually shown.
            "canonical_url": public_url(
                translate_url(petition.get_absolute_url(), text.language)
            ),
            "og_locale": OG_LOCALES.get(text.language, "en_CA"),
            "stats": public_stats(petition),
            "form": SignatureForm(),
        },
        request,
    ).encode()


@require_safe
def featured(request: HttpRequest) -> HttpResponse:
    def find() -> Petition:
        petition = featured_petition()
        if petition is None:
            raise Http404(_("No petition has been published yet."))
        return petition

    return _petition_page(request, find)


@require_safe
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _petition_page(request, lambda: published_or_404(slug))


@require_safe
@language_neutral
@shared_cache(browser=2, stale=30)
def count_json(request: HttpRequest, slug: str) -> JsonResponse:
    """The public count, for the page's live refresh, embeds and other sites:
    readable from any origin, and cacheable by a CDN for two seconds."""
    petition = published_or_404(slug)
    stats = public_stats(petition)
    response = JsonResponse(
        {
            "count": stats.count,
            "goal": stats.goal,
            "open": petition.is_open,
            # When the sign form was shown, for its timing check: the page is
            # the same for everyone, so its script fetches this as it loads.
            "issued": issued_token(),
            # In the site's own language, whatever the visitor's: the
            # answer is the same for everyone (language_neutral).
            "url": public_url(
                translate_url(petition.get_absolute_url(), settings.LANGUAGE_CODE)
            ),
        }
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
@shared_cache(browser=5, stale=60)
def widget(request: HttpRequest, slug: str) -> HttpResponse:
    """The count and a link to sign, for organizers to embed in other sites
    with an <iframe>: the same for every visitor, so a CDN can serve it."""
    petition = published_or_404(slug)
    return render(
        request,
        "petition/widget.html",
        {
            "petition": petition,
            "text": petition.text(),
            "stats": public_stats(petition),
            "petition_url": public_url(petition.get_absolute_url()),
        },
    )
