"""Slow clients cannot starve the site behind nginx; facing gunicorn alone,
they do."""

import re
import socket
import threading
import time
from contextlib import suppress
from http import client as http_client

from tests.proxy.nginx import (
    CAMPAIGN,
    QUICK_SECONDS,
    SIGN,
    SLOW_CLIENTS,
    needs_nginx,
    unverified,
)

pytestmark = needs_nginx


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
                sock = unverified().wrap_socket(sock, server_hostname="localhost")
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


def _timed_get(url: str, *, https_port: int | None = None) -> tuple[int, float]:
    """(status, seconds), or (0, seconds) when no answer came in time."""
    started = time.monotonic()
    try:
        if https_port:
            connection = http_client.HTTPSConnection(
                "127.0.0.1",
                https_port,
                timeout=QUICK_SECONDS + 2,
                context=unverified(),
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
