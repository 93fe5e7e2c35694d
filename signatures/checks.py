from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

_PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


@checks.register(checks.Tags.caches, deploy=True)
def shared_cache_in_production(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Rate limits, the email send rate and the cached count only hold across
    processes when the cache is shared by all of them."""
    backend = settings.CACHES["default"]["BACKEND"]
    if settings.DEBUG or backend not in _PER_PROCESS_CACHES:
        return []
    return [
        checks.Warning(
            "The default cache is private to each process, so rate limits "
            "(EMAIL_MAX_PER_SECOND included) are per process and each one "
            "counts signatures on its own.",
            hint="Set REDIS_URL so that every process shares one cache.",
            id="signatures.W001",
        )
    ]


@checks.register(deploy=True)
def public_address_in_production(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Confirmation links are built from SITE_URL: left at its default, every
    email would point signers at the server's own loopback address."""
    host = urlsplit(settings.SITE_URL).hostname or ""
    if settings.DEBUG or host not in {"127.0.0.1", "localhost", "::1"}:
        return []
    return [
        checks.Warning(
            f"SITE_URL is {settings.SITE_URL}: links in emails would not reach signers.",
            hint="Set SITE_URL to the site's public address, e.g. https://petition.example.org.",
            id="signatures.W002",
        )
    ]


@checks.register(checks.Tags.security, deploy=True)
def email_is_delivered_in_production(
    app_configs, **kwargs
) -> list[checks.CheckMessage]:
    """The settings refuse a console backend in production unless
    ALLOW_CONSOLE_EMAIL says it is meant; even then, say so at every deploy:
    signers get no confirmation link, and the log holds their addresses."""
    if settings.DEBUG or settings.EMAIL_BACKEND not in (
        settings.NON_DELIVERING_EMAIL_BACKENDS
    ):
        return []
    return [
        checks.Warning(
            "Email is printed to the console or dropped, not sent: signers "
            "get no confirmation link, and the log holds their addresses and "
            "links.",
            hint="Set EMAIL_URL to your mail server (smtp+tls://...) and "
            "remove ALLOW_CONSOLE_EMAIL.",
            id="signatures.W003",
        )
    ]
