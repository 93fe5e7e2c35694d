"""What every page view needs, kept in this process for PAGE_CACHE_SECONDS
instead of fetched or rendered on every request."""

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from django.conf import settings

T = TypeVar("T")


class KeptInProcess(Generic[T]):
    """A dict whose entries expire, shared by the process's threads: a race
    costs one extra computation, never a wrong answer. Emptied whole when
    full, so a flood of made-up keys cannot grow it."""

    def __init__(self, max_entries: int) -> None:
        self._entries: dict[Hashable, tuple[float, T]] = {}
        self._max_entries = max_entries

    def get_or_make(
        self, key: Hashable, make: Callable[[], T], *, now: float, fresh: bool = False
    ) -> T:
        kept = self._entries.get(key)
        if fresh or kept is None or kept[0] <= now:
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
            kept = self._entries[key] = (now + settings.PAGE_CACHE_SECONDS, make())
        return kept[1]

    def clear(self) -> None:
        self._entries.clear()
