"""The surge benchmark (issue 13): a campaign goes viral, end to end.

    python bench/surge.py [--workers 2] [--threads N] [--smtp-delay-ms 30]
                          [--duration 60] [--connections 64] [--check]

The production stack of bench/run.py (a fresh PostgreSQL database, gunicorn
with config/gunicorn.py and production settings, Redis, the email queue in
the database; only rate limits raised), plus, on the same machine:

  - `--workers` email workers: `manage.py run_worker --queue-name email`, as
    the README runs them (`--worker-args` adds options; `--threads` is
    passed as EMAIL_WORKER_THREADS, which a worker without threads ignores);
  - a mail server on loopback (bench/slow_smtp.py, a process of its own)
    answering every SMTP reply after `--smtp-delay-ms`, as a provider across
    the network does; it notes when it accepted each message, for whom, and
    the confirmation link in it;
  - simulated signers: for each confirmation email, a new browser opens the
    link, posts the form on that page as a browser does (its CSRF cookie and
    token, Origin, Referer and Fetch Metadata), follows the redirect, and notes when the
    confirmation was answered;
  - two visitors watching the public count: count.json and the figure on
    the campaign page, each polled ten times a second.

First wrk drives the bare hello yardstick (bench/hello under gunicorn's 4
sync workers, as in bench/run.py); then wrk signs for `--duration` seconds at the highest rate
the machine sustains (bench/sign.lua: a new valid signer each request).
Then the workers drain the queue (for at most `--drain-timeout` seconds).

It prints a table, the command, and a machine-readable SURGE line:
signatures/s, emails accepted per second, the email lag (signature stored ->
message accepted by the mail server) p50/p99/max, the backlog when signing
stopped and the time to drain it, the confirmation -> public count lag, and
signatures lost and emails sent twice. --check is the short run for CI:
non-zero exit on any loss, duplicate or error.

With --profile wall, py-spy samples the workers' sending threads, waiting or
not, during the surge: where a worker's time goes; with --profile cpu, only
the threads holding the GIL: where its CPU goes. The samples are kept in
bench/profiles/surge-workers.collapsed.
"""

import argparse
import bisect
import collections
import contextlib
import http.client
import http.cookies
import json
import os
import queue
import re
import resource
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import psycopg
import redis
from measure import (
    PROFILES,
    cpu_seconds,
    find_py_spy,
    print_profile,
    run_wrk,
    start_profiler,
)
from stack import (
    BASE,
    DATABASE,
    PORT,
    PYTHON,
    ROOT,
    SLUG,
    app_env,
    drop_database,
    ensure_wrk,
    form_tokens,
    free_port,
    fresh_database,
    start_hello,
    start_server,
    stop_process,
)

SURGE_DATABASE = f"{DATABASE}_surge"
# What a browser sends with every request, besides its cookies.
BROWSER = {
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) surge-bench/1.0",
    "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
    "Accept-Language": "en-CA,en;q=0.9",
}
POLL_SECONDS = 0.1
INF, NAN = float("inf"), float("nan")


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


