"""The logging configuration (LOGGING in config/settings.py)."""

from core.cache_outage import REDIS_OUTAGE_LOGGER


def logging_config(level: str) -> dict:
    """Every record through one handler, which takes personal data out."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
        },
        # Emails masked, IP addresses hashed, signed links cut (core/redaction.py).
        "filters": {
            "personal_data": {"()": "core.redaction.RedactPersonalData"},
            "redis_outage": {"()": "core.cache_outage.RedisOutageWarning"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "filters": ["personal_data"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        # Django's own handlers would print (with DEBUG on) or email records
        # unredacted: everything goes through the one handler above instead.
        "loggers": {
            "django": {"handlers": ["console"], "level": level, "propagate": False},
            "django.server": {
                "handlers": ["console"],
                "level": level,
                "propagate": False,
            },
            # Two lines per email sent ("started", "finished") would be hundreds
            # a second in a surge; a failed task is still logged, with its error.
            "django_tasks": {"level": "WARNING"},
            # One warning per interval while Redis is down, not one per command.
            REDIS_OUTAGE_LOGGER: {"filters": ["redis_outage"]},
        },
    }
