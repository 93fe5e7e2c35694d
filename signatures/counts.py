"""The public count of a petition: counted by the database now and then,
moved at once by a running tally of changes since."""

import time
from contextlib import suppress
from dataclasses import dataclass
from math import floor, log10

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Q, QuerySet

from petition.models import Petition
from signatures.models import PROVINCES, Signature
from signatures.normalize import first_name

_DAY = 24 * 3600


def confirmations_key(petition_id: int) -> str:
    return f"signatures:confirmations:{petition_id}"


def tally(petition_id: int, delta: int) -> None:
    """Add to the running tally of changes to the count since the last
    recount: confirmations up, invalidations and erasures down. The count shown
    is always the last recount plus this tally, so it moves at once."""
    key = confirmations_key(petition_id)
    cache.add(key, 0, _DAY)
    with suppress(ValueError):
        cache.incr(key, delta)
        cache.touch(key, _DAY)  # incr on a key that just expired leaves no expiry


@dataclass(frozen=True)
class PetitionStats:
    count: int
    goal: int
    recent_signers: list[tuple[str, str]]

    @property
    def recent_signers_display(self) -> list[tuple[str, str]]:
        names = dict(PROVINCES)
        return [(name, str(names.get(code, ""))) for name, code in self.recent_signers]

    @property
    def percent(self) -> int:
        return min(100, floor(100 * self.count / self.goal)) if self.goal else 100


def progress_goal(count: int, goal: int) -> int:
    """The organizers' goal, then 1-2.5-5 steps (1,000, 2,500, 5,000, ...) once passed."""
    if count < goal:
        return goal
    magnitude = 10 ** floor(log10(max(count, 1)))
    for step in (1, 2.5, 5, 10):
        target = int(step * magnitude)
        if target > count:
            return target
    return 10 * magnitude  # pragma: no cover - the loop always returns


# Kept well past their freshness, so a stale value can be served while one
# process refreshes it.
_STALE_FOR = 3600


def _stats_key(petition_id: int) -> str:
    return f"signatures:stats:{petition_id}"


def _now() -> float:
    return time.time()


def tally_after_commit(
    signatures: QuerySet[Signature], sign: int, *, counted: Q | None = None
) -> None:
    """Tally the counted signatures among `signatures` (confirmed ones, unless
    said otherwise), per petition, once the surrounding change is committed."""
    per_petition = dict(
        signatures.filter(counted or Q(status=Signature.Status.CONFIRMED))
        .order_by()
        .values("petition")
        .annotate(n=Count("pk"))
        .values_list("petition", "n")
    )
    for petition_id, n in per_petition.items():
        transaction.on_commit(
            lambda petition_id=petition_id, n=n: tally(petition_id, sign * n)
        )


def _compute_stats(
    petition: Petition, recent: int
) -> tuple[int, list[tuple[str, str]]]:
    counted = Signature.objects.counted().filter(petition=petition)
    rows = (
        counted.filter(show_name_publicly=True)
        .order_by("-confirmed_at")
        .values_list("full_name", "province")[:recent]
    )
    return counted.count(), [(first_name(name), province) for name, province in rows]


def petition_stats(petition: Petition, *, recent: int = 5) -> PetitionStats:
    """The public count and latest public signers, at most a few seconds old.

    Counted by the database at most once per SIGNATURE_COUNT_CACHE_SECONDS:
    when the cached figures go stale, one request recounts while the others
    keep serving the stale ones. Confirmations since the last count are added
    from a tally, so a signer who just confirmed sees the count include them.
    A closed petition shows the count it closed with.
    """
    stats_key = _stats_key(petition.pk)
    tally_key = confirmations_key(petition.pk)
    cached = cache.get_many([stats_key, tally_key])
    entry = cached.get(stats_key)
    tallied = cached.get(tally_key, 0)
    if entry is None or (
        _now() >= entry["fresh_until"] and cache.add(f"{stats_key}:recount", 1, 30)
    ):
        # Read the tally first: a change tallied after this read may also be
        # in the count below, off by one until the next recount.
        count, signers = _compute_stats(petition, recent)
        entry = {
            "count": count,
            "signers": signers,
            "tally": tallied,
            "fresh_until": _now() + settings.SIGNATURE_COUNT_CACHE_SECONDS,
        }
        cache.set(stats_key, entry, _STALE_FOR)
        cache.delete(f"{stats_key}:recount")
    count = max(0, entry["count"] + tallied - entry["tally"])
    if not petition.is_open and petition.closed_count is not None:
        # Frozen when it closed: a withdrawal or an erasure since changes the
        # rows, not the figure the petition closed with.
        count = petition.closed_count
    return PetitionStats(
        count=count,
        goal=progress_goal(count, petition.goal),
        recent_signers=entry["signers"],
    )


def recount_on_next_read(petition_id: int) -> None:
    """Drop the cached figures, so the next page view counts afresh: for a
    change the tally cannot carry, such as a name leaving the latest signers."""
    cache.delete(_stats_key(petition_id))