# --- Figures ------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    if not values:
        return NAN
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def seconds(value: float, *, at_least: bool = False) -> str:
    return ("≥" if at_least else "") + f"{value:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2, help="email worker processes")
    parser.add_argument(
        "--threads",
        type=int,
        help="EMAIL_WORKER_THREADS for each worker (one where unsupported)",
    )
    parser.add_argument("--smtp-delay-ms", type=float, default=30)
    parser.add_argument("--duration", type=int, help="seconds of signing (60)")
    parser.add_argument("--connections", type=int, help="wrk connections (64)")
    parser.add_argument("--hello-duration", type=int, help="seconds of hello (30)")
    parser.add_argument(
        "--drain-timeout",
        type=int,
        help="longest wait for the queue to empty after signing (300 s)",
    )
    parser.add_argument("--signers", type=int, default=32, help="confirming at once")
    parser.add_argument(
        "--worker-args", default="", help="more run_worker options, one string"
    )
    parser.add_argument(
        "--check", action="store_true", help="short; fail on losses or duplicates"
    )
    parser.add_argument(
        "--profile",
        choices=["wall", "cpu"],
        help="py-spy on the workers while signing: all their time, or their CPU",
    )
    args = parser.parse_args()
    # --check: a few seconds of light signing, for CI.
    defaults = (
        {"duration": 1, "connections": 1, "hello_duration": 1, "drain_timeout": 60}
        if args.check
        else {
            "duration": 60,
            "connections": 64,
            "hello_duration": 30,
            "drain_timeout": 300,
        }
    )
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    command = "python bench/surge.py " + " ".join(sys.argv[1:])

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    on_interrupt = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)

    wall_started = time.monotonic()
    wrk = ensure_wrk()
    py_spy = find_py_spy() if args.profile else ""
    cores = len(os.sched_getaffinity(0))
    run_id = secrets.token_hex(3)
    workdir = Path(tempfile.mkdtemp(prefix="surge-"))
    failed = True
    server = mail = database = None
    workers: list[subprocess.Popen] = []
    watchers: list[CountWatcher] = []
    sampler = None
    profilers = []
    env = app_env(run_id, SURGE_DATABASE)
    try:
        mail = MailServer(args.smtp_delay_ms, workdir / "smtp.log")
        env |= {
            "SITE_URL": BASE,  # the links in the emails lead to this server
            "EMAIL_URL": f"smtp://127.0.0.1:{mail.port}",
            "ALLOW_CONSOLE_EMAIL": "false",  # a real mail server, or no start
        }
        if args.threads:
            env["EMAIL_WORKER_THREADS"] = str(args.threads)
        fresh_database(env, 0)
        threads, send_cap = worker_settings(env)
        server = start_server(env)
        database = Database(env["DATABASE_URL"])
        tokens = form_tokens()
        wrk_env = {**os.environ, **tokens, "BENCH_RUN_ID": run_id}
        # Started before the yardstick, which gives them time to be up.
        for n in range(args.workers):
            log = (workdir / f"worker-{n}.log").open("w")
            workers.append(
                subprocess.Popen(
                    [
                        PYTHON,
                        "manage.py",
                        "run_worker",
                        "--queue-name",
                        "email",
                        *shlex.split(args.worker_args),
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        # The yardstick, bench/run.py's: bare Django under 4 sync workers.
        hello_port = free_port()
        yardstick = start_hello(hello_port)
        try:
            hello = run_wrk(
                wrk,
                f"http://127.0.0.1:{hello_port}/hello/",
                "get.lua",
                args.hello_duration,
                args.connections,
                wrk_env,
            )
        finally:
            stop_process(yardstick)
        if any(w.poll() is not None for w in workers):
            sys.exit("an email worker stopped before the surge")
        signers = Signers(mail.links, args.signers)
        watchers = [
            CountWatcher(f"/p/{SLUG}/count.json", r'"count":\s*(\d+)'),
            CountWatcher(f"/en/p/{SLUG}/", r'<progress max="\d+" value="(\d+)"'),
        ]
        sampler = Sampler(database)
        deadline = time.monotonic() + 10
        while any(w.latest() is None for w in watchers):
            if time.monotonic() > deadline:
                sys.exit("the count could not be read")
            time.sleep(0.05)
        base_count = watchers[0].latest()
        rows_before = database.signatures()

        if args.profile:
            for n, worker in enumerate(workers):
                profilers.append(
                    start_profiler(
                        py_spy,
                        worker.pid,
                        f"surge-worker-{n}",
                        args.duration,
                        wall=args.profile == "wall",
                    )
                )
        parts = {w.pid: "workers" for w in workers} | {mail.process.pid: "smtp"}
        cpu_before = cpu_seconds(server, parts)
        self_before = resource.getrusage(resource.RUSAGE_SELF)
        surge_started = time.time()
        sign = run_wrk(
            wrk,
            f"{BASE}/en/p/{SLUG}/sign/",
            "sign.lua",
            args.duration,
            args.connections,
            wrk_env,
        )
        surge_ended = time.time()
        cpu_after = cpu_seconds(server, parts)
        self_after = resource.getrusage(resource.RUSAGE_SELF)
        backlog_end = database.backlog()

        # The drain: until no email task waits, or the time is up.
        drain_deadline = time.monotonic() + args.drain_timeout
        backlog_left = backlog_end
        while backlog_left and time.monotonic() < drain_deadline:
            time.sleep(0.2)
            backlog_left = database.backlog()
        drained_at = time.time()
        for worker in workers:
            worker.terminate()  # graceful: each finishes the email it is on
        for worker in workers:
            stop_process(worker)
        workers_stopped = time.time()
        backlog_left = database.backlog()
        # Every email accepted is confirmed, and seen in the count.
        deadline = time.monotonic() + 60
        while not signers.idle() and time.monotonic() < deadline:
            time.sleep(0.1)
        confirmed_total = base_count + len(signers.confirmed)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not all(
            (w.latest() or 0) >= confirmed_total for w in watchers
        ):
            time.sleep(0.1)
        time.sleep(1)  # a few more readings: a count seen must stay seen
        for watcher in watchers:
            watcher.stop.set()
        sampler.stop.set()

        signatures = database.all(
            "SELECT id, public_id::text, email, "
            "extract(epoch FROM created_at)::float8 FROM signatures_signature"
        )
        waiting = database.all(
            "SELECT args_kwargs FROM django_tasks_database_dbtaskresult "
            "WHERE queue_name = 'email' AND status IN ('READY', 'RUNNING')"
        )
        failed_tasks = database.one(
            "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'FAILED'"
        )[0]
        for process, _ in profilers:
            try:
                process.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        failed = False
    finally:
        # Cleaning up is not to be interrupted half way: a second Ctrl-C
        # would leave processes and the database behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for process, _ in profilers:
            stop_process(process, 5)
        for worker in workers:
            stop_process(worker)
        if server is not None:
            stop_process(server, 60)
        if mail is not None:
            stop_process(mail.process)
        if database is not None:
            database.close()
        if failed:
            for log in sorted(workdir.glob("*.log")):
                text = log.read_text()[-1500:]
                if text.strip():
                    print(f"--- {log.name} (end)\n{text}", file=sys.stderr)
        with contextlib.suppress(subprocess.CalledProcessError):
            drop_database(env)
        with contextlib.suppress(redis.RedisError):
            cache = redis.Redis.from_url(env["REDIS_URL"])
            keys = list(cache.scan_iter(match=f"bench-{run_id}:*", count=1000))
            for start in range(0, len(keys), 1000):
                cache.delete(*keys[start : start + 1000])
        shutil.rmtree(workdir, ignore_errors=True)
        signal.signal(signal.SIGINT, on_interrupt)

    # --- Figures --------------------------------------------------------------
    surge_seconds = surge_ended - surge_started
    first_accept: dict[str, float] = {}
    received = collections.Counter()
    for t, to, _ in mail.accepted:
        received[to] += 1
        first_accept[to] = min(t, first_accept.get(to, t))
    duplicates = sum(1 for n in received.values() if n > 1)
    waiting_ids = set()
    for (task,) in waiting:
        kwargs = task.get("kwargs", {})
        waiting_ids.add(kwargs.get("signature_public_id"))
        waiting_ids.add(kwargs.get("signature_id"))
    sent_lags, unsent_created, lost_emails = [], [], 0
    for pk, public_id, email, created in signatures:
        if email in first_accept:
            sent_lags.append(first_accept[email] - created)
        elif public_id in waiting_ids or pk in waiting_ids:
            unsent_created.append(created)
        else:
            lost_emails += 1
    unsent = len(unsent_created)

    stored = len(signatures) - rows_before
    succeeded = sign["requests"] - sign["errors"]
    lost_rows = max(0, succeeded - stored)
    lost = lost_rows + lost_emails
    sent_in_surge = sum(1 for t, _, _ in mail.accepted if t <= surge_ended)
    emails_per_s = sent_in_surge / surge_seconds
    drain_sent = sum(1 for t, _, _ in mail.accepted if surge_ended < t <= drained_at)
    drain_s = drained_at - surge_ended
    drain_rate = drain_sent / drain_s if backlog_end and drain_s > 0 else NAN
    if backlog_left:
        # Not drained in time: what it would take at the rate it went.
        drain_s += backlog_left / drain_rate if drain_rate > 0 else INF
    per_worker = (drain_rate if backlog_end else emails_per_s) / args.workers
    # Emails still queued when the workers stopped were at least this late;
    # a figure that falls among them is only a lower bound.
    lags = sent_lags + [workers_stopped - c for c in unsent_created]
    censored_from = min((workers_stopped - c for c in unsent_created), default=INF)
    lag_p50, lag_p99 = percentile(lags, 0.50), percentile(lags, 0.99)
    lag_max = max(lags, default=NAN)
    lower_bound = int(max(lag_p50, lag_p99, lag_max) >= censored_from)
    # And at the rate the queue was draining, in the order it is taken
    # (first queued, first sent), they would have gone at about this lag.
    rate = drain_rate if drain_rate > 0 else NAN
    estimated = sent_lags + [
        workers_stopped + (n + 1) / rate - created
        for n, created in enumerate(sorted(unsent_created))
    ]
    est_p50, est_p99 = percentile(estimated, 0.50), percentile(estimated, 0.99)
    est_max = max(estimated, default=NAN)
    seen_lags = {
        name: count_lags(signers.confirmed, watcher.seen, base_count)
        for name, watcher in zip(("count.json", "page"), watchers, strict=True)
    }
    errors = (
        sign["errors"]
        + len(signers.errors)
        + failed_tasks
        + sum(missing for _, missing in seen_lags.values())
    )

    used = {k: cpu_after.get(k, 0) - cpu_before.get(k, 0) for k in cpu_after}
    used["wrk"] = sign["wrk_cpu"]
    used["bench"] = (self_after.ru_utime + self_after.ru_stime) - (
        self_before.ru_utime + self_before.ru_stime
    )
    available = cores * surge_seconds
    # A process runs Python on one core at a time (the GIL), so 1,000 ms over
    # this is the most emails one worker process can send a second, however
    # many threads wait on the network for it.
    cpu_per_email = 1000 * used.get("workers", 0) / max(sent_in_surge, 1)

    # --- The report -----------------------------------------------------------
    sign_rps = succeeded / surge_seconds
    print(
        f"\nSurge: {args.duration} s of signing at {args.connections} connections; "
        f"{args.workers} email workers x {threads} threads, send cap {send_cap}; "
        f"SMTP replies after {args.smtp_delay_ms:g} ms; {cores} cores"
    )
    rows = [
        ("hello, the yardstick", f"{hello['rps']:,.0f} req/s"),
        (
            "signatures/s",
            (
                f"{sign_rps:,.1f} ({sign_rps / hello['rps']:.2f} of hello; "
                f"p99 {sign['p99']:.0f} ms)"
            ),
        ),
        ("signatures stored", f"{stored:,} ({succeeded:,} sign requests answered)"),
        ("emails accepted/s, surge", f"{emails_per_s:,.1f}"),
        (
            "emails accepted/s, drain",
            f"{drain_rate:,.1f} ({per_worker:,.1f} per worker)"
            if backlog_end
            else f"- (no backlog; {per_worker:,.1f} per worker in the surge)",
        ),
        (
            "email lag p50 / p99 / max",
            " / ".join(
                seconds(v, at_least=v >= censored_from)
                for v in (lag_p50, lag_p99, lag_max)
            ),
        ),
        *(
            [
                (
                    "  estimated at the drain rate",
                    " / ".join(seconds(v) for v in (est_p50, est_p99, est_max)),
                )
            ]
            if unsent
            else []
        ),
        ("backlog when signing stopped", f"{backlog_end:,} emails"),
        (
            "time to drain it",
            seconds(drain_s)
            + (
                f" (estimated: {backlog_left:,} left after {args.drain_timeout} s)"
                if backlog_left
                else ""
            ),
        ),
    ]
    for name, (values, missing) in seen_lags.items():
        rows.append(
            (
                f"confirm -> {name} count p50/p99/max",
                " / ".join(
                    seconds(v)
                    for v in (
                        percentile(values, 0.5),
                        percentile(values, 0.99),
                        max(values, default=NAN),
                    )
                )
                + (f" ({missing} never seen)" if missing else ""),
            )
        )
    rows += [
        (
            "confirmations",
            (
                f"{len(signers.confirmed):,} of {len(mail.accepted):,} emails "
                f"({len(signers.errors)} errors)"
            ),
        ),
        (
            "lost",
            (
                f"{lost} ({lost_rows} answered but not stored, {lost_emails} stored "
                f"but neither emailed nor queued; {unsent:,} still queued)"
            ),
        ),
        ("emails sent twice", f"{duplicates}"),
        ("SMTP sessions opened", f"{mail.sessions:,}"),
        (
            "worker CPU per email",
            (
                f"{cpu_per_email:.1f} ms (one process: at most "
                f"{1000 / cpu_per_email if cpu_per_email else INF:,.0f} emails/s)"
            ),
        ),
    ]
    for name, value in rows:
        print(f"  {name:<36} {value}")
    print(
        "  CPU during the surge, % of the machine: "
        + ", ".join(
            f"{k} {100 * used.get(k, 0) / available:.0f}"
            for k in ("app", "postgres", "redis", "workers", "smtp", "wrk", "bench")
        )
        + f"; total {100 * sum(used.values()) / available:.0f}"
    )
    if signers.errors:
        print("  first signer errors: " + "; ".join(signers.errors[:3]))
    timeline = [s for s in sampler.samples if s[0] >= surge_started]
    if timeline:
        print(f"  {'t s':>6} {'stored':>8} {'sent':>8} {'waiting':>8} {'confirmed':>9}")
        step = 10 if not args.check else 1
        next_t = 0.0
        accept_times = sorted(t for t, _, _ in mail.accepted)
        confirm_times = sorted(t for t, _ in signers.confirmed)
        for t, rows_now, waiting_now in timeline:
            if t - surge_started >= next_t:
                print(
                    f"  {t - surge_started:>6.0f} {rows_now - rows_before:>8,} "
                    f"{bisect.bisect_right(accept_times, t):>8,} {waiting_now:>8,} "
                    f"{bisect.bisect_right(confirm_times, t):>9,}"
                )
                next_t += step
    if args.profile:
        merged = PROFILES / "surge-workers.collapsed"
        with merged.open("w") as out:
            for _, output in profilers:
                if output.exists():
                    out.write(output.read_text())
        print_profile(
            merged,
            what=(
                "the threads sending email, waiting or not"
                if args.profile == "wall"
                else "worker threads holding the GIL"
            ),
            # The database pool's and the stalled-task sweeper's threads,
            # which wait all along beside the sending.
            skip_threads=(
                "psycopg_pool/pool.py:ConnectionPool.worker",
                "psycopg_pool/sched.py:Scheduler.run",
                "signatures/management/commands/run_worker.py:_sweep",
            ),
        )
    json_lag = seen_lags["count.json"][0]
    page_lag = seen_lags["page"][0]
    print(f"command: {command.strip()}")
    print(f"wall time: {time.monotonic() - wall_started:.0f} s")
    print(
        f"SURGE workers={args.workers} threads={threads} send_cap={send_cap} "
        f"smtp_delay_ms={args.smtp_delay_ms:g} duration_s={args.duration} "
        f"connections={args.connections} hello_rps={hello['rps']:.0f} "
        f"sign_rps={sign_rps:.1f} sign_ratio={sign_rps / hello['rps']:.3f} "
        f"signatures={stored} emails_per_s={emails_per_s:.1f} "
        f"drain_emails_per_s={drain_rate:.1f} per_worker_per_s={per_worker:.1f} "
        f"lag_p50_s={lag_p50:.2f} lag_p99_s={lag_p99:.2f} lag_max_s={lag_max:.2f} "
        f"lag_lower_bound={lower_bound} lag_est_p50_s={est_p50:.2f} "
        f"lag_est_p99_s={est_p99:.2f} lag_est_max_s={est_max:.2f} "
        f"backlog_end={backlog_end} drain_s={drain_s:.1f} "
        f"drain_estimated={int(bool(backlog_left))} "
        f"count_lag_p50_s={percentile(json_lag, 0.5):.2f} "
        f"count_lag_p99_s={percentile(json_lag, 0.99):.2f} "
        f"count_lag_max_s={max(json_lag, default=NAN):.2f} "
        f"page_lag_p99_s={percentile(page_lag, 0.99):.2f} "
        f"confirmed={len(signers.confirmed)} lost={lost} duplicates={duplicates} "
        f"errors={errors} smtp_sessions={mail.sessions} "
        f"worker_cpu_ms_per_email={cpu_per_email:.1f}"
    )
    problems = {
        "signatures lost": lost,
        "emails sent twice": duplicates,
        "errors": errors,
        "emails never sent (the queue did not drain in time)": backlog_left,
    }
    if args.check and any(problems.values()):
        sys.exit(
            "surge check failed: "
            + ", ".join(f"{n} {what}" for what, n in problems.items() if n)
        )


if __name__ == "__main__":
    main()
