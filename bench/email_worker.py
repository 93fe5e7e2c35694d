"""How fast one email worker process drains a queue of confirmation emails,
with its threads, against the same worker with one thread (the yardstick,
measured in the same run: what one worker sent before issue 13).

    python bench/email_worker.py [--emails 3000] [--threads 32] [--delay-ms 30]

A fresh PostgreSQL database holds --emails signatures, each signed through
the sign view's own service, so each one's follow-up task is queued as in
production (TASKS_BACKEND=database, production settings): look the address
up, send the confirmation, forget the held submission. One `manage.py
run_worker --batch` process drains the queue into a real SMTP server on
loopback (bench/slow_smtp.py, a process of its own) that answers every
reply after --delay-ms, as a provider across the network does. The rate is
taken between the first and the last message the server accepted, so the
worker's start-up is not counted.
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PG = os.environ.get(
    "BENCH_PG", f"postgres://{os.environ.get('USER', 'root')}@127.0.0.1:5432"
)
DATABASE = os.environ.get("BENCH_DATABASE", "petition_workerbench")
ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DATABASE_URL": f"{PG}/{DATABASE}",
    "SECRET_KEY": "benchmark-only-not-a-secret-" + "x" * 30,
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",
    "TASKS_BACKEND": "database",
    "SITE_URL": "http://127.0.0.1:8000",
    # Replaced by the mail server's address for the worker.
    "EMAIL_URL": "smtp://127.0.0.1:25",
}
ENV.pop("REDIS_URL", None)
os.environ.update(ENV)

import django

django.setup()

from django.db import connection
from measure import PROFILES, find_py_spy, print_profile
from stack import drop_database, fresh_database, stop_process
from surge_actors import MailServer

from petition.models import Petition
from signatures.services.signing import signature_create


def queue(count: int, start: int) -> None:
    """`count` people sign, as the sign view has them sign: each new
    signature's follow-up task (look the address up, send the confirmation,
    forget the held submission) queued."""
    petition = Petition.objects.get()
    for n in range(start, start + count):
        signature_create(
            petition=petition,
            full_name=f"Signer {n}",
            email=f"signer{n}@example.org",
            country="CA",
            postal_code="K1A 0B1",
            wants_updates=False,
            show_name_publicly=False,
            language="en",
            ip_address="192.0.2.1",
        )


def drain(
    mail: MailServer, count: int, threads: int, profile: Path | None
) -> tuple[float, float]:
    """Emails per second one worker process sent, first to last accepted,
    and the CPU milliseconds it used per email (start-up included)."""
    mail.accepted.clear()
    command = [sys.executable, "manage.py", "run_worker", "--batch"]
    if profile:
        # Threads holding the GIL, sampled without pausing them.
        command = [
            *(find_py_spy(), "record", "--gil", "--nonblocking", "--rate", "250"),
            *("--format", "raw", "--output", str(profile), "--", *command),
        ]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    worker = subprocess.run(
        [*command, "--no-startup-delay"],
        cwd=ROOT,
        env={
            **ENV,
            "EMAIL_URL": f"smtp://127.0.0.1:{mail.port}",
            "EMAIL_WORKER_THREADS": str(threads),
        },
        capture_output=True,
        text=True,
    )
    # The last acceptances may still be on their way from the server's log.
    deadline = time.monotonic() + 10
    while len(mail.accepted) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    if worker.returncode or len(mail.accepted) != count:
        sys.exit(f"worker failed ({len(mail.accepted)}/{count}):\n{worker.stderr}")
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (
        cpu_before.ru_utime + cpu_before.ru_stime
    )
    first, last = mail.accepted[0][0], mail.accepted[-1][0]
    return (count - 1) / (last - first), 1000 * cpu / count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--emails", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--delay-ms", type=float, default=30)
    parser.add_argument(
        "--yardstick-emails",
        type=int,
        default=100,
        help="emails for the one-thread run (default: %(default)s)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample the threaded worker with py-spy and print where its CPU goes",
    )
    args = parser.parse_args()
    profile = PROFILES / "email_worker.collapsed" if args.profile else None
    if profile:
        PROFILES.mkdir(exist_ok=True)

    fresh_database(ENV, rows=0)
    mail = MailServer(args.delay_ms, Path(tempfile.mkdtemp()) / "smtp.log")
    try:
        queue(args.yardstick_emails, start=0)
        connection.close()
        one, one_cpu = drain(mail, args.yardstick_emails, 1, None)
        queue(args.emails, start=args.yardstick_emails)
        connection.close()
        many, many_cpu = drain(mail, args.emails, args.threads, profile)
    finally:
        stop_process(mail.process)
        connection.close_pool()
        drop_database(ENV)
    print(f"one worker process, {args.delay_ms:g} ms per SMTP reply")
    print(
        f"1 thread:    {one:7.1f} emails/s  (yardstick, {args.yardstick_emails} "
        f"emails, {one_cpu:.1f} ms CPU each)"
    )
    print(
        f"{args.threads} threads: {many:7.1f} emails/s  ({many / one:.1f}x, "
        f"{args.emails} emails, {many_cpu:.1f} ms CPU each)"
    )
    print(
        f"EMAIL_WORKER emails={args.emails} threads={args.threads} "
        f"delay_ms={args.delay_ms:g} one_thread_per_s={one:.1f} "
        f"threads_per_s={many:.1f} ratio={many / one:.1f} "
        f"cpu_ms_per_email={many_cpu:.2f}"
    )
    print(
        f"command: python bench/email_worker.py --emails {args.emails} "
        f"--threads {args.threads} --delay-ms {args.delay_ms:g}"
        + (" --profile" if profile else "")
    )
    if profile:
        print_profile(profile)


if __name__ == "__main__":
    main()
