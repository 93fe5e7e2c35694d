"""bench/run.py's report: the table, the CPU per request, what reached the
app through the proxy, and issue 14's targets, each with PASS or MISS."""

import argparse
import os
import re

from measure import shared_cache_seconds
from stack import SLUG

LANGUAGES = ("en", "fr")


def _lost(result: dict) -> tuple[int, int, int]:
    """Successful answers, and the signatures lost and completed after wrk
    stopped counting: wrk stops when time is up, but requests already sent
    still complete, up to one per connection stored without a counted reply."""
    succeeded = result["requests"] - result["errors"]
    stored = result["stored"]
    return succeeded, max(0, succeeded - stored), max(0, stored - succeeded)


def _cpu_ms(result: dict, parts: tuple[str, ...]) -> float:
    return 1000 * sum(result["cpu"][p] for p in parts) / max(result["requests"], 1)


def _page_renders(result: dict) -> dict[str, int]:
    """The campaign page requests that reached the app, per language."""
    renders = dict.fromkeys(LANGUAGES, 0)
    for line in result["reached_app"]:
        if match := re.fullmatch(rf"(?:GET|HEAD) /(\w\w)/p/{SLUG}/ HTTP/[\d.]+", line):
            renders[match[1]] = renders.get(match[1], 0) + 1
    return renders


def report(
    results: dict[str, dict],
    page_headers: dict[str, str],
    args: argparse.Namespace,
    command: str,
) -> bool:
    """Prints the report; whether any request failed or signature was lost."""
    cores = len(os.sched_getaffinity(0))
    hello = results["hello"]
    print(
        f"\n{args.rows:,} signatures before the run; {args.connections} connections, "
        f"{args.duration} s per scenario; {cores} cores"
    )
    print(
        f"{'scenario':<12} {'req/s':>9} {'vs hello':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'max ms':>8} {'errors':>7}"
    )
    for name, r in results.items():
        print(
            f"{name:<12} {r['rps']:>9.0f} {r['rps'] / hello['rps']:>9.2f} "
            f"{r['p50']:>8.1f} {r['p99']:>8.1f} {r['max']:>8.1f} {r['errors']:>7}"
        )

    print(
        "\nCPU per request, ms (from /proc; PostgreSQL: this database's backends "
        f"and the server's shared processes; {cores} cores x {args.duration} s "
        "available per scenario)"
    )
    print(
        f"{'scenario':<12} {'app':>7} {'postgres':>9} {'redis':>7} {'nginx':>7} "
        f"{'wrk':>7} {'total':>7} {'busy %':>7}"
    )
    for name, r in results.items():
        parts = {**r["cpu"], "wrk": r["wrk_cpu"]}
        per = {k: 1000 * v / max(r["requests"], 1) for k, v in parts.items()}
        busy = 100 * sum(parts.values()) / (cores * args.duration)
        print(
            f"{name:<12} {per['app']:>7.2f} {per['postgres']:>9.2f} "
            f"{per['redis']:>7.2f} {per['nginx']:>7.2f} {per['wrk']:>7.2f} "
            f"{sum(per.values()):>7.2f} {busy:>7.0f}"
        )

    failed = any(r["errors"] for r in results.values())
    for name in ("sign", "proxy-sign"):
        if name in results:
            succeeded, lost, in_flight = _lost(results[name])
            failed |= bool(lost) or in_flight > args.connections
            print(
                f"{name}: {succeeded:,} successful responses, "
                f"{results[name]['stored']:,} rows stored, lost {lost} "
                f"({in_flight} completed after wrk stopped counting)"
            )

    cache_control = page_headers.get("Cache-Control", "(none)")
    period = shared_cache_seconds(cache_control)
    if page_headers:
        print(
            f"\nThe campaign page through the proxy: Cache-Control: {cache_control}; "
            f"X-Cache-Status: {page_headers.get('X-Cache-Status', '(none)')}"
        )
    for name in ("proxy-page", "proxy-count", "proxy-sign"):
        if "reached_app" in results.get(name, {}):
            r = results[name]
            reached = len(r["reached_app"])
            print(
                f"{name}: {reached:,} requests reached the app nodes, "
                f"{100 * reached / max(r['requests'], 1):.1f}% of those answered"
            )

    targets = _targets(results, period, cache_control, args)
    print(
        f"\nTargets (issue 14), against the bare hello's {hello['rps']:,.0f} req/s "
        f"and {_cpu_ms(hello, ('app',)):.2f} ms of CPU a request in this run"
    )
    print(f"{'':<50} {'figure':>18} {'target':>8}")
    for what, figure, target, met in targets:
        print(f"{what:<50} {figure:>18} {target:>8}  {'PASS' if met else 'MISS'}")
    if "proxy-page" in results:
        renders = _page_renders(results["proxy-page"])
        print(
            "  page requests that reached the app during proxy-page, per language: "
            + ", ".join(f"{lang} {n}" for lang, n in renders.items())
            + (
                f"; cache period: s-maxage or max-age {period} s"
                if period
                else f"; the page may not be kept by a shared cache ({cache_control})"
            )
        )
    if "app-hello" in results and "proxy-sign" in results:
        # The hand measurement (13 ms against 0.87 ms, about 15x) took
        # the app's own hello as the yardstick: the same ratio, for comparison.
        sign = _cpu_ms(results["proxy-sign"], ("app", "postgres", "redis"))
        app_hello = _cpu_ms(results["app-hello"], ("app", "postgres", "redis"))
        print(
            f"  sign CPU vs the app's own hello ({app_hello:.2f} ms, all its "
            f"middleware): {sign / max(app_hello, 1e-9):.1f}x"
        )

    print(_bench_line(results, period, args))
    print(f"command: {command.strip()}")
    return failed


