"""The app under gunicorn in its own processes, and a plain HTTP client for it."""

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def http(
    url: str,
    *,
    data: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(
        url, data=body, headers={"Host": "localhost", **(headers or {})}
    )
    try:
        with _opener.open(request, timeout=10) as response:
            return Reply(
                response.status, dict(response.headers), response.read().decode()
            )
    except urllib.error.HTTPError as error:
        return Reply(error.code, dict(error.headers), error.read().decode())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(database_url: str, **overrides: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "2",
        "GUNICORN_ACCESSLOG": "",
    }
    env.pop("REDIS_URL", None)
    env.update(overrides)
    return env


def database_url(settings_dict: dict) -> str:
    """The URL of a database Django is connected to (the test database, say),
    for a server or worker in another process to use the same one."""
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    user = urllib.parse.quote(settings_dict["USER"] or "", safe="")
    password = urllib.parse.quote(settings_dict["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
    host = settings_dict["HOST"] or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict["PORT"] else ""
    return f"postgres://{credentials}{host}{port}/{settings_dict['NAME']}"


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )


@contextmanager
def gunicorn(
    env: dict[str, str], *, log: Path | None = None, host: str = "127.0.0.1"
) -> Iterator[str]:
    """Serve the app with config/gunicorn.py; yields its base URL. Its log
    goes to `log` when given, for the test to read. `host` is the address it
    binds ("[::ffff:127.0.0.1]" for an IPv6 socket that IPv4 clients reach);
    the URL yielded is always over 127.0.0.1."""
    port = free_port()
    own_log_dir = None
    if log is None:
        # Never an unread pipe: a chatty server would fill it and hang.
        own_log_dir = tempfile.mkdtemp(prefix="gunicorn-")
        log = Path(own_log_dir) / "gunicorn.log"
    log_file = log.open("wb")
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
        env={**env, "GUNICORN_BIND": f"{host}:{port}"},
        stdout=subprocess.DEVNULL,
        stderr=log_file,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if http(base + "/healthz").status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                output = log.read_bytes()
                raise RuntimeError(f"gunicorn did not start: {output.decode()[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log_file.close()
        if own_log_dir is not None:
            shutil.rmtree(own_log_dir, ignore_errors=True)


class Visitor:
    """Someone at the sign page: the page carries no token, and their browser
    says, with every signature they post, that it comes from the site."""

    def __init__(self, base: str, sign_path: str) -> None:
        self.url = base + sign_path
        reply = http(self.url)
        assert reply.status == 200, reply.status

    def sign(self, form: dict[str, str]) -> Reply:
        return http(
            self.url,
            data=form,
            # The origin of the Host that http() sends.
            headers={"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"},
        )


def worker_env(mail_port: int, **overrides: str) -> dict[str, str]:
    """The environment of an email worker in its own process, working the
    test database's queue and sending to the test's mail server."""
    return server_env(
        database_url(connection.settings_dict),
        SECRET_KEY=settings.SECRET_KEY,
        TASKS_BACKEND="database",
        EMAIL_URL=f"smtp://127.0.0.1:{mail_port}",
        **overrides,
    )


def start_worker(command: str, env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            command,
            "--queue-name",
            "email",
            "--no-startup-delay",
            "--interval",
            "0.1",
            *args,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop_worker(worker: subprocess.Popen) -> str:
    """SIGTERM, as a supervisor stops it; its output."""
    worker.terminate()
    try:
        output, _ = worker.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        output, _ = worker.communicate()
    return output
