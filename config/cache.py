"""Django's Redis cache, made to fail soft: the site keeps taking signatures
when Redis is down, treating every read as a miss and every write as done."""

import functools
import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

_WARN_EVERY_SECONDS = 30
_last_warning = 0.0


def _warn(error: RedisError) -> None:
    # Once per interval, not once per request: an outage must not flood logs.
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= _WARN_EVERY_SECONDS:
        _last_warning = now
        # Rate limits live in the cache, so they are off until it is back: say so.
        logger.warning(
            "Redis cache unavailable (%s): serving without it; rate limits are "
            "not enforced until it is back",
            type(error).__name__,
        )


def _soft(fallback):
    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except RedisError as error:
                _warn(error)
                if isinstance(fallback, type) and issubclass(fallback, Exception):
                    raise fallback(str(error)) from error
                return fallback(*args, **kwargs) if callable(fallback) else fallback

        return wrapper

    return decorate


def _default(key, default=None, *args, **kwargs):
    return default


class ResilientRedisCache(RedisCache):
    get = _soft(_default)(RedisCache.get)
    get_many = _soft({})(RedisCache.get_many)
    set = _soft(None)(RedisCache.set)
    set_many = _soft([])(RedisCache.set_many)
    add = _soft(False)(RedisCache.add)
    touch = _soft(False)(RedisCache.touch)
    delete = _soft(False)(RedisCache.delete)
    delete_many = _soft(None)(RedisCache.delete_many)
    has_key = _soft(False)(RedisCache.has_key)
    # What a missing key gives: callers (rate limits, tallies) already treat
    # ValueError as "not counted".
    incr = _soft(ValueError)(RedisCache.incr)
    decr = _soft(ValueError)(RedisCache.decr)