def _targets(
    results: dict[str, dict],
    period: int | None,
    cache_control: str,
    args: argparse.Namespace,
) -> list[tuple[str, str, str, bool]]:
    hello = results["hello"]
    targets = []
    if "proxy-page" in results:
        ratio = results["proxy-page"]["rps"] / hello["rps"]
        targets.append(
            ("page through the proxy, vs hello", f"{ratio:.2f}x", ">= 5x", ratio >= 5)
        )
        renders = _page_renders(results["proxy-page"])
        if period:
            # Cache periods begun during the run, the first one included.
            periods = args.duration // period + 1
            worst = max(renders.values()) / periods
            figure = f"{worst:.2f}"
        else:
            worst = float("inf")
            figure = "not cacheable"
        targets.append(
            ("page renders per language per cache period", figure, "<= 1", worst <= 1)
        )
    if "page" in results:
        ratio = results["page"]["rps"] / hello["rps"]
        targets.append(
            (
                "page direct to one node, vs hello",
                f"{ratio:.2f}x",
                ">= 0.6x",
                ratio >= 0.6,
            )
        )
    if "proxy-sign" in results:
        sign = results["proxy-sign"]
        _, lost, _ = _lost(sign)
        targets.append(
            (
                "sign through the proxy: errors",
                str(sign["errors"]),
                "0",
                not sign["errors"],
            )
        )
        targets.append(("sign through the proxy: lost", str(lost), "0", not lost))
        cpu = _cpu_ms(sign, ("app", "postgres", "redis"))
        ratio = cpu / max(_cpu_ms(hello, ("app",)), 1e-9)
        targets.append(
            (
                "sign CPU (app + PostgreSQL + Redis) vs one hello",
                f"{cpu:.2f} ms = {ratio:.1f}x",
                "<= 8x",
                ratio <= 8,
            )
        )
    return targets


def _bench_line(results: dict[str, dict], period: int | None, args) -> str:
    hello_rps = results["hello"]["rps"]
    fields = {"rows": args.rows, "hello_rps": f"{hello_rps:.0f}"}
    fields["hello_cpu_ms"] = f"{_cpu_ms(results['hello'], ('app',)):.2f}"
    for name, r in results.items():
        if name == "hello":
            continue
        key = name.replace("-", "_")
        fields[f"{key}_rps"] = f"{r['rps']:.0f}"
        fields[f"{key}_ratio"] = f"{r['rps'] / hello_rps:.2f}"
        fields[f"{key}_p99_ms"] = f"{r['p99']:.1f}"
        if "stored" in r:
            fields[f"{key}_cpu_ms"] = f"{_cpu_ms(r, ('app', 'postgres', 'redis')):.2f}"
            fields[f"{key}_lost"] = _lost(r)[1]
    if "proxy-page" in results:
        renders = _page_renders(results["proxy-page"])
        fields["proxy_page_app_requests"] = sum(renders.values())
        fields["page_cache_s"] = period or 0
    fields["errors"] = sum(r["errors"] for r in results.values())
    return "BENCH " + " ".join(f"{k}={v}" for k, v in fields.items())
