"""The counting half of the public read model (petition/public.py): the
count read from the database now and then, moved at once by a running tally
of changes since."""

import functools
import hashlib
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from math import floor, log10

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Q, QuerySet

from petition.models import Footnote, Petition
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
    if cache.add(key, 0, _DAY):
        # A tally started afresh (the old one expired or was evicted): the
        # public count read against the old one cannot be carried by it.
        cache.delete(entry_key(petition_id))
    with suppress(ValueError):
        cache.incr(key, delta)
        cache.touch(key, _DAY)  # incr on a key that just expired leaves no expiry


# A public signer as the read model keeps one: first name, province code and
# when the signature counted (a POSIX timestamp: plain values only).
RecentSigner = tuple[str, str, float]


@dataclass(frozen=True)
class PetitionStats:
    count: int
    goal: int
    recent_signers: list[RecentSigner]

    @property
    def recent_signers_display(self) -> list[tuple[str, str, datetime]]:
        """(first name, province name, when it counted), for the page."""
        names = dict(PROVINCES)
        return [
            (name, str(names.get(code, "")), datetime.fromtimestamp(when, UTC))
            for name, code, when in self.recent_signers
        ]

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


def tally_baseline(petition_id: int) -> int:
    """The running tally now, for a read of the count to be measured from:
    started at 0 if there is none, and kept at least a day from now, longer
    than any entry read against it (petition/public.py keeps one an hour)."""
    key = confirmations_key(petition_id)
    tallied = cache.get(key)
    if tallied is None:
        if cache.add(key, 0, _DAY):
            return 0
        tallied = cache.get(key)
    else:
        cache.touch(key, _DAY)
    return tallied if isinstance(tallied, int) else 0


# Bumped when what petition/public.py stores changes shape (3: a time with
# each recent signer).
_FORMAT = 3


@functools.cache
def cache_format() -> str:
    """Part of every key of the public read model: the shape of what it
    stores, and the columns of a petition and its footnotes, so a release
    that changes either (a migration adding a column) reads new keys and
    never an entry an older release left."""
    columns = [
        f"{model.__name__}.{field.attname}"
        for model in (Petition, Footnote)
        for field in model._meta.concrete_fields
    ]
    digest = hashlib.sha256(" ".join(columns).encode()).hexdigest()[:10]
    return f"{_FORMAT}.{digest}"


def entry_key(petition_id: int) -> str:
    """Where petition/public.py keeps what the public sees of a petition,
    count included: named here so a change the tally cannot carry can drop
    it (recount_on_next_read) without importing the read model."""
    return f"public:{cache_format()}:petition:{petition_id}"


def tally_after_commit(
    signatures: QuerySet[Signature], sign: int, *, counted: Q | None = None
) -> None:
    """Tally the counted signatures among `signatures` (confirmed ones, unless
    said otherwise), per petition, once the surrounding change is committed."""
    per_petition = dict(
        signatures.filter(counted or Signature.COUNTED)
        .order_by()
        .values("petition")
        .annotate(n=Count("pk"))
        .values_list("petition", "n")
    )
    for petition_id, n in per_petition.items():
        transaction.on_commit(partial(tally, petition_id, sign * n))


def counted_now(petition_id: int, recent: int = 5) -> tuple[int, list[RecentSigner]]:
    """The count and the latest public signers (first name, province, when
    they counted), as the database has them now: what petition/public.py
    reads now and then."""
    counted = Signature.objects.counted().filter(petition_id=petition_id)
    rows = (
        counted.filter(show_name_publicly=True)
        .order_by("-confirmed_at")
        .values_list("full_name", "province", "confirmed_at", "created_at")[:recent]
    )
    # A confirmed signature always has confirmed_at (a constraint says so).
    return counted.count(), [
        (first_name(name), province, (confirmed_at or created_at).timestamp())
        for name, province, confirmed_at, created_at in rows
    ]


def recount_on_next_read(petition_id: int) -> None:
    """Drop what the public sees of this petition, so the next page view
    counts afresh: for a change the tally cannot carry, such as a name
    leaving the latest signers."""
    cache.delete(entry_key(petition_id))
