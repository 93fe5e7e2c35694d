"""The production server: gunicorn with config/gunicorn.py, DEBUG off."""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _get(url: str, *, via_tls_proxy: bool = True) -> tuple[int, dict[str, str], str]:
    headers = {"Host": "localhost"}
    if via_tls_proxy:
        # What the TLS-terminating proxy in front of gunicorn adds.
        headers["X-Forwarded-Proto"] = "https"
    request = urllib.request.Request(url, headers=headers)
    try:
        with _opener.open(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@pytest.fixture
def gunicorn_server(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "2",
        "SECURE_SSL_REDIRECT": "true",
    }
    env.pop("REDIS_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "python:config.gunicorn",
            "config.wsgi",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if _get(base + "/healthz")[0] == 200:
                break
        except OSError:
            time.sleep(0.2)
    else:
        server.kill()
        pytest.fail(f"gunicorn did not start: {server.stderr.read().decode()[-2000:]}")
    yield base
    server.terminate()
    server.wait(timeout=30)


def test_gunicorn_serves_the_campaign_with_production_settings(gunicorn_server):
    status, headers, body = _get(gunicorn_server + "/")

    assert status == 200
    assert "No more caged families" in body
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert "max-age=31536000" in headers["Strict-Transport-Security"]


def test_plain_http_is_redirected_to_https(gunicorn_server):
    status, headers, _ = _get(gunicorn_server + "/", via_tls_proxy=False)

    assert status == 301
    assert headers["Location"] == "https://localhost/"


def test_gunicorn_serves_hashed_static_files(gunicorn_server):
    body = _get(gunicorn_server + "/")[2]
    start = body.index("/static/css/site.")
    stylesheet = body[start : body.index('"', start)]

    status, headers, css = _get(gunicorn_server + stylesheet)

    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert ".petition" in css
