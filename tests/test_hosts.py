"""A host we do not serve gets the friendly 400 page, never a 500; links on
shared, cacheable pages come from SITE_URL, never from a request's Host."""

import http.client
import json
import re

import pytest
from django.test import Client

from tests.conftest import SEED_SLUG
from tests.servers import gunicorn, migrate, server_env

pytestmark = pytest.mark.django_db

PUBLIC_SITE = "https://petition.example.org"

BAD_HOSTS = [
    "elsewhere.example",  # not ours
    "localhost:http",  # a port that is not a number
    "localhost:80:80",
    "[2001:db8::5]",  # an IPv6 literal we do not serve
    "[2001:db8::5]:8000",
    "[::1",  # an unclosed IPv6 literal
    "xn--zz.example",
    "evil.example/..",
    "a." * 200 + "example",  # very long
    "b" * 5000,
]
PAGES = [
    "/",
    "/en/",
    f"/en/p/{SEED_SLUG}/",
    f"/fr/p/{SEED_SLUG}/",
    f"/en/p/{SEED_SLUG}/thanks/",
    f"/en/p/{SEED_SLUG}/widget/",
    f"/p/{SEED_SLUG}/count.json",
    "/en/privacy/",
    "/en/no-such-page/",
    "/admin/login/",
]


@pytest.mark.parametrize("host", BAD_HOSTS)
def test_a_host_we_do_not_serve_gets_the_friendly_400_page(seed_campaign, host):
    client = Client(raise_request_exception=False)

    for path in PAGES:
        response = client.get(path, HTTP_HOST=host)

        assert response.status_code == 400, (path, response.status_code)
        if path != "/admin/login/":  # the site's own page, in its language
            assert 'class="wrap narrow notice-page"' in response.text


def _raw_get(port: int, host: str, path: str) -> int:
    """A GET with exactly this Host header, as a client on the internet may
    send it: http.client would otherwise write its own."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_host=True)
        connection.putheader("Host", host)
        connection.endheaders()
        reply = connection.getresponse()
        reply.read()
        return reply.status
    finally:
        connection.close()


def test_gunicorn_answers_bad_hosts_with_400_never_500(tmp_path):
    env = server_env(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    migrate(env)

    with gunicorn(env) as base:
        port = int(base.rsplit(":", 1)[1])
        statuses = {
            (host[:40], path): _raw_get(port, host, path)
            for host in [*BAD_HOSTS, "[::ffff:10.0.0.1]"]
            for path in (f"/en/p/{SEED_SLUG}/", f"/p/{SEED_SLUG}/count.json", "/")
        }
        # The hosts we do serve still work, on any port, even one that
        # cannot exist: nothing is built from it.
        good = [
            _raw_get(port, host, f"/en/p/{SEED_SLUG}/")
            for host in ("localhost:8001", "localhost:99999999", "[::1]:1")
        ]

    assert {k: v for k, v in statuses.items() if v != 400} == {}
    assert good == [200, 200, 200]


@pytest.fixture
def public_site(settings):
    settings.SITE_URL = PUBLIC_SITE


@pytest.mark.usefixtures("public_site")
@pytest.mark.parametrize("host", ["localhost:8001", "127.0.0.1", "[::1]:9999"])
def test_links_on_shared_pages_come_from_the_site_address_not_the_host(
    seed_campaign, host
):
    client = Client()
    petition_url = f"{PUBLIC_SITE}/en/p/{SEED_SLUG}/"

    thanks = client.get(f"/en/p/{SEED_SLUG}/thanks/", HTTP_HOST=host).text
    confirmed = client.get(f"/en/p/{SEED_SLUG}/confirmed/", HTTP_HOST=host).text
    widget = client.get(f"/en/p/{SEED_SLUG}/widget/", HTTP_HOST=host).text
    count = json.loads(client.get(f"/p/{SEED_SLUG}/count.json", HTTP_HOST=host).text)
    page = client.get(f"/fr/p/{SEED_SLUG}/", HTTP_HOST=host).text

    # The address to copy, naming its channel.
    assert f'value="{petition_url}?source=link"' in thanks
    assert f'value="{petition_url}?source=link"' in confirmed
    assert f'href="{petition_url}"' in widget
    assert count["url"] == petition_url
    assert re.search(
        rf'hreflang="en-CA" href="{re.escape(PUBLIC_SITE)}/en/p/{SEED_SLUG}/"', page
    )
    assert re.search(
        rf'<link rel="canonical" href="{re.escape(PUBLIC_SITE)}/(en|fr)/p/{SEED_SLUG}/">',
        page,
    )
    bare_host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    for text in (thanks, confirmed, widget, page, json.dumps(count)):
        assert f"//{host}" not in text
        assert f"//{bare_host}/" not in text
