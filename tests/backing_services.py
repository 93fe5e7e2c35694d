"""PostgreSQL, Redis and SMTP servers of a test's own, for it to break.

Each runs on a free port, apart from the shared servers the suite uses, so a
test can kill it and start it again without disturbing anyone else.
"""

import asyncio
import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
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
        self.bindir = postgres_bindir()
        self.runner = _postgres_runner()
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
