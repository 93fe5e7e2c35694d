"""What the public sees of a petition: the read model every public page reads.

Its text, footnotes, open state, count, goal and latest signers come from
one entry per petition in the shared cache (Redis in production), so every
process and host serves the same figures and an edit shows everywhere at
once. One rule keeps it true:

- the database is read again at most once per SIGNATURE_COUNT_CACHE_SECONDS
  (by one request, while the others keep serving the entry they have);
- an edit to a petition or its footnotes drops its entry (forget), as does
  a change the running tally cannot carry (a name leaving the latest
  signers: signatures.counts.recount_on_next_read);
- a counted signature moves the count at once through the tally
  (signatures.counts.tally), added to the figure of the last read.

The campaign page, count.json, the widget and the pages after signing
read only through public_petition / featured_petition and public_stats.
The page itself is then cached by whatever stands in front of the app
(nginx, a CDN) for PAGE_CACHE_SECONDS: see petition/views.py.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from petition.models import Petition
from signatures.counts import (
    PetitionStats,
    confirmations_key,
    counted_now,
    entry_key,
    progress_goal,
)

logger = logging.getLogger(__name__)

# Entries outlive their freshness, so a stale one is served while one
# request reads the database again.
_KEPT_FOR = 3600
_FEATURED_KEY = "public:featured"


def _slug_key(slug: str) -> str:
    return f"public:slug:{slug}"


def _now() -> float:
    return time.time()


@dataclass(frozen=True)
class _Entry:
    petition: Petition | None
    count: int
    signers: list[tuple[str, str]]
    tally: int  # the running tally when the count was read
    fresh_until: float


def public_url(path: str) -> str:
    """An absolute link to one of our pages, for pages that are cached and
    shared (by a proxy, a CDN, another site): always from SITE_URL, never
    from the Host header or port of whichever request rendered them first."""
    return settings.SITE_URL + path


def _read(petition_id: int, tallied: int) -> _Entry:
    # The tally was read before the count: a change tallied after that read
    # may also be in the count, off by one until the next read.
    petition = (
        Petition.objects.published()
        .filter(pk=petition_id)
        .prefetch_related("footnotes")
        .first()
    )
    count, signers = counted_now(petition_id) if petition else (0, [])
    entry = _Entry(
        petition=petition,
        count=count,
        signers=signers,
        tally=tallied,
        fresh_until=_now() + settings.SIGNATURE_COUNT_CACHE_SECONDS,
    )
    cache.set(entry_key(petition_id), entry, _KEPT_FOR)
    return entry


def _entry(petition_id: int) -> tuple[_Entry, int]:
    """The entry for this petition, read again if stale (by one request at a
    time), and the running tally."""
    key = entry_key(petition_id)
    cached = cache.get_many([key, confirmations_key(petition_id)])
    entry = cached.get(key)
    tallied = cached.get(confirmations_key(petition_id), 0)
    if entry is None or (
        _now() >= entry.fresh_until and cache.add(f"{key}:reading", 1, 30)
    ):
        try:
            entry = _read(petition_id, tallied)
        except DatabaseError:
            if entry is None:
                raise  # nothing to show: the friendly 503
            # The database is away: the public sees what it saw, and one
            # request tries again when the claim expires, in 30 s.
            logger.warning("Public figures of petition %s kept: no database", key)
            return entry, tallied
        cache.delete(f"{key}:reading")
    return entry, tallied


def _petition_id(key: str, find: Callable[[], int | None]) -> int:
    """A slug (or "featured") to the id of the published petition it names,
    0 for none; looked up at most once per SIGNATURE_COUNT_CACHE_SECONDS."""
    petition_id = cache.get(key)
    if petition_id is None:
        petition_id = find() or 0
        cache.set(key, petition_id, settings.SIGNATURE_COUNT_CACHE_SECONDS)
    return petition_id


def _shown(entry: _Entry, tallied: int) -> Petition | None:
    # The instance is this request's own (unpickled from the cache): it
    # carries the figures read with it, so public_stats makes no second
    # round trip for them. The attribute is this module's own, added on
    # purpose to no model field, and read back only by public_stats.
    if entry.petition is not None:
        entry.petition._public_figures = (entry, tallied)  # type: ignore[attr-defined]  # noqa: SLF001
    return entry.petition


def public_petition(slug: str, *, fresh: bool = False) -> Petition | None:
    """The published petition at `slug`, as the public sees it: at most
    SIGNATURE_COUNT_CACHE_SECONDS old, or read now if `fresh`. The instance
    is shared through the cache: read it, never save it."""
    longest = Petition._meta.get_field("slug").max_length
    if longest is not None and len(slug) > longest:
        return None  # no petition has it; nor should the cache hold it
    petition_id = _petition_id(
        _slug_key(slug),
        lambda: (
            Petition.objects.published()
            .filter(slug=slug)
            .values_list("pk", flat=True)
            .first()
        ),
    )
    if not petition_id:
        return None
    if fresh:
        forget(petition_id)
    petition = _shown(*_entry(petition_id))
    if petition is None or petition.slug != slug or not petition.is_published:
        # Renamed or unpublished since the slug was looked up.
        cache.delete(_slug_key(slug))
        return None
    return petition


def featured_petition() -> Petition | None:
    """The petition the home page shows: the most recently published."""
    petition_id = _petition_id(
        _FEATURED_KEY,
        lambda: getattr(Petition.objects.featured(), "pk", None),
    )
    if not petition_id:
        return None
    petition = _shown(*_entry(petition_id))
    if petition is None or not petition.is_published:
        cache.delete(_FEATURED_KEY)
        return None
    return petition


def published_or_404(slug: str, *, fresh: bool = False) -> Petition:
    petition = public_petition(slug, fresh=fresh)
    if petition is None:
        raise Http404(_("No petition at this address."))
    return petition


def public_stats(petition: Petition, *, recent: int = 5) -> PetitionStats:
    """The public count, goal and latest public signers: the last read from
    the database plus what was tallied since, so a signer who just confirmed
    sees the count include them. A closed petition shows the count it closed
    with."""
    figures = getattr(petition, "_public_figures", None)
    entry, tallied = figures or _entry(petition.pk)
    count = max(0, entry.count + tallied - entry.tally)
    if not petition.is_open and petition.closed_count is not None:
        # Frozen when it closed: a withdrawal or an erasure since changes the
        # rows, not the figure the petition closed with.
        count = petition.closed_count
    return PetitionStats(
        count=count,
        goal=progress_goal(count, petition.goal),
        recent_signers=entry.signers[:recent],
    )


def _page_key(path: str) -> str:
    return f"public:page:{path}"


def public_page(path: str, render: Callable[[], bytes]) -> bytes:
    """The campaign page at `path` (its language is in it), rendered at most
    once per PAGE_CACHE_SECONDS for all processes and hosts, as the proxy in
    front keeps it: rendering costs several times what serving it from here
    does, which a request that bypasses the proxy still pays. Asked before
    the petition itself, so a kept page costs one cache read. Its count is
    at most PAGE_CACHE_SECONDS old, as the proxy's copy is; an organizer's
    edit drops it at once (petition_saved)."""
    if not settings.PAGE_CACHE_SECONDS or len(path) > 200:
        return render()  # an address that long names no petition: a 404
    page = cache.get(_page_key(path))
    if page is None:
        page = render()
        cache.set(_page_key(path), page, settings.PAGE_CACHE_SECONDS)
    return page


def _page_paths(slug: str) -> list[str]:
    """Every address the campaign page of `slug` may be kept under: its own
    and the home page's (it may be the featured one), in each language."""
    paths = []
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            paths.append(reverse("petition:detail", kwargs={"slug": slug}))
            paths.append(reverse("petition:featured"))
    return paths


def forget(petition_id: int) -> None:
    """Drop what the public sees of this petition: the next view reads it
    from the database."""
    cache.delete_many([entry_key(petition_id), _FEATURED_KEY])


def petition_saved(*, instance, using: str, **kwargs) -> None:
    """An organizer's edit (the petition or a footnote, saved or deleted)
    shows on the next view, on every host. Dropped again once the save
    commits: a view in between may read the old row and keep it."""
    slug: str | None
    if isinstance(instance, Petition):
        petition_id, slug = instance.pk, instance.slug
    else:  # a footnote
        petition_id = instance.petition_id
        slug = (
            Petition.objects.filter(pk=petition_id)
            .values_list("slug", flat=True)
            .first()
        )

    def drop() -> None:
        forget(petition_id)
        if slug:
            # A slug just published, or taken by a rename; its pages.
            cache.delete_many([_slug_key(slug), *map(_page_key, _page_paths(slug))])

    drop()
    transaction.on_commit(drop, using=using)
