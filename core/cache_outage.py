"""What an operator sees while Redis is down.

The cache is django-redis with IGNORE_EXCEPTIONS: while Redis is away every
read is a miss and every write is dropped, so the site keeps taking
signatures. django-redis logs each command it ignored, with a traceback:
hundreds a second in a surge. This filter, on the logger it writes to
(DJANGO_REDIS_LOGGER), lets one record through per interval, as a warning
that says what the outage costs.
"""

import logging
import time

WARN_EVERY_SECONDS = 30
# The logger django-redis writes to (DJANGO_REDIS_LOGGER), filtered here.
REDIS_OUTAGE_LOGGER = "core.cache_outage"


class RedisOutageWarning(logging.Filter):
    def __init__(self, every_seconds: float = WARN_EVERY_SECONDS) -> None:
        super().__init__()
        self.every_seconds = every_seconds
        self.last_warned = float("-inf")

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        if now - self.last_warned < self.every_seconds:
            return False
        self.last_warned = now
        error = record.exc_info[1] if record.exc_info else None
        # django-redis wraps redis-py's error in its ConnectionInterrupted.
        cause = (error.__cause__ or error) if error is not None else None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        # Rate limits live in the cache, so they are off until it is back: say so.
        record.msg = (
            "Redis cache unavailable (%s): serving without it; rate limits are "
            "not enforced until it is back"
        )
        record.args = (type(cause).__name__ if cause else "error",)
        record.exc_info = record.exc_text = None
        return True
