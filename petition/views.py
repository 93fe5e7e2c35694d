from collections.abc import Callable

from csp.decorators import csp_replace
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import translate_url
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from petition.markup import plain_summary, render_campaign
from petition.models import FootnoteText, Petition
from petition.public import (
    featured_petition,
    public_page,
    public_stats,
    public_url,
    published_or_404,
)
from signatures.forms import SignatureForm

# Link previews name the audience's locale: Canadian English and French.
OG_LOCALES = {"en": "en_CA", "fr": "fr_CA"}


def _petition_page(request: HttpRequest, find: Callable[[], Petition]) -> HttpResponse:
    """The campaign page: the same bytes for every visitor of a language (no
    CSRF token, no time stamp, no cookie; the sign form is guarded by its
    request headers instead, see signatures/crossorigin.py), so any cache
    in front of the app may keep it and serve it to everyone."""
    page = public_page(request.path, lambda: _render_petition_page(request, find()))
    response = HttpResponse(page)
    # Browsers ask again each time (max-age=0); a shared cache keeps the page
    # for PAGE_CACHE_SECONDS and serves it a while longer as it fetches anew.
    patch_cache_control(
        response,
        public=True,
        max_age=0,
        s_maxage=settings.PAGE_CACHE_SECONDS,
        stale_while_revalidate=settings.PAGE_STALE_SECONDS,
    )
    return response


def _render_petition_page(request: HttpRequest, petition: Petition) -> bytes:
    text = petition.text()
    footnotes = [
        FootnoteText(footnote, footnote.text_in(text.language))
        for footnote in petition.footnotes.all()
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
@cache_control(public=True, max_age=2, stale_while_revalidate=30)
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
            "url": public_url(petition.get_absolute_url()),
        }
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
@xframe_options_exempt
# django-csp types a view as taking the request alone; its wrapper passes
# the URL's arguments (the slug) on.
@csp_replace({"frame-ancestors": ["*"]})  # type: ignore[arg-type]
@cache_control(public=True, max_age=5, stale_while_revalidate=60)
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
