"""What the benchmarks run on this machine: a fresh PostgreSQL database, app
nodes (gunicorn with config/gunicorn.py and production settings), the bare
hello yardstick (bench/hello), and nginx with deploy/nginx.conf in front of
the nodes. Used by bench/run.py and bench/surge.py."""

import atexit
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # deploy/local_nginx.py

from deploy.local_nginx import start_nginx as start_nginx_process

PYTHON = sys.executable
SLUG = "no-more-caged-families"
PG = os.environ.get(
    "BENCH_PG", f"postgres://{os.environ.get('USER', 'root')}@127.0.0.1:5432"
)
DATABASE = os.environ.get("BENCH_DATABASE", "petition_loadbench")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# The first app node; a free port unless BENCH_PORT says, so that two
# benchmarks on one machine never measure each other's server.
PORT = int(os.environ.get("BENCH_PORT") or free_port())
BASE = f"http://127.0.0.1:{PORT}"


def sh(*command: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, env=env, check=True, **kwargs)


def ensure_tool(name: str, package: str, path: str = "") -> str:
    """A program from Debian's packages, installed when missing."""
    found = shutil.which(name) or (path if path and Path(path).exists() else "")
    if found:
        return found
    print(f"Installing {package} (Debian package)...", flush=True)
    sh("apt-get", "install", "-y", "-qq", package, stdout=subprocess.DEVNULL)
    return shutil.which(name) or sys.exit(f"{name} is not available")


def ensure_wrk() -> str:
    return ensure_tool("wrk", "wrk")


def app_env(run_id: str, database: str = DATABASE) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"{PG}/{database}",
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
        "CACHE_KEY_PREFIX": f"bench-{run_id}",
        # One key for every node: a form shown by one is posted to another.
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback, no TLS proxy
        "TASKS_BACKEND": "database",
        "SIGN_RATE_PER_MINUTE": "100000000/m",  # raised for this benchmark only
        "SIGN_RATE_PER_HOUR": "100000000/h",
        "GUNICORN_BIND": f"127.0.0.1:{PORT}",
        "GUNICORN_ACCESSLOG": "",
        "LOG_LEVEL": "WARNING",
        # Confirmation emails stay queued (no worker runs): no mail server.
        "ALLOW_CONSOLE_EMAIL": "true",
    }


def _database_name(env: dict[str, str]) -> str:
    return env["DATABASE_URL"].rsplit("/", 1)[1]


def fresh_database(env: dict[str, str], rows: int) -> None:
    database = _database_name(env)
    sh("psql", f"{PG}/postgres", "-qc", f"DROP DATABASE IF EXISTS {database}")
    sh("psql", f"{PG}/postgres", "-qc", f"CREATE DATABASE {database}")
    sh(PYTHON, "manage.py", "migrate", "--noinput", "-v0", env=env)
    # Production settings serve hashed static files from the manifest that
    # collectstatic writes; a fresh clone has none yet.
    sh(PYTHON, "manage.py", "collectstatic", "--noinput", "-v0", env=env)
    if rows:
        sh(PYTHON, "bench/load_signatures.py", "--count", str(rows), env=env)


def drop_database(env: dict[str, str]) -> None:
    """Gone, with whatever connections a killed process left behind."""
    sh(
        "psql",
        f"{PG}/postgres",
        "-qc",
        f"DROP DATABASE IF EXISTS {_database_name(env)} WITH (FORCE)",
    )


def signature_rows(env: dict[str, str]) -> int:
    out = sh(
        "psql",
        env["DATABASE_URL"],
        "-Atc",
        "SELECT count(*) FROM signatures_signature",
        capture_output=True,
        text=True,
    )
    return int(out.stdout.strip())


def stop_process(process: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM (a graceful stop), then SIGKILL if it is not gone in time."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for(process: subprocess.Popen, url: str, what: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    stop_process(process, 5)
    sys.exit(f"{what} did not start: {log.read_text(errors='replace')[-2000:]}")


# The servers' own logs, read when one fails to start; gone at exit.
_LOGS = Path(tempfile.mkdtemp(prefix="bench-logs-"))
atexit.register(shutil.rmtree, _LOGS, ignore_errors=True)


def _log_file(name: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=name, dir=_LOGS)) / name


