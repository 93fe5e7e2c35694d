"""nginx in front of gunicorn, with the configuration we ship
(deploy/nginx.conf): slow clients cannot starve the site, the app sees the
real client address and HTTPS, the access log keeps no secrets, and the
shared cache keeps what the app calls public and nothing else.

Needs Debian's nginx (`apt-get install nginx`) and openssl; skipped without
them, unless CI or REQUIRE_BROWSER is set (as CI does), when it fails.
"""

import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http import client as http_client
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from pathlib import Path

import pytest

from tests.conftest import SEED_SLUG
from tests.servers import ROOT, free_port, gunicorn, http, migrate, server_env

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
OPENSSL = shutil.which("openssl")
CAMPAIGN = f"/en/p/{SEED_SLUG}/"
SIGN = f"/en/p/{SEED_SLUG}/sign/"
COUNT = f"/p/{SEED_SLUG}/count.json"
# How long the app lets any cache keep count.json (its max-age).
COUNT_SECONDS = 2
SLOW_CLIENTS = 20
# What a person waiting for the page would still call quick.
QUICK_SECONDS = 3.0

_missing = [
    name
    for name, found in (("nginx", Path(NGINX).exists()), ("openssl", OPENSSL))
    if not found
]
pytestmark = pytest.mark.skipif(
    bool(_missing) and not (os.environ.get("CI") or os.environ.get("REQUIRE_BROWSER")),
    reason=f"needs {' and '.join(_missing)} (apt-get install nginx openssl)",
)


def render_nginx_conf(values: dict[str, str]) -> str:
    """deploy/nginx.conf with its ${NAME} placeholders filled, as envsubst
    with the list of names does: nginx's own $variables are left alone."""
    template = (ROOT / "deploy" / "nginx.conf").read_text()
    return re.sub(r"\$\{([A-Z_]+)\}", lambda match: values[match[1]], template)


