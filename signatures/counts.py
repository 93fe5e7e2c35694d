"""The counting half of the public read model (petition/public.py): the
count read from the database now and then, moved at once by a running tally
of changes since."""

from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from math import floor, log10

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Q, QuerySet

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


def entry_key(petition_id: int) -> str:
    """Where petition/public.py keeps what the public sees of a petition,
    count included: named here so a change the tally cannot carry can drop
    it (recount_on_next_read) without importing the read model."""
    return f"public:petition:{petition_id}"


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
        transaction.on_commit(partial(tally, petition_id, sign * n))


def counted_now(petition_id: int, recent: int = 5) -> tuple[int, list[tuple[str, str]]]:
    """The count and the latest public signers (first name, province), as
    the database has them now: what petition/public.py reads now and then."""
    counted = Signature.objects.counted().filter(petition_id=petition_id)
    rows = (
        counted.filter(show_name_publicly=True)
        .order_by("-confirmed_at")
        .values_list("full_name", "province")[:recent]
    )
    return counted.count(), [(first_name(name), province) for name, province in rows]


def recount_on_next_read(petition_id: int) -> None:
    """Drop what the public sees of this petition, so the next page view
    counts afresh: for a change the tally cannot carry, such as a name
    leaving the latest signers."""
    cache.delete(entry_key(petition_id))
