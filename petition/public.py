"""What the public sees of a petition: the read model every public page reads.

Its text, footnotes, open state, count, goal and latest signers come from
one entry per petition in the shared cache (Redis in production), so every
process and host serves the same figures and an edit shows everywhere at
once. One rule keeps it true:

- the database is read again at most once per SIGNATURE_COUNT_CACHE_SECONDS
  (by one request, while the others keep serving the entry they have);
  so is the slug (or "featured") to id lookup that leads to the entry, and
  both are kept an hour, so while the database is away the public sees
  what it saw;
- an edit to a petition or its footnotes drops its entry (forget), as does
  a change the running tally cannot carry (a name leaving the latest
  signers: signatures.counts.recount_on_next_read);
- a counted signature moves the count at once through the tally
  (signatures.counts.tally), added to the figure of the last read; a tally
  lost or behind that read makes the entry stale (_entry).

Entries hold plain values only, under keys that name their format and the
columns they hold (signatures.counts.cache_format), so a release never
reads what another left; an unreadable value is a miss.

The campaign page, count.json, the widget and the pages after signing
read only through public_petition / featured_petition and public_stats.
The page itself is then cached by whatever stands in front of the app
(nginx, a CDN) for PAGE_CACHE_SECONDS: see petition/views.py.
"""

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, transaction
from django.db.models.fields.files import FieldFile
from django.http import Http404
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from core.cache_reads import readable
from petition.models import Footnote, Petition
from signatures.counts import (
    PetitionStats,
    cache_format,
    confirmations_key,
    counted_now,
    entry_key,
    progress_goal,
    tally_baseline,
)

logger = logging.getLogger(__name__)

# Entries outlive their freshness, so a stale one is served while one
# request reads the database again, or while the database is away.
_KEPT_FOR = 3600
# Where the figures read with an entry ride on the instance made from it.
_FIGURES = "public_figures"
_FOOTNOTES = "public_footnotes"


def _slug_key(slug: str) -> str:
    return f"public:{cache_format()}:slug:{slug}"


def _featured_key() -> str:
    return f"public:{cache_format()}:featured"


def _now() -> float:
    return time.time()


def public_url(path: str) -> str:
    """An absolute link to one of our pages, for pages that are cached and
    shared (by a proxy, a CDN, another site): always from SITE_URL, never
    from the Host header or port of whichever request rendered them first."""
    return settings.SITE_URL + path


def _column(instance: Petition | Footnote, attname: str) -> Any:
    value = getattr(instance, attname)
    # An uploaded image's column holds its name; the FieldFile that stands
    # for it carries the whole instance with it.
    return value.name if isinstance(value, FieldFile) else value


def _row(instance: Petition | Footnote) -> tuple:
    return tuple(_column(instance, f.attname) for f in instance._meta.concrete_fields)


def _read(petition_id: int) -> dict[str, Any]:
    """The entry: plain values only (no model instance, no class of ours),
    so a release that changes a class or adds a column never meets an
    entry it cannot read (and its new fields change cache_format())."""
    # The tally is read before the count: a change tallied after that read
    # may also be in the count, off by one until the next read.
    tallied = tally_baseline(petition_id)
    petition = Petition.objects.published().filter(pk=petition_id).first()
    count, signers = counted_now(petition_id) if petition else (0, [])
    entry = {
        "petition": _row(petition) if petition else None,
        "footnotes": [_row(f) for f in petition.footnotes.all()] if petition else [],
        "count": count,
        "signers": signers,
        "tally": tallied,
        "fresh_until": _now() + settings.SIGNATURE_COUNT_CACHE_SECONDS,
    }
    cache.set(entry_key(petition_id), entry, _KEPT_FOR)
    return entry


def _usable(entry: object) -> bool:
    return (
        isinstance(entry, dict)
        and {
            "petition",
            "footnotes",
            "count",
            "signers",
            "tally",
            "fresh_until",
        }
        <= entry.keys()
    )


def _entry(petition_id: int, *, fresh: bool = False) -> tuple[dict[str, Any], int]:
    """The entry for this petition, read again if stale (by one request at a
    time), and the running tally to add to its count.

    One rule ties the count to the tally: the count shown is the count read
    plus what was tallied since, and only while the tally is at least what
    it was at that read. A tally gone (expired, evicted, Redis restarted) or
    below it (a withdrawal, or a tally started afresh) makes the entry stale:
    it is read again, and until then the count of the last read is shown."""
    key, tally_key = entry_key(petition_id), confirmations_key(petition_id)
    cached = readable([key, tally_key])
    entry = cached.get(key)
    if not _usable(entry):
        entry = None
    tallied = cached.get(tally_key)
    behind = entry is not None and (
        not isinstance(tallied, int) or tallied < entry["tally"]
    )
    if (
        entry is None
        or fresh
        or (
            (behind or _now() >= entry["fresh_until"])
            and cache.add(f"{key}:reading", 1, 30)
        )
    ):
        try:
            entry = _read(petition_id)
        except (DatabaseError, InterfaceError):
            if entry is None:
                raise  # nothing to show: the friendly 503
            # The database is away: the public sees what it saw, and one
            # request tries again when the claim expires, in 30 s.
            logger.warning("Public figures of petition %s kept: no database", key)
        else:
            cache.delete(f"{key}:reading")
            return entry, entry["tally"]
    if behind or not isinstance(tallied, int):
        return entry, entry["tally"]
    return entry, tallied


