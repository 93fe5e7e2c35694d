"""Two app nodes (gunicorn with config/gunicorn.py, each its own process on its
own port) sharing one PostgreSQL database and one Redis, as several nodes
behind a proxy are run: the rate limits, the deduplication of signers and
the public count hold across them.

Each POST is sent as a browser sends it: the page fetched first, its form's
hidden fields and cookies sent back (today's CSRF token among them, if the
form has one), with Origin, Referer and the Fetch Metadata headers.
"""

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from html.parser import HTMLParser
from http.cookies import SimpleCookie

import pytest
from django.conf import settings as django_settings
from django.db import connection

from petition.models import Petition
from signatures.models import Signature
from tests.backing_services import MailServer, wait_until
from tests.conftest import SEED_SLUG
from tests.servers import Reply, database_url, gunicorn, http, server_env
from tests.signing import form_data

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs DATABASE_URL=postgres://... and REDIS_URL=redis://...: nodes "
        "in processes of their own share a database server, which SQLite is not "
        "(CI's PostgreSQL pass runs this)",
    ),
    pytest.mark.skipif(
        not django_settings.CACHES["default"]["BACKEND"].endswith("RedisCache"),
        reason="needs REDIS_URL=redis://...: nodes share limits and counts "
        "through Redis (CI's PostgreSQL pass runs this)",
    ),
    # The nodes see only what this test commits.
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seed_campaign"),
]

SIGN = f"/en/p/{SEED_SLUG}/sign/"
COUNT = f"/p/{SEED_SLUG}/count.json"
# How long a node may show a count it has kept (SIGNATURE_COUNT_CACHE_SECONDS
# and PAGE_CACHE_SECONDS, for the nodes of these tests).
CACHE_SECONDS = 3
# tests.servers.http asks for this host; the Origin a browser sends with it.
ORIGIN = "http://localhost"


class _Form(HTMLParser):
    """The hidden fields of the first POST form on a page."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._state = "before"

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = {name: value or "" for name, value in attrs}
        post_form = tag == "form" and attributes.get("method", "").lower() == "post"
        if post_form and self._state == "before":
            self._state = "inside"
        elif self._state == "inside" and attributes.get("type") == "hidden":
            self.fields[attributes.get("name", "")] = attributes.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._state == "inside":
            self._state = "after"


class Browser:
    """One visitor: its cookies kept from answer to answer."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def _headers(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    def _keep_cookies(self, reply: Reply) -> Reply:
        jar: SimpleCookie = SimpleCookie()
        jar.load(reply.headers.get("Set-Cookie", ""))
        self.cookies |= {name: morsel.value for name, morsel in jar.items()}
        return reply

    def get(self, url: str) -> Reply:
        return self._keep_cookies(http(url, headers=self._headers()))

    def form(self, url: str) -> dict[str, str]:
        """The hidden fields of the POST form on the page at `url`."""
        page = self.get(url)
        assert page.status == 200, (url, page.status)
        form = _Form()
        form.feed(page.body)
        return form.fields

    def post(self, url: str, hidden: dict[str, str], fields: dict[str, str]) -> Reply:
        """A form's POST from a page of this site, as a browser sends it."""
        path = re.sub(r"^https?://[^/]+", "", url)
        headers = {
            **self._headers(),
            "Origin": ORIGIN,
            "Referer": ORIGIN + path,
            "Sec-Fetch-Site": "same-origin",
            "Sec-Fetch-Mode": "navigate",
            "Sec-Fetch-Dest": "document",
        }
        return self._keep_cookies(http(url, data={**hidden, **fields}, headers=headers))


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    server = MailServer()
    server.start()
    yield server
    server.close()


