import time

from csp.decorators import csp_replace
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import translate_url
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from petition.kept import KeptInProcess
from petition.markup import plain_summary, render_campaign
from petition.models import FootnoteText, Petition
from petition.services import petition_published
from signatures.counts import petition_stats
from signatures.forms import SignatureForm, rendered_at_token

# Link previews name the audience's locale: Canadian English and French.
OG_LOCALES = {"en": "en_CA", "fr": "fr_CA"}


# Stand-ins for the two per-visitor values in an otherwise shared page.
_CSRF_SLOT = "csrf0token0slot0"
_RENDERED_AT_SLOT = "rendered0at0slot0"

# (petition, version, language, path) -> the page as UTF-8. Private to
# the process and kept as bytes: a shared cache would cost a network round
# trip and a copy for about as long as rendering takes.
_rendered_pages: KeptInProcess[bytes] = KeptInProcess(max_entries=500)


def rendered_pages_forget() -> None:
    _rendered_pages.clear()


def public_url(path: str) -> str:
    """An absolute link to one of our pages, for pages that are cached and
    shared (by this process, a CDN, another site): always from SITE_URL, never
    from the Host header or port of whichever request rendered them first."""
    return settings.SITE_URL + path


def _petition_page(request: HttpRequest, petition: Petition) -> HttpResponse:
    """The campaign page, rendered at most once a PAGE_CACHE_SECONDS per
    process and language; each visitor gets their own CSRF token and form
    render time put into the shared copy."""
    key = (
        petition.pk,
        petition.updated_at,
        get_language(),
        request.path,
    )
    page = _rendered_pages.get_or_make(
        key,
        lambda: _render_petition_page(request, petition).encode(),
        now=time.monotonic(),
    )
    page = page.replace(_CSRF_SLOT.encode(), get_token(request).encode()).replace(
        _RENDERED_AT_SLOT.encode(), rendered_at_token().encode()
    )
    response = HttpResponse(page)
    # The form carries this visitor's CSRF token: no shared cache may keep
    # the page. Read traffic a CDN can absorb goes to count.json and the widget.
    patch_cache_control(response, private=True, max_age=0)
    return response


def _render_petition_page(request: HttpRequest, petition: Petition) -> str:
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
            "stats": petition_stats(petition),
            "form": SignatureForm(initial={"rendered_at": _RENDERED_AT_SLOT}),
            "csrf_token": _CSRF_SLOT,
        },
        request,
    )


def published_or_404(slug: str, *, fresh: bool = False) -> Petition:
    petition = petition_published(slug=slug, fresh=fresh)
    if petition is None:
        raise Http404(_("No petition at this address."))
    return petition


@require_safe
def featured(request: HttpRequest) -> HttpResponse:
    petition = petition_published()
    if petition is None:
        raise Http404(_("No petition has been published yet."))
    return _petition_page(request, petition)


@require_safe
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    petition = published_or_404(slug)
    return _petition_page(request, petition)


@require_safe
@cache_control(public=True, max_age=2, stale_while_revalidate=30)
def count_json(request: HttpRequest, slug: str) -> JsonResponse:
    """The public count, for the page's live refresh, embeds and other sites:
    readable from any origin, and cacheable by a CDN for two seconds."""
    petition = published_or_404(slug)
    stats = petition_stats(petition)
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
@csp_replace({"frame-ancestors": ["*"]})
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
            "stats": petition_stats(petition),
            "petition_url": public_url(petition.get_absolute_url()),
        },
    )