@contextmanager
def nginx_in_front_of(upstream: str, prefix: Path) -> Iterator[dict[str, int]]:
    """nginx run as the shipped configuration says, under its own prefix;
    yields its HTTP and HTTPS ports."""
    assert OPENSSL, "needs openssl"
    prefix.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            OPENSSL,
            *("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=localhost"),
            *("-keyout", str(prefix / "key.pem"), "-out", str(prefix / "cert.pem")),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    ports = {"http": free_port(), "https": free_port()}
    config = prefix / "nginx.conf"
    config.write_text(
        render_nginx_conf(
            {
                "NGINX_HTTP_LISTEN": f"127.0.0.1:{ports['http']}",
                "NGINX_HTTPS_LISTEN": f"127.0.0.1:{ports['https']}",
                "NGINX_TLS_CERTIFICATE": str(prefix / "cert.pem"),
                "NGINX_TLS_KEY": str(prefix / "key.pem"),
                "GUNICORN_SERVERS": f"server {upstream};",
            }
        )
    )
    # As root, nginx would hand its workers to "nobody", who cannot enter a
    # private temporary directory; as anyone else it runs as that user.
    directives = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
    server = subprocess.Popen(
        [
            NGINX,
            "-p",
            f"{prefix}/",
            "-e",
            "error.log",
            "-c",
            str(config),
            "-g",
            directives,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                if http(f"http://127.0.0.1:{ports['http']}/healthz").status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                log = (prefix / "error.log").read_text(errors="replace")
                raise RuntimeError(f"nginx did not start: {log[-2000:]}")
            time.sleep(0.1)
        yield ports
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """gunicorn as configured for production (one worker, two threads here),
    and nginx in front of it. gunicorn's access log says which requests
    reached the app."""
    directory = tmp_path_factory.mktemp("proxy")
    env = server_env(
        f"sqlite:///{directory / 'db.sqlite3'}",
        TRUSTED_PROXY_COUNT="1",
        SECURE_SSL_REDIRECT="true",
        SIGN_RATE_PER_MINUTE="1/m",
        SIGN_RATE_PER_HOUR="100/h",
        GUNICORN_ACCESSLOG=str(directory / "app-access.log"),
        # The production default: the suite's own is 0, which no cache keeps.
        PAGE_CACHE_SECONDS="5",
    )
    migrate(env)
    with gunicorn(env) as app:
        upstream = app.removeprefix("http://")
        with nginx_in_front_of(upstream, directory / "nginx") as ports:
            yield {
                "app": app,
                "http": f"http://127.0.0.1:{ports['http']}",
                "https_port": ports["https"],
                "nginx": directory / "nginx",
                "app_log": directory / "app-access.log",
            }


# --- Slow clients ---------------------------------------------------------------


class SlowClients:
    """Connections that send a request a byte at a time and never finish:
    half stall in their headers (slowloris), half in a form's body."""

    def __init__(self, port: int, count: int, *, tls: bool = False) -> None:
        self.port = port
        self.count = count
        self.tls = tls
        self.sockets: list[socket.socket] = []
        self.stop = threading.Event()
        self.trickler = threading.Thread(target=self._trickle, daemon=True)

    def __enter__(self) -> "SlowClients":
        for n in range(self.count):
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            if self.tls:
                sock = _unverified().wrap_socket(sock, server_hostname="localhost")
            if n % 2:
                sock.sendall(
                    f"GET {CAMPAIGN} HTTP/1.1\r\nHost: localhost\r\nX-Slow: ".encode()
                )
            else:
                sock.sendall(
                    f"POST {SIGN} HTTP/1.1\r\nHost: localhost\r\n"
                    # A browser's cookie and origin, so that Django's CSRF
                    # check waits for the token in the body.
                    f"Cookie: csrftoken={'x' * 32}\r\nOrigin: https://localhost\r\n"
                    "Content-Type: application/x-www-form-urlencoded\r\n"
                    "Content-Length: 100000\r\n\r\nfull_name=".encode()
                )
            self.sockets.append(sock)
        self.trickler.start()
        time.sleep(1)  # every connection now held by whoever reads it
        return self

    def _trickle(self) -> None:
        while not self.stop.wait(0.5):
            for sock in self.sockets:
                # A socket the server closed: that is its defence.
                with suppress(OSError):
                    sock.send(b"a")

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.trickler.join()
        for sock in self.sockets:
            sock.close()


def _unverified() -> ssl.SSLContext:
    # Our self-signed test certificate: nothing to verify it against.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _timed_get(url: str, *, https_port: int | None = None) -> tuple[int, float]:
    """(status, seconds), or (0, seconds) when no answer came in time."""
    started = time.monotonic()
    try:
        if https_port:
            connection = http_client.HTTPSConnection(
                "127.0.0.1",
                https_port,
                timeout=QUICK_SECONDS + 2,
                context=_unverified(),
            )
            connection.request("GET", url, headers={"Host": "localhost"})
            status = connection.getresponse().status
            connection.close()
        else:
            status = _get(url)
    except (OSError, http_client.HTTPException):
        status = 0
    return status, time.monotonic() - started


def _get(url: str) -> int:
    match = re.match(r"http://([^/]+)(.*)", url)
    assert match, url
    host, path = match.groups()
    connection = http_client.HTTPConnection(host, timeout=QUICK_SECONDS + 2)
    try:
        connection.request("GET", path, headers={"Host": "localhost"})
        return connection.getresponse().status
    finally:
        connection.close()


def test_slow_clients_leave_the_site_answering_through_nginx(site):
    # Over HTTPS, as the site is reached: a plain-HTTP form is redirected
    # before anything reads its body.
    with SlowClients(site["https_port"], SLOW_CLIENTS, tls=True):
        health = _timed_get(site["http"] + "/healthz")
        page = _timed_get(CAMPAIGN, https_port=site["https_port"])
        again = _timed_get(site["http"] + "/healthz")

    for status, seconds in (health, page, again):
        assert status == 200
        assert seconds < QUICK_SECONDS


def test_the_same_slow_clients_starve_gunicorn_facing_them_alone(site):
    """Why nginx is there: gunicorn gives each connection a thread until its
    request is complete, so a handful of slow ones take every thread."""
    port = int(site["app"].rsplit(":", 1)[1])

    with SlowClients(port, SLOW_CLIENTS):
        status, seconds = _timed_get(site["app"] + "/healthz")

    assert status == 0, f"answered {status} in {seconds:.1f} s"
    # Once they are gone, it answers again.
    assert _timed_get(site["app"] + "/healthz")[0] == 200


# --- What the app learns from nginx ---------------------------------------------


def _post_sign_from(source: str, site: dict, forged: str | None = None) -> int:
    """An (invalid) signing form sent over HTTPS from the loopback address
    `source`, with a browser's CSRF cookie, token and Origin."""
    context = _unverified()
    connection = http_client.HTTPSConnection(
        "127.0.0.1",
        site["https_port"],
        timeout=10,
        context=context,
        source_address=(source, 0),
    )
    host = f"localhost:{site['https_port']}"
    try:
        connection.request("GET", SIGN, headers={"Host": host})
        connection.getresponse().read()
        headers = {
            "Host": host,
            "Origin": f"https://{host}",
            "Sec-Fetch-Site": "same-origin",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        if forged:
            headers["X-Forwarded-For"] = forged
        connection.request("POST", SIGN, body="email=", headers=headers)
        reply = connection.getresponse()
        reply.read()
        return reply.status
    finally:
        connection.close()


def test_the_app_sees_each_client_address_through_nginx(site):
    # One attempt a minute per address (invalid forms count too).
    first = _post_sign_from("127.0.0.2", site)
    # An invented X-Forwarded-For buys no fresh attempts...
    forged = _post_sign_from("127.0.0.2", site, forged="203.0.113.50")
    # ...and a neighbour behind the same nginx is not limited by the first.
    neighbour = _post_sign_from("127.0.0.3", site)

    assert (first, forged, neighbour) == (200, 429, 200)


def test_the_app_knows_https_from_nginx(site):
    secure = http_client.HTTPSConnection(
        "127.0.0.1",
        site["https_port"],
        timeout=10,
        context=_unverified(),
    )
    secure.request("GET", CAMPAIGN, headers={"Host": "localhost"})
    page = secure.getresponse()
    secure.close()
    plain = http(site["http"] + CAMPAIGN)
    # A client claiming HTTPS over plain HTTP is not believed.
    claimed = http(
        site["http"] + CAMPAIGN,
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on"},
    )

    assert page.status == 200
    assert page.getheader("Strict-Transport-Security")  # sent over HTTPS only
    assert plain.status == claimed.status == 301
    assert plain.headers["Location"].startswith("https://localhost")


def test_nginx_access_log_keeps_no_secret_links_or_searches(site):
    token = "MQ:1tXyZa:abcdefghijklmnopqrstuvwxyz0123"
    reset = "/admin/password/Mg/c4p7zk-0123456789abcdef0123456789abcdef/"
    for path in (
        f"/en/confirm/{token}/",
        f"/fr/signature/{token}/unsubscribe/",
        reset,
        "/admin/signatures/signature/?q=Jolene+Quintero&status__exact=pending",
        "/en/p/jolene.q@example.org/",
    ):
        http(
            site["http"] + path,
            headers={"Referer": "https://elsewhere.example/?q=Quintero+K1A+0B1"},
        )
    time.sleep(0.5)  # nginx writes its log as each request ends

    log = (site["nginx"] / "access.log").read_text()
    assert "/en/confirm/[signed-link]/" in log
    assert "/fr/signature/[signed-link]/unsubscribe/" in log
    assert "/admin/password/[reset-link]/" in log
    assert '"GET /admin/signatures/signature/ HTTP/1.1"' in log
    for secret in ("1tXyZa", "c4p7zk", "Jolene", "Quintero", "K1A", "example.org"):
        assert secret not in log, secret
    assert "127.0.0.1" not in log


def _post_body_of(site: dict, path: str, size: int) -> int:
    """A POST of `size` bytes over HTTPS; the status of its answer."""
    connection = http_client.HTTPSConnection(
        "127.0.0.1", site["https_port"], timeout=30, context=_unverified()
    )
    body = b"{" + b" " * (size - 2) + b"}"
    headers = {
        "Host": f"localhost:{site['https_port']}",
        "Content-Type": "application/json",
    }
    try:
        connection.request("POST", path, body=body, headers=headers)
        reply = connection.getresponse()
        reply.read()
        return reply.status
    finally:
        connection.close()


def test_a_batch_of_bounce_reports_passes_where_a_sign_post_that_big_does_not(site):
    # 600 KB: SendGrid posts its events in batches of up to 768 KB.
    size = 600 * 1024

    # Through to the app, which has no email provider here: its 404.
    assert _post_body_of(site, "/anymail/sendgrid/tracking/", size) == 404
    # nginx's own refusal, before gunicorn reads a byte.
    assert _post_body_of(site, SIGN, size) == 413


# --- The shared cache -------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: http_client.HTTPMessage
    body: str

    @property
    def cache(self) -> str | None:
        """nginx's X-Cache-Status: HIT, MISS, BYPASS...; None when the cache
        had no part in the answer."""
        return self.headers.get("X-Cache-Status")


# A Host of its own (the port part, which Django ignores) gives a test cache
# keys no other test has filled.
_fresh_ports = count(20000)


def fresh_host() -> str:
    return f"localhost:{next(_fresh_ports)}"


def _https(
    site: dict,
    path: str,
    *,
    method: str = "GET",
    host: str = "localhost",
    headers: dict[str, str] | None = None,
    body: str | None = None,
) -> Answer:
    connection = http_client.HTTPSConnection(
        "127.0.0.1", site["https_port"], timeout=15, context=_unverified()
    )
    try:
        connection.request(
            method, path, body=body, headers={"Host": host, **(headers or {})}
        )
        reply = connection.getresponse()
        return Answer(
            reply.status, reply.headers, reply.read().decode(errors="replace")
        )
    finally:
        connection.close()


def _app_saw(site: dict, method: str, path: str) -> int:
    """How many `method path` requests gunicorn's access log holds, once it
    has stopped growing (each line is written as its request ends)."""
    pattern = re.compile(rf'"{method} {re.escape(path)}(?:\?[^ ]*)? HTTP/')
    previous = -1
    while True:
        time.sleep(0.3)
        lines = site["app_log"].read_text().splitlines()
        seen = sum(1 for line in lines if pattern.search(line))
        if seen == previous:
            return seen
        previous = seen


def test_count_json_is_served_from_the_cache_after_the_first_request(site):
    host = fresh_host()
    before = _app_saw(site, "GET", COUNT)

    first = _https(site, COUNT, host=host)
    second = _https(site, COUNT, host=host)

    assert (first.status, second.status) == (200, 200)
    assert (first.cache, second.cache) == ("MISS", "HIT")
    assert second.body == first.body
    assert _app_saw(site, "GET", COUNT) == before + 1


def test_count_json_is_one_cache_entry_whatever_the_visitors_language(site):
    host = fresh_host()

    french = _https(site, COUNT, host=host, headers={"Accept-Language": "fr-CA,fr"})
    english = _https(site, COUNT, host=host, headers={"Accept-Language": "en-US"})

    assert (french.status, english.status) == (200, 200)
    assert "accept-language" not in (french.headers.get("Vary") or "").lower()
    assert (french.cache, english.cache) == ("MISS", "HIT")


def test_concurrent_requests_for_one_key_reach_the_app_once_per_period(site):
    host = fresh_host()
    clients = 20
    before = _app_saw(site, "GET", COUNT)
    start = threading.Barrier(clients)

    def fetch(_: int) -> Answer:
        start.wait()
        return _https(site, COUNT, host=host)

    started = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        answers = list(pool.map(fetch, range(clients)))
    elapsed = time.monotonic() - started
    reached_app = _app_saw(site, "GET", COUNT) - before

    assert [answer.status for answer in answers] == [200] * clients
    # The cache lock holds the others back while the first is with the app;
    # had the burst outlasted the app's max-age, one more request per period
    # (a background update) would be fair.
    assert 1 <= reached_app <= 1 + int(elapsed // COUNT_SECONDS)
    assert sum(answer.cache == "HIT" for answer in answers) >= clients - reached_app


def test_query_strings_on_shared_links_share_one_cache_entry(site):
    host = fresh_host()
    before = _app_saw(site, "GET", COUNT)

    first = _https(site, COUNT + "?utm_source=newsletter", host=host)
    second = _https(site, COUNT + "?fbclid=IwAR0abc", host=host)

    assert (first.cache, second.cache) == ("MISS", "HIT")
    assert _app_saw(site, "GET", COUNT) == before + 1


def test_static_files_are_served_from_the_cache(site):
    page = _https(site, CAMPAIGN)
    stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]+\.css)"', page.body)[1]
    host = fresh_host()
    before = _app_saw(site, "GET", stylesheet)

    first = _https(site, stylesheet, host=host)
    second = _https(site, stylesheet, host=host)

    assert (first.status, second.status) == (200, 200)
    assert (first.cache, second.cache) == ("MISS", "HIT")
    assert _app_saw(site, "GET", stylesheet) == before + 1


def test_a_post_is_never_answered_from_the_cache(site):
    host = fresh_host()
    cached = _https(site, COUNT, host=host)
    posts_before = _app_saw(site, "POST", COUNT)

    posts = [
        _https(site, COUNT, method="POST", host=host, body="count=1000000")
        for _ in range(2)
    ]
    after = _https(site, COUNT, host=host)

    # The app's own refusal each time (no CSRF proof; count.json is read-only)...
    assert all(post.status in {403, 405} for post in posts)
    assert [post.cache for post in posts] == [None, None]
    assert _app_saw(site, "POST", COUNT) == posts_before + 2
    # ...and the GET's cached answer is still the one served.
    assert (cached.cache, after.cache) == ("MISS", "HIT")
    assert after.body == cached.body


def test_admin_pages_are_never_cached(site):
    host = fresh_host()
    path = "/admin/login/"
    before = _app_saw(site, "GET", path)

    answers = [_https(site, path, host=host) for _ in range(3)]

    assert [answer.status for answer in answers] == [200] * 3
    assert "private" in answers[0].headers["Cache-Control"]
    assert all(answer.cache != "HIT" for answer in answers)
    assert _app_saw(site, "GET", path) == before + 3


def test_someone_logged_in_gets_the_app_not_the_cache(site):
    """An organizer checking an edit sees it at once, and an answer to a
    request with a session is never stored for anyone else."""
    host = fresh_host()
    anonymous = _https(site, COUNT, host=host)
    before = _app_saw(site, "GET", COUNT)

    organizer = _https(site, COUNT, host=host, headers={"Cookie": "sessionid=abc123"})
    again = _https(site, COUNT, host=host)

    assert (anonymous.cache, organizer.cache, again.cache) == ("MISS", "BYPASS", "HIT")
    assert _app_saw(site, "GET", COUNT) == before + 1


def test_signed_links_are_never_cached(site):
    token = "MQ:1tXyZa:abcdefghijklmnopqrstuvwxyz0123"
    path = f"/en/confirm/{token}/"
    host = fresh_host()

    answers = [_https(site, path, host=host) for _ in range(2)]

    assert [answer.cache for answer in answers] == ["BYPASS", "BYPASS"]


def test_the_campaign_page_is_rendered_once_per_language_and_period(site):
    host = fresh_host()
    french = CAMPAIGN.replace("/en/", "/fr/", 1)
    before = {path: _app_saw(site, "GET", path) for path in (CAMPAIGN, french)}

    english = [_https(site, CAMPAIGN, host=host) for _ in range(3)]
    in_french = [_https(site, french, host=host) for _ in range(3)]

    assert "s-maxage" in english[0].headers["Cache-Control"]
    assert "Set-Cookie" not in english[0].headers
    assert [answer.cache for answer in english] == ["MISS", "HIT", "HIT"]
    assert [answer.cache for answer in in_french] == ["MISS", "HIT", "HIT"]
    assert english[0].body != in_french[0].body
    assert _app_saw(site, "GET", CAMPAIGN) == before[CAMPAIGN] + 1
    assert _app_saw(site, "GET", french) == before[french] + 1


# --- What nginx does with headers the app does not send today ---------------------


class _Upstream(BaseHTTPRequestHandler):
    """Answers GET /public with Cache-Control: public, max-age=60, and with
    Set-Cookie too when asked; counts what it is asked."""

    protocol_version = "HTTP/1.1"
    requests: list[str] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        self.send_response(200)
        self.send_header("Cache-Control", "public, max-age=60")
        if "cookie" in self.path:
            self.send_header("Set-Cookie", "visitor=someone-in-particular; Path=/")
        body = f"answer {len(self.requests)}".encode()
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def stub_site(tmp_path_factory):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        upstream = f"127.0.0.1:{server.server_address[1]}"
        with nginx_in_front_of(upstream, tmp_path_factory.mktemp("stub")) as ports:
            yield {"https_port": ports["https"]}
    finally:
        server.shutdown()
        server.server_close()


def test_an_answer_with_set_cookie_is_never_stored(stub_site):
    _Upstream.requests.clear()

    plain = [_https(stub_site, "/public") for _ in range(2)]
    with_cookie = [_https(stub_site, "/public/cookie") for _ in range(2)]

    # The same headers but for Set-Cookie: one is kept, the other never.
    assert [answer.cache for answer in plain] == ["MISS", "HIT"]
    assert [answer.cache for answer in with_cookie] == ["MISS", "MISS"]
    assert _Upstream.requests == ["/public", "/public/cookie", "/public/cookie"]
