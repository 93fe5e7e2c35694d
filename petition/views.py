import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from csp.decorators import csp_replace
from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse, translate_url
from django.utils.formats import number_format
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from core.context_processors import site_name
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
from petition.share_image import (
    BRAND,
    PAPER,
    SHARE_SIZE,
    favicon_ico,
    icon_png,
    share_png,
)
from petition.uploads import UPLOAD_FOLDER
from signatures.form_clock import issued_token
from signatures.forms import SignatureForm

# Link previews name the audience's locale: Canadian English and French.
OG_LOCALES = {"en": "en_CA", "fr": "fr_CA"}
# The manifest's icons (the sizes browsers ask for) and iOS's home screen icon.
ICON_SIZES = (192, 512)
APPLE_TOUCH_ICON_SIZE = 180


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


@dataclass(frozen=True)
class Logo:
    url: str
    width: int | None
    height: int | None


def uploaded_image_url(name: str) -> str:
    return reverse("uploaded-image", kwargs={"name": name})


def _share_image(petition: Petition, language: str) -> tuple[str, str]:
    """The address and type of the share image of `language`: the one the
    organizer uploaded for it, else the one drawn (never another language's
    upload: it may hold words)."""
    if uploaded := petition.uploaded_share_image(language):
        return public_url(uploaded_image_url(uploaded)), "image/jpeg"
    drawn = reverse("petition:share-image", kwargs={"slug": petition.slug})
    return public_url(translate_url(drawn, language)), "image/png"


def _logo(petition: Petition) -> Logo | None:
    if not petition.organizer_logo:
        return None
    return Logo(
        url=uploaded_image_url(petition.organizer_logo.name),
        width=petition.organizer_logo_width,
        height=petition.organizer_logo_height,
    )


def _render_petition_page(request: HttpRequest, petition: Petition) -> bytes:
    text = petition.text()
    share_image_url, share_image_type = _share_image(petition, text.language)
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
            # Only the languages the petition is published in: a French page
            # showing the English text is the English page's copy.
            "og_locale_alternates": [
                OG_LOCALES[code]
                for code in petition.published_languages
                if code != text.language and code in OG_LOCALES
            ],
            "share_image_url": share_image_url,
            "share_image_type": share_image_type,
            "share_image_size": SHARE_SIZE,
            "organizer_logo": _logo(petition),
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


# The share image is drawn again at most this often (and a cache in front
# keeps it as long): a count a few minutes old is fine on a preview card.
SHARE_IMAGE_SECONDS = 300
# Icons change only with a release; a day keeps browsers from asking often
# while letting a new one show by the next day (their addresses are fixed).
ICON_SECONDS = 86400


def _share_image_key(petition: Petition, language: str, title: str) -> str:
    # The title is in the key so an organizer's edit shows at once; the
    # count is not, so it refreshes once per SHARE_IMAGE_SECONDS at most.
    digest = hashlib.sha256(title.encode()).hexdigest()[:16]
    return f"share-image:v1:{petition.pk}:{language}:{digest}"


@require_safe
def share_image(request: HttpRequest, slug: str) -> HttpResponse:
    """The link preview card of a petition in this language (og:image)."""
    petition = published_or_404(slug)
    text = petition.text()
    key = _share_image_key(petition, text.language, text.title)
    png = cache.get(key)
    if not isinstance(png, bytes):
        stats = public_stats(petition)
        count_line = ngettext(
            "%(count)s signature", "%(count)s signatures", stats.count
        ) % {"count": number_format(stats.count, force_grouping=True)}
        png = share_png(
            title=text.title,
            count_line=count_line,
            percent=stats.percent,
            site_name=site_name(),
        )
        cache.set(key, png, SHARE_IMAGE_SECONDS)
    response = HttpResponse(png, content_type="image/png")
    shared_cache_headers(
        response, browser=SHARE_IMAGE_SECONDS, shared=SHARE_IMAGE_SECONDS, stale=60
    )
    return response


# An uploaded image's name is made of its content's hash: what is at a name
# never changes, so it may be kept long. A day, not a year: a removed image
# is gone from caches by the next day.
UPLOADED_IMAGE_SECONDS = 86400
_UPLOADED_NAME = re.compile(rf"{UPLOAD_FOLDER}/[A-Za-z0-9_-]+\.(jpg|png)")
_UPLOADED_TYPES = {"jpg": "image/jpeg", "png": "image/png"}


@require_safe
@language_neutral
def uploaded_image(request: HttpRequest, name: str) -> HttpResponse:
    """An image an organizer uploaded (a logo, a share image), read from the
    storage, whichever it is (local files, S3): served by the app, so no
    other server has to, and the page's images all come from this site."""
    match = _UPLOADED_NAME.fullmatch(name)
    if match is None:
        raise Http404
    try:
        # Read whole: a share image or logo is a few hundred kilobytes.
        with default_storage.open(name) as file:
            body = file.read()
    except FileNotFoundError:
        raise Http404 from None
    return _kept_response(
        body, _UPLOADED_TYPES[match.group(1)], seconds=UPLOADED_IMAGE_SECONDS
    )


def _kept_response(body: bytes, content_type: str, *, seconds: int) -> HttpResponse:
    """An answer that changes at most with a release or a new upload: kept,
    and served stale, as long by browsers as by a cache in front."""
    response = HttpResponse(body, content_type=content_type)
    shared_cache_headers(response, browser=seconds, shared=seconds, stale=seconds)
    return response


def _icon_response(body: bytes, content_type: str) -> HttpResponse:
    return _kept_response(body, content_type, seconds=ICON_SECONDS)


@require_safe
@language_neutral
def favicon(request: HttpRequest) -> HttpResponse:
    return _icon_response(favicon_ico(), "image/x-icon")


@require_safe
@language_neutral
def icon(request: HttpRequest, size: int) -> HttpResponse:
    if size not in ICON_SIZES:
        raise Http404
    return _icon_response(icon_png(size), "image/png")


@require_safe
@language_neutral
def apple_touch_icon(request: HttpRequest) -> HttpResponse:
    return _icon_response(icon_png(APPLE_TOUCH_ICON_SIZE), "image/png")


@require_safe
@shared_cache(browser=3600, stale=3600)
def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest in this language: the name a phone gives the
    site when it is added to the home screen, and where it opens."""
    language = get_language()
    return JsonResponse(
        {
            "name": site_name(),
            "short_name": site_name(),
            "lang": language,
            "start_url": reverse("petition:featured"),
            "scope": "/",
            "display": "browser",
            "background_color": PAPER,
            "theme_color": BRAND,
            "icons": [
                {
                    "src": reverse("icon", kwargs={"size": size}),
                    "sizes": f"{size}x{size}",
                    "type": "image/png",
                }
                for size in ICON_SIZES
            ],
        },
        content_type="application/manifest+json",
    )
