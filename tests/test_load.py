"""Many people signing at once, over real HTTP, against gunicorn and PostgreSQL.

Every client is a browser of its own: its own cookie jar, the form fetched
before each signing (CSRF cookie and token, signed render time), then posted.
A quarter of the signings reuse an address another client uses, typed
differently (case, Gmail dots and +tags, googlemail.com), and race the first.
Afterwards the database must hold exactly one row per person and one for
every "thank you" a client saw, and no request may have met a server error.
"""

import http.cookiejar
import json
import random
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from email.message import Message

import pytest
from django.conf import settings as django_settings

from tests.conftest import SEED_SLUG
from tests.figures import report
from tests.servers import gunicorn, migrate, server_env

pytestmark = pytest.mark.skipif(
    django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="needs DATABASE_URL=postgres://...: SQLite takes one writer at a time, "
    "so it cannot show how concurrent signings settle (CI runs this on PostgreSQL)",
)

CLIENTS = 48
SIGNINGS_PER_CLIENT = 5
# One signing in four reuses an address already given to another client.
DUPLICATE_SHARE = 0.25

SIGN_PATH = f"/en/p/{SEED_SLUG}/sign/"
COUNT_PATH = f"/p/{SEED_SLUG}/count.json"
THANKS_PATH = f"/en/p/{SEED_SLUG}/thanks/"


# --- The database -------------------------------------------------------------


def _admin_connection():
    import psycopg

    db = django_settings.DATABASES["default"]
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


@pytest.fixture
def fresh_database():
    """A PostgreSQL database of its own, migrated, dropped afterwards; yields
    its URL."""
    db = django_settings.DATABASES["default"]
    name = f"fuzz_load_{secrets.token_hex(4)}"
    credentials = urllib.parse.quote(db["USER"], safe="")
    if db["PASSWORD"]:
        credentials += ":" + urllib.parse.quote(db["PASSWORD"], safe="")
    url = f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url
    finally:
        with _admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _stored_signatures(database_url: str) -> list[tuple[str, str]]:
    import psycopg

    with psycopg.connect(database_url) as connection:
        return connection.execute(
            "SELECT email_canonical, full_name FROM signatures_signature"
        ).fetchall()


