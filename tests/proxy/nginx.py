"""nginx with the configuration we ship (deploy/nginx.conf), started under a
prefix of its own in front of an upstream, and what the proxy tests share."""

import os
import re
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import client as http_client
from http.server import BaseHTTPRequestHandler
from itertools import count
from pathlib import Path

import pytest

from deploy.local_nginx import start_nginx
from tests.conftest import SEED_SLUG
from tests.servers import free_port, http

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
needs_nginx = pytest.mark.skipif(
    bool(_missing) and not (os.environ.get("CI") or os.environ.get("REQUIRE_BROWSER")),
    reason=f"needs {' and '.join(_missing)} (apt-get install nginx openssl)",
)


@contextmanager
def nginx_in_front_of(upstream: str, prefix: Path) -> Iterator[dict[str, int]]:
    """nginx run as the shipped configuration says, under its own prefix;
    yields its HTTP and HTTPS ports."""
    assert OPENSSL, "needs openssl"
    ports = {"http": free_port(), "https": free_port()}
    server = start_nginx(
        nginx=NGINX,
        openssl=OPENSSL,
        prefix=prefix,
        upstreams=[upstream],
        http_port=ports["http"],
        https_port=ports["https"],
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


def unverified() -> ssl.SSLContext:
    # Our self-signed test certificate: nothing to verify it against.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


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


def https_request(
    site: dict,
    path: str,
    *,
    method: str = "GET",
    host: str = "localhost",
    headers: dict[str, str] | None = None,
    body: str | None = None,
) -> Answer:
    connection = http_client.HTTPSConnection(
        "127.0.0.1", site["https_port"], timeout=15, context=unverified()
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


def app_saw(site: dict, method: str, path: str) -> int:
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


class StubUpstream(BaseHTTPRequestHandler):
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