@pytest.fixture
def two_nodes(mail_server):
    """Start two nodes on the test database and Redis; `two_nodes(**settings)`
    gives their base URLs. Stopped at the end of the test."""
    with ExitStack() as stack:

        def start(**overrides: str) -> tuple[str, str]:
            env = server_env(
                database_url(connection.settings_dict),
                SECRET_KEY=django_settings.SECRET_KEY,
                REDIS_URL=django_settings.CACHES["default"]["LOCATION"],
                # This process's prefix: its cache is emptied between tests,
                # the nodes' keys with it.
                CACHE_KEY_PREFIX=django_settings.CACHES["default"]["KEY_PREFIX"],
                TASKS_BACKEND="immediate",
                EMAIL_URL=f"smtp://127.0.0.1:{mail_server.port}",
                SIGNATURE_MIN_FILL_SECONDS="0",
                SIGNATURE_COUNT_CACHE_SECONDS=str(CACHE_SECONDS),
                PAGE_CACHE_SECONDS=str(CACHE_SECONDS),
                **overrides,
            )
            return (
                stack.enter_context(gunicorn(env)),
                stack.enter_context(gunicorn(env)),
            )

        yield start


def sign(base: str, email: str, browser: Browser | None = None) -> int:
    browser = browser or Browser()
    hidden = browser.form(base + SIGN)
    return browser.post(base + SIGN, hidden, form_data(email=email)).status


def shown_count(base: str) -> int:
    return json.loads(http(base + COUNT).body)["count"]


def test_the_sign_rate_limit_is_shared_by_both_nodes(two_nodes):
    # The hourly limit: its window turns (at a moment of the clock) during
    # the test far more rarely than a minute's would.
    first, second = two_nodes(SIGN_RATE_PER_HOUR="4/h")

    statuses = [
        sign(base, f"signer{n}@example.org")
        for n, base in enumerate([first, second, first, second, second])
    ]

    # The second node refuses its third request: the limit counts the first's.
    assert statuses == [302, 302, 302, 302, 429]
    assert Signature.objects.count() == 4


def test_one_address_signed_through_both_nodes_at_once_is_one_signature(two_nodes):
    first, second = two_nodes()
    # How one person types their address, each time a little differently.
    variants = ["jane@example.org", "JANE@example.org", " jane@Example.org "] * 2
    browsers = [Browser() for _ in variants]
    posts = [
        (base, browser, browser.form(base + SIGN))
        for base, browser in zip([first, second] * 3, browsers, strict=True)
    ]
    start = threading.Barrier(len(posts))
    statuses: list[int] = []

    def post(base: str, browser: Browser, hidden: dict[str, str], email: str) -> None:
        start.wait()
        reply = browser.post(base + SIGN, hidden, form_data(email=email))
        statuses.append(reply.status)

    threads = [
        threading.Thread(target=post, args=(*p, email))
        for p, email in zip(posts, variants, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # Each answered as any signing is, whoever came first.
    assert statuses == [302] * len(variants)
    assert Signature.objects.count() == 1


def _confirmation_links(mail_server: MailServer, count: int) -> dict[str, str]:
    """Recipient -> the path of the confirmation link emailed to them."""
    assert wait_until(lambda: len(mail_server.received) >= count, timeout=30)
    links = {}
    for message in mail_server.received:
        body = message.get_body(preferencelist=("plain",))
        assert body, message
        text = body.get_content()
        match = re.search(r"https?://[^/\s]+(/(?:en|fr)/confirm/\S+/)", text)
        assert match, text
        links[message["To"]] = match[1]
    return links


def test_signatures_confirmed_through_either_node_are_counted_by_both(
    two_nodes, mail_server
):
    Petition.objects.filter(slug=SEED_SLUG).update(requires_confirmation=True)
    first, second = two_nodes()
    before = shown_count(first)
    # Both nodes read it from the one shared entry (petition/public.py).
    assert shown_count(second) == before
    assert sign(first, "ada@example.org") == 302
    assert sign(second, "grace@example.org") == 302
    links = _confirmation_links(mail_server, 2)

    # Each confirmed through the node that did not take the signature.
    for base, address in [(second, "ada@example.org"), (first, "grace@example.org")]:
        browser = Browser()
        hidden = browser.form(base + links[address])
        reply = browser.post(base + links[address], hidden, {})
        assert reply.status == 302, reply.status
        assert "/confirmed/" in reply.headers["Location"]
    confirmed_at = time.monotonic()

    assert wait_until(
        lambda: shown_count(first) == shown_count(second) == before + 2,
        timeout=CACHE_SECONDS + 2,
    ), (before, shown_count(first), shown_count(second))
    assert time.monotonic() - confirmed_at <= CACHE_SECONDS + 1
    assert Signature.objects.filter(status=Signature.Status.CONFIRMED).count() == 2