def _forget_cache(redis_url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


# --- The signers --------------------------------------------------------------


def _variant(address: str, rng: random.Random) -> str:
    """The same inbox typed another way."""
    local, domain = address.split("@")
    if domain == "gmail.com":
        choice = rng.randrange(5)
        if choice == 0:
            return f"{local.upper()}@Gmail.com"
        if choice == 1:
            return f"{local[:2]}.{local[2:4]}.{local[4:]}@gmail.com"
        if choice == 2:
            return f"{local}+petition{rng.randrange(100)}@gmail.com"
        if choice == 3:
            return f"{local}@googlemail.com"
        return f"{local[:3].upper()}.{local[3:]}+x@GoogleMail.com"
    return rng.choice(
        [f"{local.upper()}@{domain}", f"{local.title()}@{domain.upper()}"]
    )


@dataclass
class Signing:
    email: str
    full_name: str
    # The address as first given: the canonical form every variant meets.
    person: str
    reuses: bool


def _plan(rng: random.Random) -> list[list[Signing]]:
    """Each client's signings: mostly new people, a quarter reusing an
    address that another client also uses."""
    total = CLIENTS * SIGNINGS_PER_CLIENT
    duplicates = round(total * DUPLICATE_SHARE)
    people = [
        f"signer{n:04d}@{'gmail.com' if n % 2 else 'example.org'}"
        for n in range(total - duplicates)
    ]
    per_client: list[list[Signing]] = [[] for _ in range(CLIENTS)]
    for n, person in enumerate(people):
        per_client[n % CLIENTS].append(
            Signing(person, f"Signer {n}", person, reuses=False)
        )
    for n in range(duplicates):
        original = rng.randrange(len(people))
        # Never the client that has the original: another browser, another cookie.
        client = (original % CLIENTS + rng.randrange(1, CLIENTS)) % CLIENTS
        per_client[client].append(
            Signing(
                _variant(people[original], rng),
                f"Again {n}",
                people[original],
                reuses=True,
            )
        )
    for signings in per_client:
        rng.shuffle(signings)
    return per_client


@dataclass
class Results:
    statuses: Counter = field(default_factory=Counter)
    thanked: list[Signing] = field(default_factory=list)
    refused: list[tuple[Signing, int]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One person's browser behind the site's TLS proxy: Secure cookies are
    kept and sent, and the proxy says the request came over HTTPS."""

    def __init__(self, base: str) -> None:
        self.base = base
        # The proxy is on loopback: count plain HTTP to it as the HTTPS it stands for.
        jar = http.cookiejar.CookieJar(
            http.cookiejar.DefaultCookiePolicy(secure_protocols=("https", "http"))
        )
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(jar), _NoRedirects
        )
        self.headers = {
            "X-Forwarded-Proto": "https",
            "Origin": "https://" + urllib.parse.urlsplit(base).netloc,
        }

    def request(self, path: str, data: dict | None = None) -> tuple[int, Message, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(
            self.base + path, data=body, headers=self.headers
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()


def _sign(browser: Browser, signing: Signing, results: Results) -> None:
    status, _, _ = browser.request(SIGN_PATH)
    with results.lock:
        results.statuses[status] += 1
    if status != 200:
        with results.lock:
            results.refused.append((signing, status))
        return
    # As the page's script does on load: the count, and the signed time the
    # form carries back (signatures/form_clock.py).
    status, _, count = browser.request(COUNT_PATH)
    with results.lock:
        results.statuses[status] += 1
    status, headers, _ = browser.request(
        SIGN_PATH,
        {
            # What the page's script writes as the form is sent.
            "issued": json.loads(count)["issued"] if status == 200 else "",
            "shown_for": "30000",
            "full_name": signing.full_name,
            "email": signing.email,
            "country": "CA",
            "postal_code": "K1A 0B1",
            "website": "",
        },
    )
    with results.lock:
        results.statuses[status] += 1
        if status == 302 and headers["Location"] == THANKS_PATH:
            results.thanked.append(signing)
        else:
            results.refused.append((signing, status))


def _run_clients(base: str, plan: list[list[Signing]]) -> tuple[Results, float]:
    results = Results()
    start = threading.Barrier(len(plan) + 1)

    def client(signings: list[Signing]) -> None:
        browser = Browser(base)
        start.wait()
        for signing in signings:
            try:
                _sign(browser, signing, results)
            except Exception as error:  # counted and reported by the test
                with results.lock:
                    results.failures.append(f"{signing.email}: {error!r}")

    threads = [threading.Thread(target=client, args=(s,)) for s in plan]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.monotonic()
    for thread in threads:
        thread.join(timeout=120)
    return results, time.monotonic() - began


def test_many_people_signing_at_once_each_count_once_and_nobody_sees_an_error(
    fresh_database,
):
    redis_url = django_settings.CACHES["default"].get("LOCATION", "")
    prefix = f"load-{uuid.uuid4()}"
    env = server_env(
        fresh_database,
        GUNICORN_WORKERS="2",
        GUNICORN_THREADS="4",
        TASKS_BACKEND="database",  # emails queued, as in production
        LOG_LEVEL="WARNING",
        # One address sends them all: the per-address limits would stop it.
        SIGN_RATE_PER_MINUTE="1000000/m",
        SIGN_RATE_PER_HOUR="1000000/h",
        # Each client signs as soon as the form arrives.
        SIGNATURE_MIN_FILL_SECONDS="0",
    )
    if redis_url.startswith("redis"):
        env |= {"REDIS_URL": redis_url, "CACHE_KEY_PREFIX": prefix}
    migrate(env)
    plan = _plan(random.Random(8))  # noqa: S311 - a repeatable plan, not a secret
    try:
        with gunicorn(env) as base:
            results, seconds = _run_clients(base, plan)
    finally:
        if redis_url.startswith("redis"):
            _forget_cache(redis_url, prefix)
    rows = _stored_signatures(fresh_database)

    signings = [signing for signings in plan for signing in signings]
    requests = sum(results.statuses.values())
    server_errors = sum(n for status, n in results.statuses.items() if status >= 500)
    report(
        f"load: {CLIENTS} clients, {requests} requests "
        f"({len(signings)} signings, {sum(s.reuses for s in signings)} reusing "
        f"another client's address), {len(rows)} rows, {server_errors} 5xx, "
        f"{seconds:.1f} s ({requests / seconds:.0f} requests/s)"
    )
    assert results.failures == []
    assert server_errors == 0, results.statuses
    # Nothing else held anyone back (no rate limit, no CSRF refusal).
    assert results.refused == []
    assert len(results.thanked) == len(signings)
    rows_per_person = Counter(email for email, _ in rows)
    # One row per person, however they typed their address...
    assert [e for e, n in rows_per_person.items() if n > 1] == []
    # ...one for every "thank you" seen, and none that nobody asked for.
    assert set(rows_per_person) == {signing.person for signing in results.thanked}
    names_sent = defaultdict(set)
    for signing in results.thanked:
        names_sent[signing.person].add(signing.full_name)
    assert [(e, name) for e, name in rows if name not in names_sent[e]] == []
