"""Django's Redis cache, made to fail soft: the site keeps taking signatures
when Redis is down, treating every read as a miss and every write as done."""

import functools
import logging
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError, ResponseError

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


# Django's incr semantics (a missing key is an error, never created) in one
# round trip.
_INCR_IF_EXISTS = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('INCRBY', KEYS[1], ARGV[1])
end
return false
"""


class SharedClientRedisCacheClient(RedisCacheClient):
    """Django builds a new redis-py client for every cache call, copying its
    table of some 170 reply parsers each time: about a third of a millisecond
    of CPU, several times per request. One client per pool is kept instead
    (Django already gives each thread its own cache object, pools included)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients = {}
        self._scripts_refused = False

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def incr(self, key, delta):
        # Django asks EXISTS, then INCRBY: two round trips for every rate-limit
        # hit and every tally. One script does both, atomically.
        if self._scripts_refused:
            return super().incr(key, delta)
        client = self.get_client(key, write=True)
        try:
            value = client.eval(_INCR_IF_EXISTS, 1, key, delta)
        except ResponseError as error:
            # A Redis that allows no scripts (an ACL without @scripting, some
            # managed services): Django's own two steps, from now on.
            self._scripts_refused = True
            logger.warning(
                "Redis refused a Lua script (%s); counting in two round trips",
                str(error).split(" ", 1)[0],
            )
            return super().incr(key, delta)
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient

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
