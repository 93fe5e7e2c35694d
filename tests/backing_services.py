"""PostgreSQL, Redis, SMTP and email provider API servers of a test's own,
for it to break.

Each runs on a free port, apart from the shared servers the suite uses, so a
test can kill it and start it again without disturbing anyone else.
"""

import asyncio
import contextlib
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller

from tests.servers import free_port


def wait_until(condition, *, timeout: float, interval: float = 0.1) -> bool:
    """Poll until condition() is true; False if it never was within timeout."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


# --- PostgreSQL ---------------------------------------------------------------


def postgres_bindir() -> Path | None:
    """Where initdb and pg_ctl are: Debian keeps them off PATH."""
    candidates = [Path(p) for p in [os.environ.get("PG_BINDIR", "")] if p]
    candidates += sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0,
        reverse=True,
    )
    if found := shutil.which("initdb"):
        candidates.append(Path(found).parent)
    for directory in candidates:
        if (directory / "initdb").exists() and (directory / "pg_ctl").exists():
            return directory
    return None


def _postgres_runner() -> list[str] | None:
    """PostgreSQL refuses to run as root: as root, run it as `postgres`."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return None
    return ["runuser", "-u", "postgres", "--"]


def postgres_missing() -> str:
    """Why a dedicated PostgreSQL cannot be started here, or "" if it can."""
    if postgres_bindir() is None:
        return "needs the PostgreSQL server binaries (initdb, pg_ctl)"
    if _postgres_runner() is None:
        return "running as root needs a 'postgres' user to run PostgreSQL as"
    return ""


class DedicatedPostgres:
    """A throwaway cluster in a temporary directory: fsync off, trust auth."""

    def __init__(self) -> None:
        bindir, runner = postgres_bindir(), _postgres_runner()
        if bindir is None or runner is None:
            raise RuntimeError(postgres_missing())
        self.bindir, self.runner = bindir, runner
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="petition-pg-"))
        self.running = False
        if self.runner:
            shutil.chown(self.dir, "postgres")
        self._pg(
            "initdb",
            "--pgdata",
            str(self.dir / "data"),
            "--username",
            "petition",
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--locale",
            "C.UTF-8",
            "--no-sync",
            "--no-instructions",
        )

    @property
    def url(self) -> str:
        return f"postgres://petition@127.0.0.1:{self.port}/postgres"

    def _pg(self, program: str, *args: str) -> None:
        subprocess.run(
            [*self.runner, str(self.bindir / program), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
            "-F -c full_page_writes=off -c max_connections=30"
        )
        self._pg(
            "pg_ctl",
            "--pgdata",
            str(self.dir / "data"),
            "--log",
            str(self.dir / "server.log"),
            "--wait",
            "--options",
            options,
            "start",
        )
        self.running = True

    def crash(self) -> None:
        """Stop at once, as a crash or a pulled cable would: no goodbyes to
        clients, crash recovery on the next start."""
        self._pg(
            "pg_ctl", "--pgdata", str(self.dir / "data"), "-m", "immediate", "stop"
        )
        self.running = False

    def close(self) -> None:
        if self.running:
            self.crash()
        shutil.rmtree(self.dir, ignore_errors=True)


# --- Redis --------------------------------------------------------------------


def redis_missing() -> str:
    return "" if shutil.which("redis-server") else "needs redis-server"


class DedicatedRedis:
    """An in-memory Redis (nothing saved): a restart comes back empty."""

    def __init__(self, *config: str) -> None:
        """`config`: more redis-server arguments, such as an ACL."""
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="petition-redis-"))
        self.process: subprocess.Popen | None = None
        self.config = list(config)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
                *self.config,
            ],
            stdout=subprocess.DEVNULL,
        )
        if not wait_until(self._answers, timeout=10, interval=0.05):
            self.kill()
            raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def close(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


# --- SMTP ---------------------------------------------------------------------


class MailServer:
    """A real SMTP server (aiosmtpd) in this process, on a free port.

    `mode` says what it does with the next message: "accept" it, refuse it
    for now ("451-rcpt" as greylisting does, "451-data" as a full queue does),
    refuse it for good ("550-rcpt"), or "stall": hold the DATA command
    unanswered until `release()`, as a hung server would. `refuse` maps an
    address to a mode for that recipient alone; `delay` (seconds) is how long
    each message's DATA takes to be answered, as across a network.
    """

    def __init__(self) -> None:
        self.mode = "accept"
        self.refuse: dict[str, str] = {}
        self.delay = 0.0
        self.received: list[EmailMessage] = []
        # When each message was accepted (time.time()), in order.
        self.received_at: list[float] = []
        self.refused = 0
        # The most messages ever being taken at the same moment.
        self.most_at_once = 0
        self._at_once = 0
        # Every SMTP session (connection) that sent a recipient, kept alive
        # so that no two share an id.
        self._sessions: dict[int, object] = {}
        self.stalled = threading.Event()
        self._release = threading.Event()
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())

    @property
    def port(self) -> int:
        return self.controller.port

    def start(self) -> None:
        self.controller.start()

    @property
    def sessions(self) -> int:
        return len(self._sessions)

    def release(self) -> None:
        self._release.set()

    def close(self) -> None:
        """Stop serving; again is harmless (a test may stop it early)."""
        self.release()
        with contextlib.suppress(AssertionError):  # aiosmtpd: already stopped
            self.controller.stop()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self._sessions[id(session)] = session
        mode = self.refuse.get(address, self.mode)
        if mode in {"451-rcpt", "550-rcpt"}:
            self.refused += 1
            if mode == "451-rcpt":
                return "451 4.7.1 Greylisted: please try again later"
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.mode == "451-data":
            self.refused += 1
            return "451 4.3.0 Mail queue full: please try again later"
        if self.mode == "stall":
            self.stalled.set()
            while not self._release.is_set():
                await asyncio.sleep(0.05)
            return "421 4.3.0 Shutting down: message not delivered"
        self._at_once += 1
        self.most_at_once = max(self.most_at_once, self._at_once)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self._at_once -= 1
        self.received.append(
            message_from_bytes(envelope.content, policy=policy.default)
        )
        self.received_at.append(time.time())
        return "250 Message accepted for delivery"


