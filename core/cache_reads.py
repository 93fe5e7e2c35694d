"""Reading what another release may have left in the shared cache."""

import logging
from typing import Any

from django.core.cache import cache

logger = logging.getLogger(__name__)


def readable(keys: list[str]) -> dict[str, Any]:
    """What the cache holds at `keys`; a value this code cannot read (left
    by an older or newer release, or damaged) is a miss, never a 500."""
    try:
        return cache.get_many(keys)
    except Exception:  # unpickling raises whatever the stored bytes cause
        logger.warning("Unreadable cache entry among %s: made again", keys)
        return {}
