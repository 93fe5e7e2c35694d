"""The running tally of changes to a petition's public count since its last
recount, shared by requests and the background tasks that count a signature."""

from contextlib import suppress

from django.core.cache import cache

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