# --- An email provider's API ----------------------------------------------------


class LoopbackHTTP:
    """Someone else's HTTP API on a free loopback port: each POST goes to
    `answer_post`, which says the status, headers and body to answer."""

    keep_alive = False

    def __init__(self) -> None:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if api.keep_alive else "HTTP/1.0"

            def setup(self) -> None:
                super().setup()
                api.connected()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                status, headers, body = api.answer_post(
                    self.path, self.headers, self.rfile.read(length)
                )
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass  # the test says what went wrong

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def connected(self) -> None:
        """Called as each connection opens."""

    def answer_post(
        self, path: str, headers: Message, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        raise NotImplementedError


def json_answer(
    status: int, answer: dict, content_type: str = "application/json"
) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": content_type}, json.dumps(answer).encode()


class PostmarkAPI(LoopbackHTTP):
    """Postmark's email API (POST /email, JSON), as Postmark answers it, on
    a free loopback port: point Anymail's POSTMARK_API_URL at `url`.

    `mode` says what it does with the next message: "accept" it (200),
    answer "503" (down for maintenance) or "429" (over the rate limit), or
    refuse the recipient as "inactive" (422 with Postmark's error code 406:
    the address hard-bounced or complained before). Keeps HTTP connections
    open, as Postmark does, and counts them.
    """

    keep_alive = True

    def __init__(self) -> None:
        super().__init__()
        self.mode = "accept"
        self.received: list[dict] = []
        self.refused = 0
        self.connections = 0
        self.tokens: set[str] = set()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"{self.origin}/"

    def connected(self) -> None:
        with self._lock:
            self.connections += 1

    def answer_post(
        self, path: str, headers: Message, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        return json_answer(*self._answer(path, json.loads(body), headers))

    def _answer(self, path: str, message: dict, headers) -> tuple[int, dict]:
        with self._lock:
            self.tokens.add(headers.get("X-Postmark-Server-Token", ""))
            if path != "/email":
                return 404, {"ErrorCode": 404, "Message": "Not found"}
            if self.mode == "503":
                self.refused += 1
                return 503, {"ErrorCode": 503, "Message": "Service unavailable"}
            if self.mode == "429":
                self.refused += 1
                return 429, {"ErrorCode": 429, "Message": "Rate limit exceeded"}
            if self.mode == "inactive":
                self.refused += 1
                return 422, {
                    "ErrorCode": 406,
                    "Message": "You tried to send to a recipient that has been "
                    "marked as inactive.\nFound inactive addresses: "
                    f"{message['To'].lower()}.\nInactive recipients are ones that "
                    "have generated a hard bounce or a spam complaint. ",
                }
            self.received.append(message)
            return 200, {
                "To": message["To"],
                "SubmittedAt": "2026-11-27T09:30:01.4178645-05:00",
                "MessageID": f"0a129aee-e1cd-480d-b08d-{len(self.received):012d}",
                "ErrorCode": 0,
                "Message": "OK",
            }
