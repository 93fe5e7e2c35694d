"""The surge's actors (bench/surge.py): the slow mail server, the signers
confirming every email, the visitors watching the public count, and the
bench's own view of the database."""

import bisect
import contextlib
import http.client
import http.cookies
import json
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import psycopg
from stack import PORT, PYTHON, ROOT, free_port, stop_process

# What a browser sends with every request, besides its cookies.
BROWSER = {
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) surge-bench/1.0",
    "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
    "Accept-Language": "en-CA,en;q=0.9",
}
POLL_SECONDS = 0.1


# --- The mail server ----------------------------------------------------------


class MailServer:
    """bench/slow_smtp.py in its own process; what it accepted, as it goes.
    Every confirmation link is handed on to `links` as it arrives."""

    def __init__(self, delay_ms: float, log: Path) -> None:
        self.port = free_port()
        self.accepted: list[tuple[float, str, str]] = []  # (time, to, link)
        self.sessions = 0
        self.links: queue.Queue = queue.Queue()
        self._ready = threading.Event()
        self.process = subprocess.Popen(
            [
                PYTHON,
                "bench/slow_smtp.py",
                "--port",
                str(self.port),
                "--delay-ms",
                str(delay_ms),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=log.open("w"),
            text=True,
            start_new_session=True,  # Ctrl-C reaches the bench, which stops it
        )
        threading.Thread(target=self._read, daemon=True, name="smtp-log").start()
        if not self._ready.wait(30):
            stop_process(self.process)
            sys.exit(f"the mail server did not start: {log.read_text()[-2000:]}")

    def _read(self) -> None:
        for line in self.process.stdout:
            event = json.loads(line)
            if event["e"] == "accepted":
                self.accepted.append((event["t"], event["to"], event["link"]))
                self.links.put((event["to"], event["link"]))
            elif event["e"] == "session":
                self.sessions += 1
            elif event["e"] == "ready":
                self._ready.set()


# --- Signers and visitors -------------------------------------------------------


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    jar = http.cookies.SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


class Signers:
    """People confirming: each link opened by a new browser, `count` at once."""

    def __init__(self, links: queue.Queue, count: int) -> None:
        self.links = links
        self.confirmed: list[tuple[float, str]] = []  # (answered at, recipient)
        self.errors: list[str] = []
        self.busy = 0
        self._lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._work, daemon=True, name=f"signer-{n}")
            for n in range(count)
        ]
        for thread in self.threads:
            thread.start()

    def idle(self) -> bool:
        return self.links.empty() and self.busy == 0

    def _work(self) -> None:
        while True:
            to, link = self.links.get()
            with self._lock:
                self.busy += 1
            try:
                if not link:
                    self.errors.append(f"no confirmation link in the email to {to}")
                else:
                    self._confirm(to, link)
            except (OSError, http.client.HTTPException) as error:
                self.errors.append(f"{type(error).__name__}: {error}")
            finally:
                with self._lock:
                    self.busy -= 1

    def _confirm(self, to: str, link: str) -> None:
        url = urlsplit(link)
        # A new browser: its own connection, no cookies yet.
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        try:
            connection.request("GET", url.path, headers=BROWSER)
            page = connection.getresponse()
            body = page.read().decode()
            cookies = _cookies(page)
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
            if page.status != 200 or not token or "csrftoken" not in cookies:
                self.errors.append(f"confirm page: HTTP {page.status}, no form")
                return
            cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
            # The page's own form, posted back to its address (it has no action).
            connection.request(
                "POST",
                url.path,
                body=urlencode({"csrfmiddlewaretoken": token.group(1)}),
                headers={
                    **BROWSER,
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": cookie,
                    "Origin": f"{url.scheme}://{url.netloc}",
                    # The page's Referrer-Policy is same-origin: the full URL.
                    "Referer": link,
                    "Sec-Fetch-Site": "same-origin",
                    "Sec-Fetch-Mode": "navigate",
                    "Sec-Fetch-Dest": "document",
                },
            )
            answer = connection.getresponse()
            answer.read()
            answered = time.time()
            location = answer.getheader("Location", "")
            if answer.status != 302 or "/confirmed/" not in location:
                self.errors.append(f"confirm POST: HTTP {answer.status} {location}")
                return
            self.confirmed.append((answered, to))
            # The browser follows the redirect to the "counted" page.
            connection.request(
                "GET", location, headers={**BROWSER, "Cookie": cookie, "Referer": link}
            )
            after = connection.getresponse()
            after.read()
            if after.status != 200:
                self.errors.append(f"confirmed page: HTTP {after.status}")
        finally:
            connection.close()


