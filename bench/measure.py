"""How the benchmarks measure: wrk's figures, the CPU each part used (from
/proc), what the app nodes' access logs saw, and py-spy profiles."""

import collections
import os
import re
import resource
import shutil
import subprocess
import sys
from pathlib import Path

from stack import PYTHON, ROOT

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _postgres_part(pid: int, database: str) -> bool:
    """Whether a PostgreSQL process works for `database`: its own backends
    and the server's shared processes (WAL writer, checkpointer...), not the
    backends of other databases, which other work on the machine may keep
    busy."""
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    backend = re.search(r"\d+\.\d+\.\d+\.\d+\(\d+\)|\[local\]", title)
    return not backend or f" {database} " in title


def cpu_seconds(
    server: subprocess.Popen,
    more: dict[int, str] | None = None,
    *,
    database: str = "",
) -> dict[str, float]:
    """CPU time used so far by the app (gunicorn and its workers),
    PostgreSQL, Redis and wrk, from /proc: where a scenario's CPU went.
    `more` names other processes (pid -> part), counted with their children.
    With `database`, PostgreSQL is only what works for that database (the
    CPU of its backends that have exited is then missed: the app's pool
    keeps them)."""
    roots = {**(more or {}), server.pid: "app"}
    used: collections.Counter[str] = collections.Counter()
    parents: dict[int, int] = {}
    ticks: dict[int, tuple[str, int, int]] = {}
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
        own = int(fields[11]) + int(fields[12])
        ticks[pid] = (name, own, own + int(fields[13]) + int(fields[14]))
    for pid, (name, own, with_children) in ticks.items():
        ancestor = pid
        while ancestor > 1 and ancestor not in roots:
            ancestor = parents.get(ancestor, 1)
        if ancestor in roots:
            used[roots[ancestor]] += with_children
        elif name.startswith("postgres"):
            if not database:
                used["postgres"] += with_children
            elif _postgres_part(pid, database):
                # The postmaster's children's share is every database's.
                used["postgres"] += own
        elif name.startswith("redis-server"):
            used["redis"] += with_children
        elif name == "wrk":
            used["wrk"] += with_children
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
    counts = {
        k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", out.split("BENCH_WRK", 1)[1])
    }
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        "p99": _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
        "max": _ms(re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", out).group(1)),
        "errors": counts["status_errors"] + counts["socket_errors"],
        "requests": counts["requests"],
        "wrk_cpu": wrk_cpu,
    }


class AccessLogs:
    """The app nodes' access logs (gunicorn's, one file per node): which
    requests reached the app, between two marks."""

    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths
        self._offsets = [0] * len(paths)

    def mark(self) -> None:
        self._offsets = [p.stat().st_size if p.exists() else 0 for p in self.paths]

    def request_lines(self) -> list[str]:
        """The request lines ("GET /path HTTP/1.0") logged since the mark."""
        lines = []
        for path, offset in zip(self.paths, self._offsets, strict=True):
            with path.open("rb") as log:
                log.seek(offset)
                text = log.read().decode(errors="replace")
            lines += re.findall(r'"([A-Z]+ \S+ HTTP/[\d.]+)"', text)
        return lines


def shared_cache_seconds(cache_control: str) -> int | None:
    """How long a shared cache (a proxy, a CDN) may keep a response with this
    Cache-Control, or None if it may not."""
    directives = {}
    for directive in cache_control.lower().split(","):
        name, _, value = directive.strip().partition("=")
        directives[name] = value.strip('" ')
    if directives.keys() & {"private", "no-store", "no-cache"}:
        return None
    for name in ("s-maxage", "max-age"):
        if directives.get(name, "").isdigit():
            return int(directives[name]) or None
    return None


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
