"""The load benchmark: `make bench` (or `make bench-smoke` for CI).

    python bench/run.py [--duration 20] [--connections 64] [--rows 0]

On this machine: a fresh PostgreSQL database, migrations, optionally --rows
existing signatures (bench/load_signatures.py), app nodes under gunicorn with
config/gunicorn.py and production settings (DEBUG off; only rate limits are
raised, for this benchmark), Redis as the cache, and the email queue in the
database. wrk then drives, one after the other:

  hello        the yardstick: bare Django (bench/hello: one view, no
               middleware, no database) under gunicorn with 4 sync workers
  app-hello    the same view behind all of the app's middleware
               (bench/urls.py), one app node, direct
  page         the campaign page, in English and French in turn, one node
  count        the public count endpoint, one node
  sign         the sign POST, a new valid signer each time (the form as a
               browser sends it, validation, the confirmation email queued)
  proxy-page   the campaign page through nginx (deploy/nginx.conf, as
               shipped) in front of two app nodes sharing PostgreSQL and Redis
  proxy-count  the count endpoint, the same way
  proxy-sign   the sign POST, the same way

It prints a table, the CPU each request cost, issue 14's targets with PASS
or MISS, and a final machine-readable BENCH line; with --check it exits
non-zero on any error or any lost signature (the CI smoke run).

With --profile SCENARIO, py-spy samples every gunicorn worker (of the first
node, through the proxy) while that scenario runs and the run prints the
share of samples by function; the whole sample is kept in bench/profiles/.
"""

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from measure import (
    AccessLogs,
    cpu_seconds,
    find_py_spy,
    print_profile,
    run_wrk,
    start_profiler,
)
from report import report
from stack import (
    BASE,
    PORT,
    SLUG,
    app_env,
    ensure_wrk,
    form_tokens,
    free_port,
    fresh_database,
    signature_rows,
    start_hello,
    start_nginx,
    start_server,
    start_servers,
    stop_process,
)

LANGUAGES = ("en", "fr")
PAGES = " ".join(f"/{language}/p/{SLUG}/" for language in LANGUAGES)
SCENARIOS = ["hello", "app-hello", "page", "count", "sign"]
SCENARIOS += ["proxy-page", "proxy-count", "proxy-sign"]
CPU_PARTS = ("app", "postgres", "redis", "nginx")


class Run:
    """One scenario after another; what each measured, in `results`."""

    def __init__(
        self, args: argparse.Namespace, env: dict[str, str], run_id: str
    ) -> None:
        self.args = args
        self.env = env
        # Each signing run its own addresses (BENCH_RUN_ID in sign.lua): one
        # signer twice is one row.
        self.run_id = run_id
        self.warm_ups = 0
        self.database = env["DATABASE_URL"].rsplit("/", 1)[1]
        self.wrk = ensure_wrk()
        self.py_spy = find_py_spy() if args.profile else ""
        self.results: dict[str, dict] = {}
        self.profile: tuple | None = None

    def measure(
        self,
        name: str,
        servers: dict[subprocess.Popen, str],
        url: str,
        script: str,
        extra_env: dict[str, str],
        logs: AccessLogs | None = None,
    ) -> None:
        """wrk on `url` for --duration; the CPU used by `servers` (process ->
        part: app, nginx) and by PostgreSQL and Redis meanwhile."""
        first = next(iter(servers))
        more = {process.pid: part for process, part in servers.items()}
        if "sign" in name:
            before = signature_rows(self.env)
        if name == self.args.profile:
            self.profile = start_profiler(
                self.py_spy, first.pid, name, self.args.duration
            )
        if logs:
            logs.mark()
        wrk_env = {**os.environ, **extra_env}
        cpu_before = cpu_seconds(first, more, database=self.database)
        result = run_wrk(
            self.wrk, url, script, self.args.duration, self.args.connections, wrk_env
        )
        cpu_after = cpu_seconds(first, more, database=self.database)
        # wrk has exited by now and left /proc: run_wrk measured it.
        # Never below zero: a PostgreSQL backend that exits takes its count.
        result["cpu"] = {
            k: max(0.0, cpu_after.get(k, 0) - cpu_before.get(k, 0)) for k in CPU_PARTS
        }
        if "sign" in name:
            result["stored"] = signature_rows(self.env) - before
        if logs:
            time.sleep(0.5)  # the last answers' lines written
            result["reached_app"] = logs.request_lines()
        self.results[name] = result

    def wanted(self, name: str) -> bool:
        return not self.args.only or name in self.args.only


def warm_up(run: Run, base: str, *, sign: bool = False) -> None:
    """A node just started has every worker's first pages still to render
    (templates compiled, translations and the database pool opened): a
    short wrk run on each path first, so the figures are of a warm node."""
    seconds = 1 if run.args.duration < 10 else 2
    jobs = [
        (base, "pages.lua", {"BENCH_PATHS": PAGES}),
        (f"{base}/p/{SLUG}/count.json", "get.lua", {}),
    ]
    if sign:
        run.warm_ups += 1
        tokens = form_tokens(base)
        jobs.append(
            (
                f"{base}/en/p/{SLUG}/sign/",
                "sign.lua",
                {**tokens, "BENCH_RUN_ID": f"{run.run_id}w{run.warm_ups}"},
            )
        )
    for url, script, extra in jobs:
        wrk_env = {**os.environ, **extra}
        run_wrk(run.wrk, url, script, seconds, run.args.connections, wrk_env)
    time.sleep(1)  # what was still in flight is done before anything is counted