GUNICORN = [PYTHON, "-m", "gunicorn", "-c", "python:config.gunicorn", "config.wsgi"]


def start_servers(
    env: dict[str, str], ports: list[int], access_logs: list[Path] | None = None
) -> list[subprocess.Popen]:
    """App nodes, one on each port, started together: gunicorn with
    config/gunicorn.py. Each logs the requests it answers to its file of
    `access_logs` when given (the log is off otherwise, as it costs the
    app CPU on every request)."""
    logs: list[Path | None] = list(access_logs or [None] * len(ports))
    started = []
    for port, access_log in zip(ports, logs, strict=True):
        errors = _log_file("gunicorn.log")
        node_env = {
            **env,
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_ACCESSLOG": str(access_log or ""),
        }
        with errors.open("wb") as stderr:
            server = subprocess.Popen(
                GUNICORN,
                cwd=ROOT,
                env=node_env,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        started.append((server, port, errors))
    for server, port, errors in started:
        _wait_for(server, f"http://127.0.0.1:{port}/healthz", "gunicorn", errors)
    return [server for server, _, _ in started]


def start_server(env: dict[str, str], port: int = PORT) -> subprocess.Popen:
    """One app node on `port`, its access log off."""
    return start_servers(env, [port])[0]


def start_hello(port: int) -> subprocess.Popen:
    """The yardstick: bench/hello (bare Django, one view, no middleware)
    under gunicorn with 4 sync workers, gunicorn's defaults otherwise."""
    errors = _log_file("hello.log")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUNICORN")}
    with errors.open("wb") as stderr:
        server = subprocess.Popen(
            [
                PYTHON,
                *("-m", "gunicorn", "--workers", "4", "--worker-class", "sync"),
                *("--bind", f"127.0.0.1:{port}", "bench.hello.wsgi"),
            ],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": "bench.hello.settings"},
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    _wait_for(server, f"http://127.0.0.1:{port}/hello/", "the hello yardstick", errors)
    return server


def start_nginx(upstreams: list[str], prefix: Path) -> tuple[subprocess.Popen, int]:
    """nginx with the production configuration, in front of the app nodes
    at `upstreams` ("host:port"), under its own prefix; and its HTTP port."""
    nginx = ensure_tool("nginx", "nginx", "/usr/sbin/nginx")
    openssl = ensure_tool("openssl", "openssl")
    port = free_port()
    # The HTTPS server is only there because the template has one: the
    # benchmark speaks HTTP.
    server = start_nginx_process(
        nginx=nginx,
        openssl=openssl,
        prefix=prefix,
        upstreams=upstreams,
        http_port=port,
        https_port=free_port(),
    )
    _wait_for(server, f"http://127.0.0.1:{port}/healthz", "nginx", prefix / "error.log")
    return server, port


class _SignForm(HTMLParser):
    """The hidden fields of the page's sign form, whatever they are: the
    CSRF token and the render time today; whatever replaces them later."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "form" and (attributes.get("action") or "").endswith("/sign/"):
            self._inside = True
        elif tag == "input" and self._inside and attributes.get("type") == "hidden":
            self.fields[attributes.get("name") or ""] = attributes.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False


def form_tokens(base: str = BASE) -> dict[str, str]:
    """What a browser sends with the form, for bench/sign.lua: its hidden
    fields, as the page's script fills them, and any cookies set with it."""
    with urllib.request.urlopen(f"{base}/en/p/{SLUG}/sign/", timeout=10) as response:
        body = response.read().decode()
        cookies = [
            value.split(";", 1)[0]
            for value in response.headers.get_all("Set-Cookie", [])
        ]
    form = _SignForm()
    form.feed(body)
    # What the page's script writes (static/js/site.js): the signed time
    # count.json gave as the page loaded, and, as the form is sent, how long
    # the page was open. One time serves every signer of the run, as one
    # cached count.json serves every visitor of its two seconds.
    with urllib.request.urlopen(f"{base}/p/{SLUG}/count.json", timeout=10) as response:
        form.fields["issued"] = json.load(response)["issued"]
    time.sleep(2.5)  # past the too-fast threshold (SIGNATURE_MIN_FILL_SECONDS)
    form.fields["shown_for"] = "30000"
    return {
        "BENCH_FORM_FIELDS": urlencode(form.fields),
        "BENCH_COOKIE": "; ".join(cookies),
    }
