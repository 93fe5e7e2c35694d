"""When PostgreSQL goes away, visitors are asked to come back shortly, nothing
half-done is stored, and the site recovers by itself when it returns.

The end-to-end tests run the app under gunicorn against a PostgreSQL server
of their own, which they crash and start again.
"""

import json
import time
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection

from core.middleware import DatabaseOutageMiddleware
from core.views import service_unavailable
from tests.backing_services import DedicatedPostgres, postgres_missing, wait_until
from tests.conftest import SEED_SLUG
from tests.figures import report
from tests.html_tools import parse_page
from tests.servers import Visitor, gunicorn, http, migrate, server_env
from tests.signing import form_data

CAMPAIGN_URL = f"/en/p/{SEED_SLUG}/"
SIGN_URL = f"/en/p/{SEED_SLUG}/sign/"
# How long the site may take to notice the database is back. The pool
# retries in the background and each request tries afresh, so seconds.
RECOVERY_SECONDS = 10

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql" or bool(postgres_missing()),
    reason=(
        "needs DATABASE_URL=postgres://... and the PostgreSQL server binaries: "
        "starts, crashes and restarts a PostgreSQL server of its own"
    ),
)


# --- The 503 page itself: no database at all (these tests have no db mark, so
# any query would fail them) ---------------------------------------------------


def test_visitors_get_a_friendly_503_page_that_needs_no_database(rf):
    response = service_unavailable(rf.get(SIGN_URL))

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "no-store" in response["Cache-Control"]
    page = parse_page(response.content.decode())
    assert [h.text for h in page.all("h1")] == ["We’ll be back in a moment"]
    assert "Signing twice never counts you twice." in page.visible_text
    # The site's own look: its header, footer and stylesheet.
    assert any("site-name" in a.attrs.get("class", "") for a in page.all("a"))
    assert "make your voice heard." in page.visible_text
    assert any("/static/css/site." in link.attrs["href"] for link in page.all("link"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "error",
    [
        # On a database that answers, these are bugs: the 500 page and the
        # error log, with the traceback, not a soothing 503.
        OperationalError("deadlock detected"),
        OperationalError("no such table: signatures_signature"),
        InterfaceError("cursor already closed"),
        DatabaseError("syntax error"),
        ValueError("bug"),
    ],
)
def test_errors_on_a_database_that_answers_are_left_to_the_500_page(rf, error):
    middleware = DatabaseOutageMiddleware(lambda request: None)

    assert middleware.process_exception(rf.get(SIGN_URL), error) is None


# --- End to end: gunicorn and a PostgreSQL server that crashes ----------------


class Site:
    def __init__(self, base: str, log: Path) -> None:
        self.base = base
        self.log = log

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def database():
    server = DedicatedPostgres()
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def site(database, tmp_path_factory):
    env = server_env(
        database.url,
        # The test's key, so that its forms (tests/signing.py) are accepted.
        SECRET_KEY=settings.SECRET_KEY,
        TASKS_BACKEND="immediate",
        EMAIL_URL="dummymail://",
        DATABASE_POOL_TIMEOUT="2",
        DATABASE_CONNECT_TIMEOUT="2",
    )
    migrate(env)
    log = tmp_path_factory.mktemp("database-outage") / "gunicorn.log"
    with gunicorn(env, log=log) as base:
        yield Site(base, log)


def stored_emails(database: DedicatedPostgres) -> list[str]:
    with psycopg.connect(database.url) as conn:
        rows = conn.execute("SELECT email FROM signatures_signature ORDER BY id")
        return [email for (email,) in rows]


@needs_postgres
def test_visitors_get_a_friendly_503_while_the_database_is_down(site, database):
    visitor = Visitor(site.base, SIGN_URL)  # the form is shown before the outage

    database.crash()
    try:
        campaign = http(site.base + CAMPAIGN_URL)
        signing = visitor.sign(form_data(email="during.outage@example.org"))
        health = http(site.base + "/healthz")
    finally:
        database.start()
        # The pool reconnects with backoff: let the next test start from a site
        # that is back.
        wait_until(
            lambda: http(site.base + "/healthz").status == 200,
            timeout=RECOVERY_SECONDS,
        )

    # The campaign page reads the public read model (petition/public.py), as
    # it stood: it needs no database. Signing does.
    assert campaign.status == 200
    for reply in (signing,):
        assert reply.status == 503
        assert reply.headers["Retry-After"] == "30"
        assert "no-store" in reply.headers["Cache-Control"]
        assert "Content-Security-Policy" in reply.headers
        page = parse_page(reply.body)
        assert [h.text for h in page.all("h1")] == ["We’ll be back in a moment"]
    assert health.status == 503
    assert json.loads(health.body) == {"status": "error", "database": "unavailable"}
    assert "during.outage@example.org" not in stored_emails(database)
    log = site.log_text()
    assert "Database unavailable (OperationalError): POST signatures:sign" in log
    assert "Internal Server Error" not in log
    assert "during.outage" not in log


@needs_postgres
def test_the_site_recovers_by_itself_when_the_database_returns(site, database):
    assert wait_until(
        lambda: http(site.base + "/healthz").status == 200, timeout=RECOVERY_SECONDS
    )
    visitor = Visitor(site.base, SIGN_URL)

    def form_with_an_error() -> int:
        # Asks the database whether the petition still takes signatures.
        return visitor.sign(form_data(email="")).status

    database.crash()
    try:
        assert form_with_an_error() == 503
    finally:
        database.start()
    back_at = time.monotonic()

    recovered = wait_until(
        lambda: form_with_an_error() == 200,
        timeout=RECOVERY_SECONDS,
        interval=0.25,
    )

    assert recovered, f"still failing {RECOVERY_SECONDS}s after the database came back"
    report(
        "database killed (pg_ctl stop -m immediate) and restarted: 503 during, "
        f"recovered {time.monotonic() - back_at:.1f} s after it returned, "
        "no restart, nothing stored from the outage"
    )
    assert visitor.sign(form_data(email="after.outage@example.org")).status == 302
    assert "after.outage@example.org" in stored_emails(database)
    assert http(site.base + "/healthz").status == 200
    # Same gunicorn worker throughout: nothing was restarted to recover.
    assert site.log_text().count("Booting worker") == 1
