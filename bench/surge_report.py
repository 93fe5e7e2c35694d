"""The surge's figures (bench/surge.py), from what the run measured: the
table, the timeline, the profile and the machine-readable SURGE line; and
--check's verdict."""

import bisect
import collections
import sys
import time

from measure import PROFILES, print_profile
from surge_actors import count_lags

INF, NAN = float("inf"), float("nan")


def percentile(values: list[float], share: float) -> float:
    if not values:
        return NAN
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def seconds(value: float, *, at_least: bool = False) -> str:
    return ("≥" if at_least else "") + f"{value:.2f} s"


def report(
    *,
    args,
    command,
    wall_started,
    cores,
    hello,
    sign,
    threads,
    send_cap,
    mail,
    signers,
    watchers,
    sampler,
    profilers,
    signatures,
    waiting,
    failed_tasks,
    rows_before,
    base_count,
    surge_started,
    surge_ended,
    drained_at,
    workers_stopped,
    backlog_end,
    backlog_left,
    cpu_before,
    cpu_after,
    self_before,
    self_after,
) -> None:
    """Everything the run measured, by the names bench/surge.py gives it."""
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
