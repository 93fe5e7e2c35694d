"""CACHES from REDIS_URL, for config/settings.py: Redis when it is set, or
each process's own memory (the embedded default)."""

from core.env import env, env_url


def cache_settings(redis_url: str) -> dict:
    if not redis_url:
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    env_url("REDIS_URL", redis_url, schemes={"redis", "rediss", "unix"})
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="petition"),
            "OPTIONS": {
                # A Redis that hangs must not hang the site with it...
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
                # ...nor a Redis that is down stop signing: reads miss,
                # writes are dropped, rate limits fail open (RATELIMIT_FAIL_OPEN).
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
