"""Page views counted in the shared cache, never in the database.

The campaign page is one copy for everyone, kept by nginx and any CDN, so
the app never sees most views of it. The page's script tells it instead:
one small POST per browser, petition and day (static/js/site.js), which
adds one to a counter per petition and day, and one per source, in the
shared cache (Redis in production: one INCRBY each). The days that are
over are folded into DailyViews by visits/services.py, so the cache only
has to keep a day until then; it keeps it KEPT_DAYS in case nobody folds
for a while."""

from contextlib import suppress
from datetime import date

from django.core.cache import cache

from signatures.sharing import SHARE_SOURCES

KEPT_DAYS = 35
# Sources a petition's day keeps apart; any further ones are counted in the
# total only (a made-up ?source= per request must not grow without end).
# The share step's own channels are always kept: made-up sources sent first
# cannot crowd them out.
SOURCES_PER_DAY = 30
# "" too: a plain link with no source.
SHARE_CHANNELS = SHARE_SOURCES | {""}
_KEPT_SECONDS = KEPT_DAYS * 24 * 3600


def total_key(petition_id: int, day: date) -> str:
    return f"views:v1:{petition_id}:{day.isoformat()}"


def sources_key(petition_id: int, day: date) -> str:
    """The sources seen that day, so their counters can be found again."""
    return f"{total_key(petition_id, day)}:sources"


def source_key(petition_id: int, day: date, source: str) -> str:
    return f"{total_key(petition_id, day)}:source:{source}"


def _add_one(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:  # not there yet: started at 1, kept KEPT_DAYS
        if not cache.add(key, 1, _KEPT_SECONDS):
            with suppress(ValueError):  # another request started it meanwhile
                cache.incr(key)


def count_view(petition_id: int, day: date, source: str) -> None:
    """One view of the petition's page on `day`, from `source` ("" for none)."""
    _add_one(total_key(petition_id, day))
    key = sources_key(petition_id, day)
    seen = cache.get(key)
    seen = seen if isinstance(seen, list) else []
    others = [name for name in seen if name not in SHARE_CHANNELS]
    if (
        source not in seen
        and source not in SHARE_CHANNELS
        and len(others) >= SOURCES_PER_DAY
    ):
        return
    _add_one(source_key(petition_id, day, source))
    if source not in seen:
        # Read, then written: of two new sources at the same instant one
        # name may be lost, and is written again by that source's next view
        # (its views counted meanwhile all the same).
        cache.set(key, [*seen, source], _KEPT_SECONDS)


def counted(petition_id: int, days: list[date]) -> dict[date, tuple[int, dict]]:
    """What the cache holds for these days: the total and the views per
    source of each day it has. Two round trips, however many days."""
    first = cache.get_many(
        [total_key(petition_id, day) for day in days]
        + [sources_key(petition_id, day) for day in days]
    )
    wanted = {}
    for day in days:
        seen = first.get(sources_key(petition_id, day))
        for source in seen if isinstance(seen, list) else []:
            wanted[source_key(petition_id, day, source)] = (day, source)
    per_source = cache.get_many(list(wanted))
    found: dict[date, tuple[int, dict]] = {}
    for day in days:
        total = first.get(total_key(petition_id, day))
        if isinstance(total, int):
            found[day] = (total, {})
    for key, (day, source) in wanted.items():
        views = per_source.get(key)
        if day in found and isinstance(views, int):
            found[day][1][source] = views
    return found
