from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from core.ratelimits import rate_setting
from petition.public import public_petition
from signatures.crossorigin import cross_site_refused
from signatures.forms import clean_source
from visits.counter import count_view

_View = Callable[..., HttpResponse]


def _per_address(setting: str, *, group: str) -> Callable[[_View], _View]:
    # Marks the request limited rather than refusing it: the view answers
    # 429 itself, with no body.
    return ratelimit(
        key="ip", rate=rate_setting(setting), method="POST", group=group, block=False
    )


# The campaign page's own script posts here once per browser, petition and
# day (static/js/site.js): a view the cache in front of the page never lets
# the app see. Guarded as the sign form is, since it carries no token
# either, and limited per address; answered with no body, kept by no cache.
# No database: the petition is found through the public read model and
# the view counted in the shared cache (visits/counter.py).
@never_cache
@cross_site_refused
@require_POST
@_per_address("PAGE_VIEW_RATE_PER_MINUTE", group="page-view")
# A day's allowance too: a script under the minute's limit would otherwise
# add a view a second all day (one browser counts once a day).
@_per_address("PAGE_VIEW_RATE_PER_DAY", group="page-view-day")
def page_view(request: HttpRequest, slug: str) -> HttpResponse:
    if getattr(request, "limited", False):
        return HttpResponse(status=429)
    petition = public_petition(slug)
    if petition is None:
        return HttpResponse(status=404)
    count_view(
        petition.pk, timezone.localdate(), clean_source(request.POST.get("source"))
    )
    return HttpResponse(status=204)