def _petition_id(key: str, find: Callable[[], int | None]) -> int:
    """A slug (or "featured") to the id of the published petition it names,
    0 for none. Under the entry's rule: looked up again once it is
    SIGNATURE_COUNT_CACHE_SECONDS old (by one request at a time), and kept
    as long as an entry is, so that while the database is away the last id
    found still leads to the entry kept for it."""
    found = readable([key]).get(key)
    if not (isinstance(found, tuple) and len(found) == 2):
        found = None
    if found is None or (_now() >= found[1] and cache.add(f"{key}:reading", 1, 30)):
        try:
            petition_id = find() or 0
        except (DatabaseError, InterfaceError):
            if found is None:
                raise
            logger.warning("Public address %s kept: no database", key)
            return found[0]
        # An address that names nothing is forgotten soon: anyone can make
        # up as many as they like.
        kept = _KEPT_FOR if petition_id else settings.SIGNATURE_COUNT_CACHE_SECONDS
        cache.set(
            key,
            (petition_id, _now() + settings.SIGNATURE_COUNT_CACHE_SECONDS),
            kept,
        )
        cache.delete(f"{key}:reading")
        return petition_id
    return found[0]


def _shown(entry: dict[str, Any], tallied: int) -> Petition | None:
    """This request's own instance, made from the entry's values: it carries
    its footnotes and the figures read with it, so neither the page nor
    public_stats makes another round trip for them."""
    if entry["petition"] is None:
        return None
    fields = [f.attname for f in Petition._meta.concrete_fields]
    petition = Petition.from_db(None, fields, entry["petition"])
    footnote_fields = [f.attname for f in Footnote._meta.concrete_fields]
    setattr(
        petition,
        _FOOTNOTES,
        [Footnote.from_db(None, footnote_fields, row) for row in entry["footnotes"]],
    )
    setattr(petition, _FIGURES, (entry, tallied))
    return petition


def public_footnotes(petition: Petition) -> list[Footnote]:
    """The footnotes of a petition the read model gave, in number order."""
    footnotes = getattr(petition, _FOOTNOTES, None)
    if footnotes is None:
        return list(petition.footnotes.all())
    return footnotes


def public_petition(slug: str, *, fresh: bool = False) -> Petition | None:
    """The published petition at `slug`, as the public sees it: at most
    SIGNATURE_COUNT_CACHE_SECONDS old, or read now if `fresh` (for a caller
    that found the public copy out of date: the copy every process shares
    is replaced by what was read). The instance is made from cached values:
    read it, never save it."""
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
    petition = _shown(*_entry(petition_id, fresh=fresh))
    if petition is None or petition.slug != slug or not petition.is_published:
        # Renamed or unpublished since the slug was looked up.
        cache.delete(_slug_key(slug))
        return None
    return petition


def featured_petition() -> Petition | None:
    """The petition the home page shows: the most recently published."""
    petition_id = _petition_id(
        _featured_key(),
        lambda: getattr(Petition.objects.featured(), "pk", None),
    )
    if not petition_id:
        return None
    petition = _shown(*_entry(petition_id))
    if petition is None or not petition.is_published:
        cache.delete(_featured_key())
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
    figures = getattr(petition, _FIGURES, None)
    entry, tallied = figures or _entry(petition.pk)
    count = max(0, entry["count"] + tallied - entry["tally"])
    if not petition.is_open and petition.closed_count is not None:
        # Frozen when it closed: a withdrawal or an erasure since changes the
        # rows, not the figure the petition closed with.
        count = petition.closed_count
    return PetitionStats(
        count=count,
        goal=progress_goal(count, petition.goal),
        recent_signers=[tuple(signer) for signer in entry["signers"][:recent]],
    )


def _page_key(path: str) -> str:
    return f"public:{cache_format()}:page:{path}"


def public_page(path: str, render: Callable[[], bytes]) -> tuple[bytes, int]:
    """The campaign page at `path` (its language is in it), rendered at most
    once per PAGE_CACHE_SECONDS for all processes and hosts, as the proxy in
    front keeps it: rendering costs several times what serving it from here
    does, which a request that bypasses the proxy still pays. Asked before
    the petition itself, so a kept page costs one cache read. An organizer's
    edit drops it at once (petition_saved).

    Returns the page and how many more seconds it may be kept (what a cache
    in front may still keep it for: together never more than
    PAGE_CACHE_SECONDS)."""
    if not settings.PAGE_CACHE_SECONDS or len(path) > 200:
        return render(), settings.PAGE_CACHE_SECONDS  # too long: a 404
    key = _page_key(path)
    kept = readable([key]).get(key)
    now = _now()
    if isinstance(kept, tuple) and len(kept) == 2:
        rendered_at, page = kept
        # Capped: another host's clock a little ahead must not lengthen it.
        left = min(
            int(rendered_at + settings.PAGE_CACHE_SECONDS - now),
            settings.PAGE_CACHE_SECONDS,
        )
        if left > 0:
            return page, left
    page = render()
    cache.set(key, (now, page), settings.PAGE_CACHE_SECONDS)
    return page, settings.PAGE_CACHE_SECONDS


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
    cache.delete_many([entry_key(petition_id), _featured_key()])


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
