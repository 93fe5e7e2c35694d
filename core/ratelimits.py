"""Every throttle is django-ratelimit's: its decorator on views, and
`take_one` for what is counted outside a request (emails to one address,
emails sent per second). Counted in the shared cache; while the cache is
down they let everything through (RATELIMIT_FAIL_OPEN), and the outage is
logged (core/cache_outage.py)."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage


def rate_setting(name: str) -> Callable[[str, HttpRequest], str]:
    """A rate read from settings at request time, so tests and the
    benchmark can change limits."""
    return lambda group, request: getattr(settings, name)


def take_one(*, group: str, key: str, rate: str) -> bool:
    """Count one use of `key` in `group`; False once it is over `rate`
    ("3/h", "20/s") in the current window."""
    usage = get_usage(
        None, group=group, key=lambda _group, _request: key, rate=rate, increment=True
    )
    return usage is None or not usage["should_limit"]