class CountWatcher:
    """A visitor reloading a public page that shows the count, every
    POLL_SECONDS: (time the answer came, count shown)."""

    def __init__(self, path: str, pattern: str) -> None:
        self.path = path
        self.pattern = re.compile(pattern)
        self.seen: list[tuple[float, int]] = []
        self.errors = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True, name=path)
        self.thread.start()

    def latest(self) -> int | None:
        return self.seen[-1][1] if self.seen else None

    def _watch(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                connection.request("GET", self.path, headers=BROWSER)
                response = connection.getresponse()
                body = response.read().decode()
                found = self.pattern.search(body)
                if response.status == 200 and found:
                    self.seen.append((time.time(), int(found.group(1))))
                else:
                    self.errors += 1
            except (OSError, http.client.HTTPException):
                self.errors += 1
                connection.close()  # reconnects on the next request
            self.stop.wait(max(0.0, POLL_SECONDS - (time.monotonic() - started)))
        connection.close()


def count_lags(
    confirmed: list[tuple[float, str]], seen: list[tuple[float, int]], base: int
) -> tuple[list[float], int]:
    """For the k-th confirmation answered (at t), the time from t until the
    count shown is at least base + k and never again below it: from then on
    every visitor sees a count that includes it. (The count cannot name whom
    it includes; this is what a visitor can tell.) Returns the lags, and how
    many confirmations the count never came to include."""
    times = [t for t, _ in seen]
    # lowest[j]: the lowest count shown from observation j on.
    lowest = [0] * len(seen)
    floor = None
    for j in range(len(seen) - 1, -1, -1):
        floor = seen[j][1] if floor is None else min(floor, seen[j][1])
        lowest[j] = floor
    lags, missing = [], 0
    for k, (answered, _) in enumerate(sorted(confirmed), start=1):
        j = bisect.bisect_left(times, answered)
        # lowest[] rises with j: the first j from which it is high enough.
        need = base + k
        lo, hi = j, len(seen)
        while lo < hi:
            mid = (lo + hi) // 2
            if lowest[mid] >= need:
                hi = mid
            else:
                lo = mid + 1
        if lo == len(seen):
            missing += 1
        else:
            lags.append(times[lo] - answered)
    return lags, missing


# --- The database -----------------------------------------------------------


class Database:
    """The bench's own connection: the queue as the workers see it."""

    def __init__(self, url: str) -> None:
        self.connection = psycopg.connect(url, autocommit=True)
        self._lock = threading.Lock()

    def one(self, sql: str, *params):
        with self._lock:
            return self.connection.execute(sql, params).fetchone()

    def all(self, sql: str, *params) -> list[tuple]:
        with self._lock:
            return self.connection.execute(sql, params).fetchall()

    def backlog(self) -> int:
        """Email tasks queued or being run: emails not yet sent."""
        return self.one(
            "SELECT count(*) FROM django_tasks_database_dbtaskresult "
            "WHERE queue_name = 'email' AND status IN ('READY', 'RUNNING')"
        )[0]

    def signatures(self) -> int:
        return self.one("SELECT count(*) FROM signatures_signature")[0]

    def close(self) -> None:
        self.connection.close()


class Sampler:
    """Every half second: (time, signatures stored, email tasks waiting)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.samples: list[tuple[float, int, int]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while not self.stop.wait(0.5):
            with contextlib.suppress(psycopg.Error):
                self.samples.append(
                    (time.time(), self.database.signatures(), self.database.backlog())
                )


def worker_settings(env: dict[str, str]) -> tuple[str, str]:
    """Threads per worker and the global send cap, as the workers read them
    (a worker that has no such settings sends on one thread, uncapped)."""
    out = subprocess.run(
        [
            PYTHON,
            "manage.py",
            "shell",
            "-c",
            (
                "from django.conf import settings as s; "
                "print(getattr(s, 'EMAIL_WORKER_THREADS', 1), "
                "getattr(s, 'EMAIL_MAX_PER_SECOND', None) or 'none')"
            ),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return out[-2], out[-1]
