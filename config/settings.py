"""Settings for the petition site: one module, configured by the environment.

With no environment at all the site runs embedded (SQLite file, local-memory
cache, email printed to the console). Production sets DATABASE_URL, REDIS_URL,
EMAIL_URL, SECRET_KEY, ALLOWED_HOSTS, ...; `.env.example` lists every variable.
A malformed value stops the process at start with a message naming the variable.
Any variable NAME may instead be read from the file named by NAME_FILE.
"""

import re
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from environ.fileaware_mapping import FileAwareMapping

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.FileAwareEnv()
# A per-instance mapping: the library's default caches file values process-wide.
env.ENVIRON = FileAwareMapping(cache=False)
if _env_file := env.str("ENV_FILE", default=""):
    if not Path(_env_file).is_file():
        raise ImproperlyConfigured(
            f"Environment variable ENV_FILE names {_env_file!r}, which is not a file."
        )
    environ.Env.read_env(_env_file, overwrite=False)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean strictly: a typo must not silently mean False."""
    raw = env.str(name, default=str(default)).strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"Environment variable {name} must be one of true/false/1/0/yes/no/on/off, "
        f"not {raw!r}."
    )


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = env.str(name, default=str(default)).strip()
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(
            f"Environment variable {name} must be a whole number, not {raw!r}."
        ) from None
    if value < minimum:
        raise ImproperlyConfigured(
            f"Environment variable {name} must be at least {minimum}, not {value}."
        )
    return value


def env_url(
    name: str, default: str, *, schemes: set[str], needs_location: bool = True
) -> str:
    value = env.str(name, default=default).strip()
    parts = urlsplit(value)
    has_location = bool(parts.netloc or parts.path.strip("/"))
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
        port_ok = True
    except ValueError:
        port_ok = False
    if (
        parts.scheme not in schemes
        or (needs_location and not has_location)
        or not port_ok
    ):
        # The value may hold a password, so only its scheme goes in the message.
        raise ImproperlyConfigured(
            f"Environment variable {name} must be a URL such as SCHEME://HOST/NAME "
            f"with SCHEME one of {', '.join(sorted(schemes))}; the value given "
            f"starts with {parts.scheme + '://' if parts.scheme else 'no scheme'}."
        )
    return value


def env_rate(name: str, default: str) -> str:
    """A rate limit such as 10/m or 100/h (count per second/minute/hour/day)."""
    value = env.str(name, default=default).strip()
    if not re.fullmatch(r"\d+/\d*[smhd]", value):
        raise ImproperlyConfigured(
            f"Environment variable {name} must be a rate such as 10/m or 100/h, "
            f"not {value!r}."
        )
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    return [item.strip() for item in env.list(name, default=default) if item.strip()]


# --- Core -------------------------------------------------------------------

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env.str("SECRET_KEY", default="").strip()
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Environment variable SECRET_KEY must be set when DEBUG is off "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-on"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "Environment variable ALLOWED_HOSTS is empty: every request would be "
        "refused. List the site's host names, comma separated."
    )

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
for _origin in CSRF_TRUSTED_ORIGINS:
    if (
        urlsplit(_origin).scheme not in {"http", "https"}
        or not urlsplit(_origin).netloc
    ):
        raise ImproperlyConfigured(
            "Environment variable CSRF_TRUSTED_ORIGINS must list origins with a "
            f"scheme, such as https://petition.example.org; got {_origin!r}."
        )

INSTALLED_APPS = [
    # Before the admin, so translated fields show in its forms.
    "modeltranslation",
    "config.apps.PetitionAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_countries",
    "django_tasks",
    "django_tasks_db",
    # Email providers' backends and webhooks (EMAIL_PROVIDER), and its checks.
    "anymail",
    "petition",
    "signatures",
]

MIDDLEWARE = [
    # First, so that a load balancer's probe skips host checks and redirects.
    "config.middleware.HealthCheckMiddleware",
    # A lost database becomes a friendly 503; the other middleware still add
    # their headers to it.
    "config.middleware.DatabaseOutageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    # Last, so the "too large" page comes in the visitor's language with the
    # usual headers, yet before any view or CSRF check reads the body.
    "config.middleware.RequestSizeLimitMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.site",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------

DATABASE_URL = env_url(
    "DATABASE_URL",
    f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
    schemes={"sqlite", "postgres", "postgresql", "pgsql"},
)
DATABASES = {"default": environ.Env.db_url_config(DATABASE_URL)}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so the browser tests' live server thread sees the
    # same data through its own connection, as a second process would.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test-db.sqlite3")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A pool per process sized to its gunicorn threads; 0 falls back to one
    # persistent connection per thread.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    # Give up on an unreachable server quickly, so /healthz answers 503 in time.
    _options.setdefault(
        "connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 3, minimum=1)
    )
    _pool_size = env_int("DATABASE_POOL_MAX_SIZE", 4)
    if _pool_size:
        _options["pool"] = {
            "min_size": 1,
            "max_size": _pool_size,
            "timeout": env_int("DATABASE_POOL_TIMEOUT", 5, minimum=1),
        }
        DATABASES["default"]["CONN_MAX_AGE"] = 0
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    env_url("REDIS_URL", REDIS_URL, schemes={"redis", "rediss", "unix"})
    CACHES = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="petition"),
            # A Redis that hangs must not hang the site with it.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Email ------------------------------------------------------------------

# Plain SMTP (EMAIL_URL) unless EMAIL_PROVIDER names a transactional email
# provider, whose HTTP API is then used through django-anymail, and whose
# webhook reports bounces and complaints (signatures/bounces.py).
EMAIL_PROVIDER = env.str("EMAIL_PROVIDER", default="").strip().lower()
# Each provider's Anymail backend and tracking webhook view (served at
# /anymail/<provider>/tracking/, for the chosen provider only), the variables
# it needs, then those it may have, each read from the environment variable
# of the same name (Anymail's own setting names; Amazon's standard AWS_* ones).
EMAIL_PROVIDERS = {
    "amazon_ses": {
        "backend": "anymail.backends.amazon_ses.EmailBackend",
        "webhook": "anymail.webhooks.amazon_ses.AmazonSESTrackingWebhookView",
        "needs": ["AWS_REGION"],
        # Without keys, boto3 finds its own (an instance role, ~/.aws).
        "may_have": [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AMAZON_SES_CONFIGURATION_SET_NAME",
        ],
    },
    "brevo": {
        "backend": "anymail.backends.brevo.EmailBackend",
        "webhook": "anymail.webhooks.brevo.BrevoTrackingWebhookView",
        "needs": ["BREVO_API_KEY"],
        "may_have": [],
    },
    "mailgun": {
        "backend": "anymail.backends.mailgun.EmailBackend",
        "webhook": "anymail.webhooks.mailgun.MailgunTrackingWebhookView",
        # The webhook signing key is not the API key: without it, every
        # bounce report would fail its signature check, unnoticed.
        "needs": ["MAILGUN_API_KEY", "MAILGUN_WEBHOOK_SIGNING_KEY"],
        # MAILGUN_API_URL=https://api.eu.mailgun.net/v3 for an EU account.
        "may_have": ["MAILGUN_SENDER_DOMAIN", "MAILGUN_API_URL"],
    },
    "postmark": {
        "backend": "anymail.backends.postmark.EmailBackend",
        "webhook": "anymail.webhooks.postmark.PostmarkTrackingWebhookView",
        "needs": ["POSTMARK_SERVER_TOKEN"],
        "may_have": ["POSTMARK_MESSAGE_STREAM"],
    },
    "sendgrid": {
        "backend": "anymail.backends.sendgrid.EmailBackend",
        "webhook": "anymail.webhooks.sendgrid.SendGridTrackingWebhookView",
        "needs": ["SENDGRID_API_KEY"],
        # The public key of SendGrid's signed event webhook.
        "may_have": ["SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY"],
    },
}
_email_url_given = env.str("EMAIL_URL", default="").strip()
if EMAIL_PROVIDER and EMAIL_PROVIDER not in EMAIL_PROVIDERS:
    raise ImproperlyConfigured(
        "Environment variable EMAIL_PROVIDER must be one of "
        f"{', '.join(EMAIL_PROVIDERS)} (or unset, for SMTP through EMAIL_URL), "
        f"not {EMAIL_PROVIDER!r}."
    )
if EMAIL_PROVIDER and _email_url_given:
    # One of the two would be silently ignored.
    raise ImproperlyConfigured(
        f"Environment variables EMAIL_PROVIDER ({EMAIL_PROVIDER}) and EMAIL_URL "
        "are both set: remove EMAIL_URL to send through the provider's API, or "
        "EMAIL_PROVIDER to send by SMTP."
    )
EMAIL_URL = env_url(
    "EMAIL_URL",
    "consolemail://",
    schemes={
        "smtp",
        "smtps",
        "smtp+tls",
        "smtp+ssl",
        "consolemail",
        "filemail",
        "memorymail",
        "dummymail",
    },
    needs_location=False,
)
_email = environ.Env.email_url_config(EMAIL_URL)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _email["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL"))
EMAIL_FILE_PATH = _email["EMAIL_FILE_PATH"] or None
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
# Anymail's settings. A provider's API call waits no longer than an SMTP
# command would (TASK_STALLED_AFTER_SECONDS counts on it).
ANYMAIL: dict = {"REQUESTS_TIMEOUT": EMAIL_TIMEOUT}
if EMAIL_PROVIDER:
    _provider = EMAIL_PROVIDERS[EMAIL_PROVIDER]
    EMAIL_BACKEND = _provider["backend"]
    for _name in _provider["needs"] + _provider["may_have"]:
        if _value := env.str(_name, default="").strip():
            ANYMAIL[_name] = _value
        elif _name in _provider["needs"]:
            raise ImproperlyConfigured(
                f"Environment variable {_name} must be set when EMAIL_PROVIDER "
                f"is {EMAIL_PROVIDER}."
            )
    if EMAIL_PROVIDER == "amazon_ses":
        # Passed to boto3's client, which takes them by its own names.
        _keys = {
            name.lower(): ANYMAIL.pop(name)
            for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
            if name in ANYMAIL
        }
        if len(_keys) == 1:
            raise ImproperlyConfigured(
                "Environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                "must be set together, or neither (boto3 then finds its own)."
            )
        ANYMAIL["AMAZON_SES_CLIENT_PARAMS"] = {
            "region_name": ANYMAIL.pop("AWS_REGION"),
            "config": {"connect_timeout": EMAIL_TIMEOUT, "read_timeout": EMAIL_TIMEOUT},
            **_keys,
        }
    # The provider's webhook posts with this NAME:PASSWORD (HTTP basic auth,
    # in the URL given to the provider). Mailgun's and SendGrid's signatures
    # are checked as well, where configured.
    _webhook_secret = env.str("EMAIL_WEBHOOK_SECRET", default="").strip()
    _user, _colon, _password = _webhook_secret.partition(":")
    if not (_user and _password):
        raise ImproperlyConfigured(
            "Environment variable EMAIL_WEBHOOK_SECRET must be set when "
            "EMAIL_PROVIDER is set, as NAME:PASSWORD, both long and random: the "
            "provider's webhook URL carries it; without one, anyone could report "
            "any address as bouncing."
        )
    ANYMAIL["WEBHOOK_SECRET"] = _webhook_secret
# Backends that send nothing: email printed to the console (where it lands
# in the process's log, confirmation links and all) or kept in memory.
NON_DELIVERING_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    # Writes every message, address and link included, to a local file.
    "django.core.mail.backends.filebased.EmailBackend",
}
# A production site that forgot EMAIL_URL would thank every signer and mail
# none of them, and write their links into its log: it refuses to start
# unless this says the console is meant (a trial run, say).
ALLOW_CONSOLE_EMAIL = env_bool("ALLOW_CONSOLE_EMAIL", False)
if (
    not DEBUG
    and EMAIL_BACKEND in NON_DELIVERING_EMAIL_BACKENDS
    and not ALLOW_CONSOLE_EMAIL
):
    raise ImproperlyConfigured(
        "Environment variable EMAIL_URL must name a mail server (for example "
        "smtp+tls://user:password@smtp.example.org:587), or EMAIL_PROVIDER an "
        "email provider, when DEBUG is off: "
        f"{EMAIL_URL.split(':', 1)[0]}:// sends no email, and would print "
        "signers' addresses and links to the log. Set ALLOW_CONSOLE_EMAIL=true "
        "if that is really meant."
    )
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="petition@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Background tasks -------------------------------------------------------

# "immediate" runs email tasks inside the request (the embedded default);
# "database" queues them in PostgreSQL for `manage.py run_worker` (production).
_TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
TASKS_BACKEND = env.str("TASKS_BACKEND", default="immediate").strip().lower()
if TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured(
        "Environment variable TASKS_BACKEND must be one of "
        f"{', '.join(_TASK_BACKENDS)}, not {TASKS_BACKEND!r}."
    )
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASKS_BACKEND], "QUEUES": ["email"]}}
# A task still running this long after it started has lost its worker (killed,
# out of memory, host gone): `manage.py run_worker` puts it back in the queue
# as it starts. At least ten times EMAIL_TIMEOUT, the longest a send can take
# with every step of the SMTP conversation timing out, so a slow send that is
# still under way is never sent twice.
TASK_STALLED_AFTER_SECONDS = env_int("TASK_STALLED_AFTER_SECONDS", 15 * 60, minimum=1)
if TASK_STALLED_AFTER_SECONDS < 10 * EMAIL_TIMEOUT:
    raise ImproperlyConfigured(
        "Environment variable TASK_STALLED_AFTER_SECONDS must be at least ten "
        f"times EMAIL_TIMEOUT ({10 * EMAIL_TIMEOUT}), not "
        f"{TASK_STALLED_AFTER_SECONDS}: an email still being sent would be "
        "taken for stalled and sent twice."
    )

# Each email worker process sends on this many SMTP sessions (or provider
# connections) at once: a provider answers each SMTP command after tens of
# milliseconds, so one session sends fewer than ten emails a second.
EMAIL_WORKER_THREADS = env_int("EMAIL_WORKER_THREADS", 32, minimum=1)
# The most emails sent in any one second by all workers together (0: no cap).
# Providers cap it (Amazon SES starts new accounts at 14 a second); above the
# cap, workers wait rather than have sends refused. Shared through the cache:
# across processes and hosts only with REDIS_URL.
EMAIL_MAX_PER_SECOND = env_int("EMAIL_MAX_PER_SECOND", 0, minimum=0)
if "pool" in DATABASES["default"].get("OPTIONS", {}):
    # Each worker thread holds a connection while it sends. A web process
    # never holds more than its threads, so the larger maximum costs it nothing.
    _pool = DATABASES["default"]["OPTIONS"]["pool"]
    _pool["max_size"] = max(_pool["max_size"], EMAIL_WORKER_THREADS + 2)

# --- Internationalisation ---------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Petition texts are entered in each language (title_en, title_fr, ...).
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_LANGUAGES = ("en", "fr")
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en", "fr")
USE_I18N = True
TIME_ZONE = "America/Toronto"
USE_TZ = True

# --- Static files -----------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Security ---------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp): scripts, styles and images only from
# this site, no inline code anywhere, no framing, forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
# Features the site never uses, refused to any script that might ask
# (django-permissions-policy).
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "camera",
        "microphone",
        "geolocation",
        "payment",
        "usb",
        "interest-cohort",
    )
}

if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    # Both bind every subdomain and are hard to undo, so they are opt-in; the
    # deploy check's reminders about them are silenced while they are off.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    SILENCED_SYSTEM_CHECKS = [
        check
        for check, enabled in [
            ("security.W005", SECURE_HSTS_INCLUDE_SUBDOMAINS),
            ("security.W021", SECURE_HSTS_PRELOAD),
        ]
        if not enabled
    ]
# HTTPS behind a proxy is recognised by gunicorn (FORWARDED_ALLOW_IPS in
# config/gunicorn.py), so Django needs no SECURE_PROXY_SSL_HEADER of its own.

# --- Site -------------------------------------------------------------------

# Where links in emails point: the public address of this site.
SITE_URL = env_url(
    "SITE_URL", "http://127.0.0.1:8000", schemes={"http", "https"}
).rstrip("/")

SITE_NAME = env.str("SITE_NAME", default="Petition")
# The name in each language; a language without its own uses SITE_NAME.
SITE_NAMES = {"en": SITE_NAME, "fr": env.str("SITE_NAME_FR", default="Pétition")}

# A less obvious admin path keeps password-guessing bots off the login page.
ADMIN_URL = env.str("ADMIN_URL", default="admin/")
if not ADMIN_URL.endswith("/") or ADMIN_URL.startswith("/"):
    raise ImproperlyConfigured(
        "Environment variable ADMIN_URL must be a path like 'admin/' or "
        f"'organizers/': no leading slash, one trailing slash; got {ADMIN_URL!r}."
    )

# --- Signing ----------------------------------------------------------------

# Every signature from one address counts once. At these providers a "+tag"
# in the local part (jane+news@) reaches the same inbox as the bare address,
# so it is folded away. Folding is safe even where a provider's page is
# vague about delivering tags: none of them allows "+" in a mailbox's own
# name, so folding never merges two people.
_PLUS_TAG_DOMAINS = (
    # Gmail: https://support.google.com/mail/answer/7436150 (dots) and
    # https://support.google.com/a/users/answer/9282734 (+tags).
    "gmail.com",
    # Outlook.com, Hotmail, Live, MSN: plus addressing as in Exchange Online,
    # which runs them: https://learn.microsoft.com/en-us/exchange/recipients-in-exchange-online/plus-addressing-in-exchange-online
    # (the consumer domains: https://support.microsoft.com/en-us/office/add-or-remove-an-email-alias-in-outlook-com-459b1989-356d-40fa-a689-8f285b13f1f2).
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "hotmail.ca",
    "live.ca",
    "outlook.fr",
    "hotmail.fr",
    "live.fr",
    "hotmail.co.uk",
    "live.co.uk",
    # iCloud, under its three domains: https://support.apple.com/en-us/118230.
    # Apple's pages do not describe +tags; iCloud is reported to deliver
    # them to the bare address (RFC 5233 subaddressing), and folding is safe
    # either way (above).
    "icloud.com",
    "me.com",
    "mac.com",
    # Proton "+aliases", at every Proton domain:
    # https://proton.me/support/creating-aliases and
    # https://proton.me/support/addresses-and-aliases
    "proton.me",
    "protonmail.com",
    "pm.me",
    "protonmail.ch",
    # Fastmail: https://www.fastmail.help/hc/en-us/articles/360060591053
    # (its subdomain addressing, tag@jane.fastmail.com, is not folded).
    "fastmail.com",
    "fastmail.fm",
    "fastmail.net",
    "fastmail.org",
    "fastmail.us",
    "fastmail.co.uk",
    "fastmail.com.au",
    "fastmail.de",
    "fastmail.in",
    "fastmail.jp",
    "fastmail.se",
    "fastmail.to",
    "sent.com",
)
# Domain -> the domain compared: googlemail.com is Gmail under another name.
EMAIL_CANONICAL_PROVIDERS = {domain: domain for domain in _PLUS_TAG_DOMAINS} | {
    "googlemail.com": "gmail.com"
}
# Of those, where dots in the local part do not matter either: Gmail only.
# Elsewhere jane.doe@ and janedoe@ are two people.
EMAIL_DOTLESS_DOMAINS = {"gmail.com"}
# Retention (the privacy page states these): signatures that never counted
# are deleted after this many days (manage.py purge_unconfirmed), and personal
# data is removed this many days after a petition closes (anonymise_closed).
RETENTION_UNCONFIRMED_DAYS = env_int("RETENTION_UNCONFIRMED_DAYS", 30, minimum=1)
RETENTION_AFTER_CLOSE_DAYS = env_int("RETENTION_AFTER_CLOSE_DAYS", 183, minimum=1)
# Where signers write about their data; shown on the privacy page.
PRIVACY_CONTACT_EMAIL = env.str("PRIVACY_CONTACT_EMAIL", default=DEFAULT_FROM_EMAIL)

# How long a confirmation link stays valid.
SIGNATURE_CONFIRMATION_MAX_AGE = env_int(
    "SIGNATURE_CONFIRMATION_MAX_AGE", 7 * 24 * 3600, minimum=60
)
# A signing form sent back sooner than this after the page was shown (as
# the visitor's browser measured it: signatures/forms.py) looks automated.
# Such a signature is kept pending (its emailed link counts it, where the
# petition would have counted it at once) and marked for review: a person
# whose browser filled the form in an instant still signs.
SIGNATURE_MIN_FILL_SECONDS = env_int("SIGNATURE_MIN_FILL_SECONDS", 2)
# How often the count and latest signers are taken afresh from the database.
# In between, confirmations, invalidations and erasures are tallied as they
# happen, so the count moves at once; a recount corrects anything the tally
# missed (signatures changed outside the app, a cache restart).
SIGNATURE_COUNT_CACHE_SECONDS = env_int("SIGNATURE_COUNT_CACHE_SECONDS", 15, minimum=1)
# How long a shared cache in front of the app (nginx, a CDN) may keep the
# campaign page (s-maxage), and how much longer it may serve it while it
# fetches it anew (stale-while-revalidate). An edit or a counted signature
# shows on the page within PAGE_CACHE_SECONDS under steady traffic, and
# within both added after a quiet spell. Signing always asks the database
# whether the petition is still open.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 5)
PAGE_STALE_SECONDS = env_int("PAGE_STALE_SECONDS", 30)
# Emails about one address per hour (repeat signing, resend requests).
SIGNATURE_EMAILS_PER_ADDRESS_PER_HOUR = env_int(
    "SIGNATURE_EMAILS_PER_ADDRESS_PER_HOUR", 3, minimum=1
)
# Sign POSTs per client IP: enough for a household or office, not a script.
SIGN_RATE_PER_MINUTE = env_rate("SIGN_RATE_PER_MINUTE", "10/m")
SIGN_RATE_PER_HOUR = env_rate("SIGN_RATE_PER_HOUR", "100/h")
# Resend requests per address.
RESEND_RATE_PER_HOUR = env_rate("RESEND_RATE_PER_HOUR", "3/h")
# How many proxies in front of the app append to X-Forwarded-For; 0 means
# the client is REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Confirmation emails are retried with growing delays: 1, 5, 25, 125 minutes.
EMAIL_SEND_ATTEMPTS = env_int("EMAIL_SEND_ATTEMPTS", 5, minimum=1)

# Where "log in" links lead (after choosing a password, for instance).
LOGIN_URL = "admin:login"

# Admin login attempts per client IP and per account name.
ADMIN_LOGIN_RATE = env_rate("ADMIN_LOGIN_RATE", "5/m")
ADMIN_LOGIN_RATE_PER_ACCOUNT = env_rate("ADMIN_LOGIN_RATE_PER_ACCOUNT", "20/h")

RATELIMIT_IP_META_KEY = "signatures.net.client_ip"
RATELIMIT_VIEW = "signatures.views.rate_limited"
# A cache outage must not stop signing; the limit is a guard, not a gate.
RATELIMIT_FAIL_OPEN = True

# The load benchmark's yardstick: a bare Django view under the same stack.
BENCHMARK_HELLO_VIEW = env_bool("BENCHMARK_HELLO_VIEW", False)

# Sign POSTs are a few hundred bytes; the largest body anyone sends us is an
# email provider's batch of bounce reports (SendGrid's: up to 768 KB). nginx
# holds every other path to 256 KB (deploy/nginx.conf).
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").strip().upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(
        "Environment variable LOG_LEVEL must be one of DEBUG, INFO, WARNING, "
        f"ERROR or CRITICAL, not {LOG_LEVEL!r}."
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    # Emails masked, IP addresses hashed, signed links cut (config/redaction.py).
    "filters": {"personal_data": {"()": "config.redaction.RedactPersonalData"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Django's own handlers would print (with DEBUG on) or email records
    # unredacted: everything goes through the one handler above instead.
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.server": {
            "handlers": ["console"],
            "level": LOG_LEVEL,
            "propagate": False,
        },
        # Two lines per email sent ("started", "finished") would be hundreds
        # a second in a surge; a failed task is still logged, with its error.
        "django_tasks": {"level": "WARNING"},
    },
}
