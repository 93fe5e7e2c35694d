"""Settings for the petition site: one module, configured by the environment.

With no environment at all the site runs embedded (SQLite file, local-memory
cache, email printed to the console). Production sets DATABASE_URL, REDIS_URL,
EMAIL_URL, SECRET_KEY, ALLOWED_HOSTS, ...; `.env.example` lists every variable.
A malformed value stops the process at start with a message naming the variable.
Any variable NAME may instead be read from the file named by NAME_FILE.
The variables are read by core/env.py; long derived blocks are built in core/.
"""

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from core import email_config, security_headers, storage_config, task_config
from core.cache_config import cache_settings
from core.cache_outage import REDIS_OUTAGE_LOGGER
from core.database_config import database_settings, make_room_for_threads
from core.email_domains import PLUS_TAG_DOMAINS
from core.env import (
    env,
    env_bool,
    env_choice,
    env_digits,
    env_hosts,
    env_int,
    env_origins,
    env_path,
    env_rate,
    env_secret_key,
    env_url,
    read_env_file,
)
from core.log_config import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
read_env_file()

# --- Core -------------------------------------------------------------------

DEBUG = env_bool("DEBUG", False)

# Required when DEBUG is off; with DEBUG on, a fixed development key.
SECRET_KEY = env_secret_key(debug=DEBUG)

