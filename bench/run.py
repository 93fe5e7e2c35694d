"""The load benchmark: `make bench` (or `make bench-smoke` for CI).

    python bench/run.py [--duration 30] [--connections 64] [--rows 0]

On this machine: a fresh PostgreSQL database, migrations, optionally --rows
existing signatures (bench/load_signatures.py), the app under gunicorn with
config/gunicorn.py and production settings (DEBUG off; only rate limits are
raised, for this benchmark), Redis as the cache, and the email queue in the
database. wrk then drives, one after the other:

  hello  a bare Django view under the same stack: this machine's yardstick
  page   the campaign page (count, progress bar, latest signers, the form)
  count  the public count endpoint
  sign   the sign POST, a new valid signer each time (real form, CSRF token,
         validation, the confirmation email queued)

It prints a table and a final machine-readable BENCH line; with --check it
exits non-zero on any error or any lost signature (the CI smoke run).

With --profile SCENARIO, py-spy samples every gunicorn worker while that
scenario runs (the threads holding the GIL: where the CPU goes) and the run
prints the share of samples by function; the whole sample is kept in
bench/profiles/ for a flame graph tool.
"""

import argparse
import collections
import os
import re
import resource
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
SLUG = "no-more-caged-families"
PORT = int(os.environ.get("BENCH_PORT", "8090"))
BASE = f"http://127.0.0.1:{PORT}"
PG = os.environ.get(
    "BENCH_PG", f"postgres://{os.environ.get('USER', 'root')}@127.0.0.1:5432"
)
DATABASE = os.environ.get("BENCH_DATABASE", "petition_loadbench")


def sh(*command: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, env=env, check=True, **kwargs)


def ensure_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk:
        return wrk
    print("Installing wrk (Debian package)...", flush=True)
    sh("apt-get", "install", "-y", "-qq", "wrk", stdout=subprocess.DEVNULL)
    return shutil.which("wrk") or sys.exit("wrk is not available")


def app_env(run_id: str, database: str = DATABASE) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"{PG}/{database}",
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
        "CACHE_KEY_PREFIX": f"bench-{run_id}",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback, no TLS proxy
        "TASKS_BACKEND": "database",
        "SIGN_RATE_PER_MINUTE": "100000000/m",  # raised for this benchmark only
        "SIGN_RATE_PER_HOUR": "100000000/h",
        "BENCHMARK_HELLO_VIEW": "true",
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


def start_server(env: dict[str, str]) -> subprocess.Popen:
    server = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "-c", "python:config.gunicorn", "config.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{BASE}/healthz", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    sys.exit(f"gunicorn did not start: {server.stderr.read().decode()[-2000:]}")


