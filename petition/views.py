from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import translate_url
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from petition.markup import plain_summary, render_campaign
from petition.models import FootnoteText, Petition
from signatures.forms import SignatureForm
from signatures.services import petition_stats

# Link previews name the audience's locale: Canadian English and French.
OG_LOCALES = {"en": "en_CA", "fr": "fr_CA"}


def _petition_page(request: HttpRequest, petition: Petition) -> HttpResponse:
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
    return render(
        request,
        "petition/detail.html",
        {
            "petition": petition,
            "text": text,
            "content": content,
            "footnotes": footnotes,
            "summary": plain_summary(text.body),
            # The canonical page is the one in the language actually shown.
            "canonical_url": request.build_absolute_uri(
                translate_url(petition.get_absolute_url(), text.language)
            ),
            "og_locale": OG_LOCALES.get(text.language, "en_CA"),
            "stats": petition_stats(petition),
            "form": SignatureForm(),
        },
    )


@require_safe
def featured(request: HttpRequest) -> HttpResponse:
    petition = Petition.objects.featured()
    if petition is None:
        raise Http404(_("No petition has been published yet."))
    return _petition_page(request, petition)


@require_safe
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    petition = get_object_or_404(Petition.objects.published(), slug=slug)
    return _petition_page(request, petition)


@require_safe
@cache_control(public=True, max_age=2, stale_while_revalidate=30)
def count_json(request: HttpRequest, slug: str) -> JsonResponse:
    """The public count, for the page's live refresh, embeds and other sites:
    readable from any origin, and cacheable by a CDN for two seconds."""
    petition = get_object_or_404(Petition.objects.published(), slug=slug)
    stats = petition_stats(petition)
    response = JsonResponse(
        {
            "count": stats.count,
            "goal": stats.goal,
            "open": petition.is_open,
            "url": request.build_absolute_uri(petition.get_absolute_url()),
        }
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response
