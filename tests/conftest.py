import os
import time
from importlib import import_module
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.management import call_command
from django.test import override_settings
from hypothesis import settings as hypothesis_settings

from petition.models import Petition
from signatures import emails
from tests.backing_services import MailServer

SEED_SLUG = "no-more-caged-families"
# Emails queued in the database for a worker, as in production.
DATABASE_QUEUE = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["email", "webhooks"],
    }
}
TEST_DATA = Path(__file__).parent / "data"

# Fuzzing (tests/fuzzing/) tries the same inputs on every run, so a
# failure in CI is a failure on every machine; HYPOTHESIS_PROFILE=explore
# draws new ones. Neither keeps an example database in the working tree.
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
hypothesis_settings.register_profile("explore", database=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# The slow tiers: browsers, load, outages, fuzzing, and servers started in
# their own processes on a database of their own (the same run whatever the
# suite's database). `make test` runs them; CI runs them once, on PostgreSQL,
# and leaves them out of its SQLite run with -m "not slow".
SLOW_TIERS = (
    "tests/browser/",
    "tests/test_load.py",
    "tests/test_database_outage.py",
    "tests/test_cache_outage.py",
    "tests/test_worker_recovery.py",
    "tests/fuzzing/",
    "tests/proxy/",
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: a slow tier, run once in CI (on PostgreSQL)"
    )


def pytest_itemcollected(item: pytest.Item) -> None:
    # Marked as each is collected, before -m selects.
    if item.nodeid.startswith(SLOW_TIERS):
        item.add_marker(pytest.mark.slow)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright keeps an event loop running in this thread
    from its first test to the end of the session, and Django refuses database
    calls from a thread with a running loop."""
    items.sort(key=lambda item: "tests/browser/" in item.nodeid)


@pytest.fixture(scope="session", autouse=True)
def compiled_translations() -> None:
    """The .mo files the pages are translated from, built from the committed
    .po files as `make` builds them, so a stale or missing one cannot skew a
    test run started with plain pytest."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in (Path(__file__).parents[1] / "locale").glob("*/LC_MESSAGES/*.po"):
        with po_path.open("rb") as po:
            catalog = read_po(po)
        with po_path.with_suffix(".mo").open("wb") as mo:
            write_mo(mo, catalog)


@pytest.fixture(scope="session", autouse=True)
def collected_static() -> None:
    """Pages use hashed static names, as in production: build the manifest once.
    Without WhiteNoise's compressed copies (half a second a run): no test
    reads them, and CI's image build compresses as production does."""
    from django.conf import settings

    storages = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
        },
    }
    with override_settings(STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)


def clear_cache() -> None:
    """Empty our cache. On Redis, only our own keys: a FLUSHDB would also wipe
    whatever else shares that Redis database."""
    from django.conf import settings
    from django_redis import get_redis_connection

    config = settings.CACHES["default"]
    if "Redis" not in config["BACKEND"]:
        cache.clear()
        return
    client = get_redis_connection("default")
    keys = list(client.scan_iter(match=f"{config.get('KEY_PREFIX', '')}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language: a request handled in French
    leaves French active in its thread, and model fields would follow it."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(autouse=True)
def _rate_limit_window_holds_still(monkeypatch):
    """django-ratelimit counts in windows aligned to the clock (each key's
    hour ends at its own minute and second). A window that ends in the middle
    of a test starts its count again, and the test that expects the fourth
    attempt refused fails once an hour. In-process requests see the clock of
    the test's start; servers the tests start keep the real one."""
    import django_ratelimit.core

    started = time.time()
    monkeypatch.setattr(
        django_ratelimit.core, "time", SimpleNamespace(time=lambda: started)
    )


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Counts, rate limits and email throttles start from zero in every test."""
    clear_cache()
    yield
    clear_cache()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path_factory):
    """Uploaded images go to a folder of each test's own, never into the
    working tree."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture
def seed_text() -> str:
    return (TEST_DATA / "seed_campaign.txt").read_text(encoding="utf-8")


@pytest.fixture
def seed_campaign(db) -> Petition:
    """The seed campaign, loaded again where a transactional test flushed it."""
    import_module("petition.migrations.0002_seed_campaign").load_campaign(apps, None)
    return Petition.objects.get(slug=SEED_SLUG)


@pytest.fixture
def organizers_group(db) -> None:
    """The Organizers group, made again where a transactional test flushed it."""
    import_module("signatures.migrations.0004_organizers_group").create_group(
        apps, None
    )
    import_module("signatures.migrations.0014_paper_batches").grant_organizers(
        apps, None
    )
    import_module("crm.migrations.0002_organizers_permissions").grant(apps, None)
    import_module("updates.migrations.0002_organizers_write_updates").grant(apps, None)


def pytest_terminal_summary(terminalreporter) -> None:
    from tests import figures

    if figures.lines:
        terminalreporter.section("reliability figures")
        for line in figures.lines:
            terminalreporter.write_line(line)


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """Organizers log in throughout the suite; the production hasher's
    million rounds would cost each login and each new user a good part of a
    second. Servers the tests start in their own processes keep it."""
    with override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
    ):
        yield


@pytest.fixture
def mail_server(settings):
    """A real SMTP server, and the site sending through it."""
    server = MailServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_TIMEOUT = 5
    yield server
    emails.forget_kept_connection()  # a session to this server is of no use now
    server.close()
