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

The mail server, the signers, the count watchers and the bench's view of
the database are in bench/surge_actors.py; the figures and the report in
bench/surge_report.py.
"""

import argparse
import contextlib
import os
import resource
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
from measure import (
    cpu_seconds,
    find_py_spy,
    run_wrk,
    start_profiler,
)
from stack import (
    BASE,
    DATABASE,
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
from surge_actors import (
    CountWatcher,
    Database,
    MailServer,
    Sampler,
    Signers,
    worker_settings,
)
from surge_report import report

SURGE_DATABASE = f"{DATABASE}_surge"


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

    report(
        args=args,
        command=command,
        wall_started=wall_started,
        cores=cores,
        hello=hello,
        sign=sign,
        threads=threads,
        send_cap=send_cap,
        mail=mail,
        signers=signers,
        watchers=watchers,
        sampler=sampler,
        profilers=profilers,
        signatures=signatures,
        waiting=waiting,
        failed_tasks=failed_tasks,
        rows_before=rows_before,
        base_count=base_count,
        surge_started=surge_started,
        surge_ended=surge_ended,
        drained_at=drained_at,
        workers_stopped=workers_stopped,
        backlog_end=backlog_end,
        backlog_left=backlog_left,
        cpu_before=cpu_before,
        cpu_after=cpu_after,
        self_before=self_before,
        self_after=self_after,
    )


if __name__ == "__main__":
    main()