ALLOWED_HOSTS = env_hosts("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])

CSRF_TRUSTED_ORIGINS = env_origins("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Before the admin, so translated fields show in its forms.
    "modeltranslation",
    "core.apps.PetitionAdminConfig",
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
    "visits",
    # Signed webhooks and Action Network: signatures sent out as they change.
    "crm",
    "updates",
]

MIDDLEWARE = [
    # First, so that a load balancer's probe skips host checks and redirects.
    "core.middleware.HealthCheckMiddleware",
    # A lost database becomes a friendly 503; the other middleware still add
    # their headers to it.
    "core.middleware.DatabaseOutageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Above LocaleMiddleware: it takes back its Vary from count.json.
    "core.middleware.LanguageNeutralMiddleware",
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
    "core.middleware.RequestSizeLimitMiddleware",
    "core.middleware.TextCharsetMiddleware",
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
                "core.context_processors.site",
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
DATABASES = {"default": database_settings(DATABASE_URL, base_dir=BASE_DIR)}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="")
CACHES = cache_settings(REDIS_URL)
# Each command ignored during an outage is logged here, and LOGGING lets one
# through per interval as a warning (core/cache_outage.py).
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = REDIS_OUTAGE_LOGGER

# --- Email ------------------------------------------------------------------

# Plain SMTP (EMAIL_URL) unless EMAIL_PROVIDER names a transactional email
# provider, whose HTTP API is then used through django-anymail, and whose
# webhook reports bounces and complaints (signatures/bounces.py).
EMAIL_PROVIDER = env.str("EMAIL_PROVIDER", default="").strip().lower()
EMAIL_PROVIDERS = email_config.EMAIL_PROVIDER_CHOICES
email_config.check_email_choice(
    EMAIL_PROVIDER, email_url=env.str("EMAIL_URL", default="")
)
EMAIL_URL = env_url(
    "EMAIL_URL",
    "consolemail://",
    schemes=email_config.EMAIL_URL_SCHEMES,
    needs_location=False,
)
_email = email_config.smtp_settings(EMAIL_URL)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"]
EMAIL_PORT = _email["EMAIL_PORT"]
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
EMAIL_FILE_PATH = _email["EMAIL_FILE_PATH"]
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
ANYMAIL = email_config.anymail_settings(EMAIL_PROVIDER, timeout=EMAIL_TIMEOUT)
if EMAIL_PROVIDER:
    EMAIL_BACKEND = EMAIL_PROVIDERS[EMAIL_PROVIDER]["backend"]
NON_DELIVERING_EMAIL_BACKENDS = email_config.NON_DELIVERING_BACKENDS
# A production site that forgot EMAIL_URL would thank every signer and mail
# none of them, and write their links into its log: it refuses to start
# unless this says the console is meant (a trial run, say).
ALLOW_CONSOLE_EMAIL = env_bool("ALLOW_CONSOLE_EMAIL", False)
if not DEBUG and not ALLOW_CONSOLE_EMAIL:
    email_config.check_email_delivers(EMAIL_BACKEND, email_url=EMAIL_URL)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="petition@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Background tasks -------------------------------------------------------

_backends = task_config.TASK_BACKENDS
TASKS_BACKEND = env_choice("TASKS_BACKEND", "immediate", list(_backends))
# Webhooks have a queue of their own: a slow receiver can be given its own
# worker (run_worker --queue-name webhooks) and never delay a signer's email.
TASK_QUEUES = ["email", "webhooks"]
TASKS = {"default": {"BACKEND": _backends[TASKS_BACKEND], "QUEUES": TASK_QUEUES}}
TASK_STALLED_AFTER_SECONDS = task_config.stalled_after_seconds(
    email_timeout=EMAIL_TIMEOUT
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
make_room_for_threads(DATABASES["default"], EMAIL_WORKER_THREADS)

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
# Uploaded images: files under MEDIA_ROOT, or S3 (core/storage_config.py).
STORAGES = storage_config.storages_settings()
MEDIA_ROOT = storage_config.media_root(BASE_DIR)
MEDIA_URL = "media/"

# --- Security ---------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"

# django-csp's and django-permissions-policy's (core/security_headers.py).
CONTENT_SECURITY_POLICY = security_headers.CONTENT_SECURITY_POLICY
PERMISSIONS_POLICY = security_headers.PERMISSIONS_POLICY

if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    # Both bind every subdomain and are hard to undo, so they are opt-in; the
    # deploy check's reminders about them are silenced while they are off.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    SILENCED_SYSTEM_CHECKS = security_headers.silenced_hsts_checks(
        include_subdomains=SECURE_HSTS_INCLUDE_SUBDOMAINS, preload=SECURE_HSTS_PRELOAD
    )
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
# The line under the name in the header and footer, in each language.
SITE_TAGLINE = env.str(
    "SITE_TAGLINE", default="Sign, share, and make your voice heard."
)
SITE_TAGLINES = {
    "en": SITE_TAGLINE,
    "fr": env.str("SITE_TAGLINE_FR", default="Signez, partagez, faites-vous entendre."),
}

# Messenger's share dialog on a desktop needs a Facebook app's id
# (developers.facebook.com); without one, Messenger is offered on phones only.
FACEBOOK_APP_ID = env_digits("FACEBOOK_APP_ID")

# A less obvious admin path keeps password-guessing bots off the login page.
ADMIN_URL = env_path("ADMIN_URL", "admin/")

# --- Signing ----------------------------------------------------------------

# Domain -> the domain compared: googlemail.com is Gmail under another name.
# Every signature from one address counts once: at these providers a "+tag"
# reaches the same inbox as the bare address (core/email_domains.py).
EMAIL_CANONICAL_PROVIDERS = {domain: domain for domain in PLUS_TAG_DOMAINS} | {
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
# Campaign updates (updates/): the organizer's postal address, in every
# update as Canada's anti-spam law asks (none set: updates cannot be sent);
# how many emails a task sends before handing over, and how many tasks send
# one update at once.
ORGANIZER_POSTAL_ADDRESS = env.str("ORGANIZER_POSTAL_ADDRESS", default="")
UPDATE_SEND_BATCH = env_int("UPDATE_SEND_BATCH", 50, minimum=1)
UPDATE_SEND_CHAINS = env_int("UPDATE_SEND_CHAINS", 4, minimum=1)

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
# Page-view beacons per client IP (visits/views.py): one per browser,
# petition and day, so this is a whole office or a carrier's shared address
# opening the page, not one person; beyond it views are not counted.
PAGE_VIEW_RATE_PER_MINUTE = env_rate("PAGE_VIEW_RATE_PER_MINUTE", "60/m")
PAGE_VIEW_RATE_PER_DAY = env_rate("PAGE_VIEW_RATE_PER_DAY", "200/d")
# Resend requests per address.
RESEND_RATE_PER_HOUR = env_rate("RESEND_RATE_PER_HOUR", "3/h")
# How many proxies in front of the app append to X-Forwarded-For; 0 means
# the client is REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Confirmation emails are retried with growing delays: 1, 5, 25, 125 minutes.
EMAIL_SEND_ATTEMPTS = env_int("EMAIL_SEND_ATTEMPTS", 5, minimum=1)

# --- Webhooks and Action Network (crm/) --------------------------------------

# Tests and development only: lets webhooks reach loopback addresses
# (127.0.0.1, ::1), over plain HTTP too. Every other private, link-local or
# reserved address stays refused, and HTTPS is required everywhere else.
WEBHOOKS_ALLOW_LOOPBACK = env_bool("WEBHOOKS_ALLOW_LOOPBACK", False)
# Seconds to connect, and then for each read of the answer; the whole
# exchange is cut off after three times this (crm/safe_http.py): a receiver
# that hangs or drips its answer holds a worker thread no longer.
WEBHOOKS_TIMEOUT = env_int("WEBHOOKS_TIMEOUT", 5, minimum=1)
# Attempts per delivery (retried after 30 s, 2 min, 8 min, 32 min, about 2 h,
# then every 6 h)...
WEBHOOKS_DELIVERY_ATTEMPTS = env_int("WEBHOOKS_DELIVERY_ATTEMPTS", 10, minimum=1)
# ...and a receiver whose every delivery has failed this long is switched
# off, its organizers told by email.
WEBHOOKS_DISABLE_AFTER_HOURS = env_int("WEBHOOKS_DISABLE_AFTER_HOURS", 24, minimum=1)
# How long the log of finished deliveries is kept (`manage.py
# prune_deliveries`): it holds what was sent, signers' data included.
WEBHOOKS_LOG_DAYS = env_int("WEBHOOKS_LOG_DAYS", 30, minimum=1)
# The Action Network API key for petitions whose link names none.
ACTION_NETWORK_API_KEY = env.str("ACTION_NETWORK_API_KEY", default="")
ACTION_NETWORK_API_URL = "https://actionnetwork.org/api/v2/"

# Where "log in" links lead (after choosing a password, for instance).
LOGIN_URL = "admin:login"

# Admin login attempts per client IP and per account name.
ADMIN_LOGIN_RATE = env_rate("ADMIN_LOGIN_RATE", "5/m")
ADMIN_LOGIN_RATE_PER_ACCOUNT = env_rate("ADMIN_LOGIN_RATE_PER_ACCOUNT", "20/h")

RATELIMIT_IP_META_KEY = "core.net.client_ip"
RATELIMIT_VIEW = "signatures.views.rate_limited"
# A cache outage must not stop signing; the limit is a guard, not a gate.
RATELIMIT_FAIL_OPEN = True

# Sign POSTs are a few hundred bytes; the largest body anyone sends us is an
# email provider's batch of bounce reports (SendGrid's: up to 768 KB). nginx
# holds every other path to 256 KB (deploy/nginx.conf).
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
# The petition's admin form, with three 10 MB images (petition/uploads.py).
ADMIN_UPLOAD_MAX_SIZE = 32 * 1024 * 1024

LOG_LEVEL = env_choice(
    "LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
)
LOGGING = logging_config(LOG_LEVEL)