def form_tokens() -> dict[str, str]:
    """What a browser sends with the form: the page carries no token, and
    its origin is said in the request's headers (signatures/crossorigin.py)."""
    return {"BENCH_ORIGIN": BASE}


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(
    server: subprocess.Popen, more: dict[int, str] | None = None
) -> dict[str, float]:
    """CPU time used so far by the app (gunicorn and its workers),
    PostgreSQL, Redis and wrk, from /proc: where a scenario's CPU went.
    `more` names other processes (pid -> part), counted with their children."""
    roots = {**(more or {}), server.pid: "app"}
    used: collections.Counter[str] = collections.Counter()
    parents: dict[int, int] = {}
    ticks: dict[int, tuple[str, int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # the process ended
        pid = int(text.split(" ", 1)[0])
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        parents[pid] = int(fields[1])
        # utime, stime, and those of waited-for children (PostgreSQL's
        # backends come and go; what they used is added to the postmaster).
        ticks[pid] = (name, sum(int(f) for f in fields[11:15]))
    for pid, (name, n) in ticks.items():
        ancestor = pid
        while ancestor > 1 and ancestor not in roots:
            ancestor = parents.get(ancestor, 1)
        if ancestor in roots:
            used[roots[ancestor]] += n
        elif name.startswith("postgres"):
            used["postgres"] += n
        elif name.startswith("redis-server"):
            used["redis"] += n
        elif name == "wrk":
            used["wrk"] += n
    return {k: v / _CLOCK_TICKS for k, v in used.items()}


def run_wrk(
    wrk: str, url: str, script: str, seconds: int, connections: int, env: dict
) -> dict:
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        [
            wrk,
            f"-t{min(4, connections)}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            f"bench/{script}",
            url,
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_cpu = (children_after.ru_utime + children_after.ru_stime) - (
        children_before.ru_utime + children_before.ru_stime
    )
    counts = dict(
        (k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", out.split("BENCH_WRK", 1)[1])
    )
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        "p99": _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
        "max": _ms(re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", out).group(1)),
        "errors": counts["status_errors"] + counts["socket_errors"],
        "requests": counts["requests"],
        "wrk_cpu": wrk_cpu,
    }


PROFILES = ROOT / "bench" / "profiles"


def find_py_spy() -> str:
    py_spy = shutil.which("py-spy", path=str(Path(PYTHON).parent)) or shutil.which(
        "py-spy"
    )
    return py_spy or sys.exit("--profile needs py-spy (pip install py-spy)")


def start_profiler(
    py_spy: str, pid: int, scenario: str, seconds: int, *, wall: bool = False
):
    """py-spy on process `pid` and its children. By default only the threads
    holding the GIL (where the CPU goes); with `wall`, every thread, waiting
    or not (where the time goes, for processes that mostly wait)."""
    PROFILES.mkdir(exist_ok=True)
    output = PROFILES / f"{scenario}.collapsed"
    output.unlink(missing_ok=True)
    process = subprocess.Popen(
        [
            py_spy,
            "record",
            "--pid",
            str(pid),
            "--subprocesses",
            "--nonblocking",  # never pauses the workers it samples
            "--idle" if wall else "--gil",
            "--format",
            "raw",
            "--rate",
            "250",
            "--duration",
            str(seconds),
            "--output",
            str(output),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    return process, output


def _function(frame: str) -> str:
    """'get (django/core/cache/backends/redis.py:123)' -> 'django/core/cache/
    backends/redis.py:get', so the lines of one function add up."""
    match = re.fullmatch(r"(.*) \((.*?)(?::\d+)?\)", frame)
    if not match:
        return frame
    name, path = match.groups()
    for marker in ("site-packages/", "python3.11/", str(ROOT) + "/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{path}:{name}"


def print_profile(
    output: Path,
    top: int = 30,
    *,
    what: str = "busy worker threads",
    skip_threads: tuple[str, ...] = (),
) -> None:
    """Inclusive share of the samples per function: how much of the busy
    time was spent in it or in what it called. Samples of threads that
    started in a function of `skip_threads` are left out."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in output.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        # Drop the process/thread frames py-spy puts first.
        frames = [_function(f) for f in stack.split(";") if " (" in f]
        if any(start in frames for start in skip_threads):
            continue
        n = int(count)
        total += n
        for function in set(frames):
            inclusive[function] += n
        if frames:
            own[frames[-1]] += n
    if not total:
        print("profile: no samples")
        return
    print(f"\nprofile: {total:,} samples of {what} ({output})")
    print(f"{'incl %':>7} {'self %':>7}  function")
    for function, n in inclusive.most_common(top):
        print(
            f"{100 * n / total:>7.1f} {100 * own[function] / total:>7.1f}  {function}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=30, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rows", type=int, default=0, help="signatures loaded first")
    parser.add_argument("--check", action="store_true", help="fail on errors or losses")
    parser.add_argument(
        "--profile",
        choices=["hello", "page", "count", "sign"],
        help="sample the workers with py-spy during this scenario",
    )
    args = parser.parse_args()
    command = "python bench/run.py " + " ".join(sys.argv[1:])

    wrk = ensure_wrk()
    py_spy = find_py_spy() if args.profile else ""
    cores = len(os.sched_getaffinity(0))
    run_id = secrets.token_hex(3)
    env = app_env(run_id)
    fresh_database(env, args.rows)
    server = start_server(env)
    try:
        tokens = form_tokens()
        wrk_env = {**os.environ, **tokens, "BENCH_RUN_ID": run_id}
        scenarios = [
            ("hello", f"{BASE}/bench/hello/", "get.lua"),
            ("page", f"{BASE}/en/p/{SLUG}/", "get.lua"),
            ("count", f"{BASE}/p/{SLUG}/count.json", "get.lua"),
        ]
        scenarios.append(("sign", f"{BASE}/en/p/{SLUG}/sign/", "sign.lua"))
        results = {}
        profile = None
        for name, url, script in scenarios:
            if name == "sign":
                before = signature_rows(env)
            if name == args.profile:
                profile = start_profiler(py_spy, server.pid, name, args.duration)
            cpu_before = cpu_seconds(server)
            results[name] = run_wrk(
                wrk, url, script, args.duration, args.connections, wrk_env
            )
            cpu_after = cpu_seconds(server)
            # wrk has exited by now and left /proc: run_wrk measured it.
            results[name]["cpu"] = {
                k: cpu_after.get(k, 0) - cpu_before.get(k, 0)
                for k in ("app", "postgres", "redis")
            }
        stored = signature_rows(env) - before
        if profile:
            try:
                _, profile_errors = profile[0].communicate(timeout=120)
            except subprocess.TimeoutExpired:
                profile[0].kill()
                _, profile_errors = profile[0].communicate()
    finally:
        server.terminate()
        server.wait(timeout=60)

    sign = results["sign"]
    succeeded = sign["requests"] - sign["errors"]
    # wrk stops counting when time is up, but requests already sent still
    # complete: up to one per connection is stored without a counted reply.
    lost = max(0, succeeded - stored)
    in_flight = max(0, stored - succeeded)
    hello_rps = results["hello"]["rps"]
    errors = sum(r["errors"] for r in results.values())

    print(
        f"\n{args.rows:,} signatures before the run; {args.connections} connections, "
        f"{args.duration} s per scenario; {cores} cores"
    )
    print(
        f"{'scenario':<8} {'req/s':>9} {'vs hello':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'max ms':>8} {'errors':>7}"
    )
    for name, r in results.items():
        print(
            f"{name:<8} {r['rps']:>9.0f} {r['rps'] / hello_rps:>9.2f} {r['p50']:>8.1f} "
            f"{r['p99']:>8.1f} {r['max']:>8.1f} {r['errors']:>7}"
        )
    print(
        "\nCPU per request, ms (from /proc; "
        f"{cores} cores x {args.duration} s available per scenario)"
    )
    print(
        f"{'scenario':<8} {'app':>7} {'postgres':>9} {'redis':>7} {'wrk':>7} "
        f"{'total':>7} {'busy %':>7}"
    )
    for name, r in results.items():
        parts = {**r["cpu"], "wrk": r["wrk_cpu"]}
        total = sum(parts.values())
        per = {k: 1000 * v / max(r["requests"], 1) for k, v in parts.items()}
        busy = 100 * total / (cores * args.duration)
        print(
            f"{name:<8} {per['app']:>7.2f} {per['postgres']:>9.2f} "
            f"{per['redis']:>7.2f} {per['wrk']:>7.2f} "
            f"{1000 * total / max(r['requests'], 1):>7.2f} {busy:>7.0f}"
        )
    print(
        f"sign: {succeeded:,} successful responses, {stored:,} rows stored, lost {lost} "
        f"({in_flight} completed after wrk stopped counting)"
    )
    print(
        f"BENCH rows={args.rows} hello_rps={hello_rps:.0f} "
        f"page_rps={results['page']['rps']:.0f} page_ratio={results['page']['rps'] / hello_rps:.2f} "
        f"page_p99_ms={results['page']['p99']:.1f} count_rps={results['count']['rps']:.0f} "
        f"sign_rps={sign['rps']:.0f} sign_ratio={sign['rps'] / hello_rps:.2f} "
        f"sign_p99_ms={sign['p99']:.1f} errors={errors} lost={lost}"
    )
    if profile and profile[1].exists():
        print_profile(profile[1])
    elif profile:
        # Often ptrace refused (a container without CAP_SYS_PTRACE).
        print(f"\nprofile: py-spy recorded nothing: {profile_errors.strip()[-500:]}")
    print(f"command: {command.strip()}")
    if args.check and (errors or lost or in_flight > args.connections):
        sys.exit("benchmark smoke run: errors or lost signatures")


if __name__ == "__main__":
    main()