def direct(run: Run) -> None:
    """The app-hello, page, count and sign scenarios on one node, no proxy."""
    # bench/settings.py: the production settings, with the hello view added.
    node = start_server({**run.env, "DJANGO_SETTINGS_MODULE": "bench.settings"})
    try:
        warm_up(run, BASE, sign=run.wanted("sign"))
        tokens = form_tokens(BASE) | {"BENCH_RUN_ID": f"{run.run_id}d"}
        for name, url, script, extra in [
            ("app-hello", f"{BASE}/bench/hello/", "get.lua", {}),
            ("page", BASE, "pages.lua", {"BENCH_PATHS": PAGES}),
            ("count", f"{BASE}/p/{SLUG}/count.json", "get.lua", {}),
            ("sign", f"{BASE}/en/p/{SLUG}/sign/", "sign.lua", tokens),
        ]:
            if run.wanted(name):
                run.measure(name, {node: "app"}, url, script, extra)
    finally:
        stop_process(node, 60)


def proxied(run: Run, workdir: Path) -> dict[str, str]:
    """The proxy-* scenarios: nginx in front of two nodes. For the page and
    the count, each node logs the requests that reach it, to count them;
    then the nodes are started again without, to sign, as the direct
    figures are taken. Returns the page's headers through the proxy."""
    # The client's address is the one nginx puts in X-Forwarded-For.
    env = {**run.env, "TRUSTED_PROXY_COUNT": "1"}
    ports = [PORT, free_port()]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    logs = AccessLogs([workdir / f"node-{n}.log" for n in (1, 2)])
    nodes = []
    nginx = None
    try:
        nodes = start_servers(env, ports, logs.paths)
        for base in bases:
            warm_up(run, base)
        nginx, nginx_port = start_nginx(
            [f"127.0.0.1:{port}" for port in ports], workdir / "nginx"
        )
        proxy = f"http://127.0.0.1:{nginx_port}"
        # Twice: the second answer shows whether the first was kept.
        for _ in range(2):
            with urllib.request.urlopen(f"{proxy}/en/p/{SLUG}/", timeout=10) as page:
                headers = dict(page.headers)
        for name, url, script, extra in [
            ("proxy-page", proxy, "pages.lua", {"BENCH_PATHS": PAGES}),
            ("proxy-count", f"{proxy}/p/{SLUG}/count.json", "get.lua", {}),
        ]:
            if run.wanted(name):
                servers = {nodes[0]: "app", nodes[1]: "app", nginx: "nginx"}
                run.measure(name, servers, url, script, extra, logs)
        if run.wanted("proxy-sign"):
            for node in nodes:
                stop_process(node, 60)
            nodes = start_servers(env, ports)
            for base in bases:
                warm_up(run, base, sign=True)
            tokens = form_tokens(proxy) | {"BENCH_RUN_ID": f"{run.run_id}p"}
            servers = {nodes[0]: "app", nodes[1]: "app", nginx: "nginx"}
            url = f"{proxy}/en/p/{SLUG}/sign/"
            run.measure("proxy-sign", servers, url, "sign.lua", tokens)
        return headers
    finally:
        for process in [nginx, *nodes]:
            if process is not None:
                stop_process(process, 60)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=20, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rows", type=int, default=0, help="signatures loaded first")
    parser.add_argument("--check", action="store_true", help="fail on errors or losses")
    parser.add_argument(
        "--profile",
        choices=SCENARIOS,
        help="sample the workers with py-spy during this scenario",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=SCENARIOS,
        help="run only these scenarios (hello always runs: the yardstick)",
    )
    args = parser.parse_args()
    command = "python bench/run.py " + " ".join(sys.argv[1:])

    run_id = secrets.token_hex(3)
    env = app_env(run_id)
    run = Run(args, env, run_id)
    fresh_database(env, args.rows)
    workdir = Path(tempfile.mkdtemp(prefix="bench-run-"))
    page_headers: dict[str, str] = {}
    try:
        hello_port = free_port()
        hello = start_hello(hello_port)
        try:
            url = f"http://127.0.0.1:{hello_port}/hello/"
            # Every worker's first request imports what Django imports late.
            run_wrk(run.wrk, url, "get.lua", 1, args.connections, dict(os.environ))
            run.measure("hello", {hello: "app"}, url, "get.lua", {})
        finally:
            stop_process(hello)
        if any(run.wanted(name) for name in SCENARIOS[1:5]):
            direct(run)
        if any(run.wanted(name) for name in SCENARIOS[5:]):
            page_headers = proxied(run, workdir)
    finally:
        if run.profile and run.profile[0].poll() is None:
            try:
                run.profile[0].communicate(timeout=120)
            except subprocess.TimeoutExpired:
                run.profile[0].kill()
        shutil.rmtree(workdir, ignore_errors=True)

    failed = report(run.results, page_headers, args, command)
    if run.profile and run.profile[1].exists():
        print_profile(run.profile[1])
    elif run.profile:
        # Often ptrace refused (a container without CAP_SYS_PTRACE).
        errors = run.profile[0].stderr.read() if run.profile[0].stderr else ""
        print(f"\nprofile: py-spy recorded nothing: {errors.strip()[-500:]}")
    if args.check and failed:
        sys.exit("benchmark smoke run: errors or lost signatures")


if __name__ == "__main__":
    main()
