"""How fast one thread sends emails when it keeps its SMTP session open,
against a new session per email (the yardstick, measured in the same run).

    python bench/mail_sessions.py [--emails 200] [--delay-ms 25]

A real SMTP server (aiosmtpd) on loopback answers every command after
--delay-ms, as a provider across the network does; the emails are the
site's own confirmation emails, rendered from real signatures in a
throwaway SQLite database.
"""

import argparse
import asyncio
import logging
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
_db = Path(tempfile.mkdtemp(prefix="mail-bench-")) / "db.sqlite3"
os.environ.update(
    DJANGO_SETTINGS_MODULE="config.settings",
    DATABASE_URL=f"sqlite:///{_db}",
    SECRET_KEY=os.environ.get("SECRET_KEY", "benchmark-only-not-a-secret-" + "x" * 30),
    ALLOW_CONSOLE_EMAIL="true",
)
os.environ.pop("REDIS_URL", None)

import django

django.setup()

from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.management import call_command

from petition.models import Petition
from signatures import emails
from signatures.emails import EmailKind
from signatures.models import Signature


class SlowServer:
    """Answers each command after `delay` seconds; counts what it took."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.received = 0

    async def _wait(self) -> None:
        await asyncio.sleep(self.delay)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        await self._wait()
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server, session, envelope, address, options):
        await self._wait()
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        await self._wait()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        await self._wait()
        self.received += 1
        return "250 Message accepted for delivery"


def rate(signatures: list[Signature], *, keep: bool) -> float:
    emails.forget_kept_connection()
    started = time.perf_counter()
    for signature in signatures:
        if not keep:
            emails.forget_kept_connection()
        emails.send_signature_email(signature, EmailKind.CONFIRM)
    elapsed = time.perf_counter() - started
    emails.forget_kept_connection()
    return len(signatures) / elapsed


def main() -> None:
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's chatter
    parser = argparse.ArgumentParser()
    parser.add_argument("--emails", type=int, default=200)
    parser.add_argument("--delay-ms", type=float, default=25)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    petition = Petition.objects.get()
    version = petition.current_version
    Signature.objects.bulk_create(
        Signature(
            petition=petition,
            petition_version=version,
            full_name=f"Signer {n}",
            email=f"signer{n}@example.org",
            email_canonical=f"signer{n}@example.org",
            country="CA",
            postal_code="K1A 0B1",
            language="en",
        )
        for n in range(args.emails)
    )
    signatures = list(Signature.objects.select_related("petition"))

    handler = SlowServer(args.delay_ms / 1000)
    with socket.socket() as probe:  # a free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    try:
        new_each = rate(signatures, keep=False)
        kept = rate(signatures, keep=True)
    finally:
        controller.stop()
    assert handler.received == 2 * args.emails, handler.received
    print(f"{args.emails} emails, {args.delay_ms:g} ms per SMTP reply, one thread")
    print(f"new session per email: {new_each:7.1f} emails/s  (yardstick)")
    print(f"one kept session:      {kept:7.1f} emails/s  ({kept / new_each:.2f}x)")
    print(
        f"MAIL_SESSIONS emails={args.emails} delay_ms={args.delay_ms:g} "
        f"new_each_per_s={new_each:.1f} kept_per_s={kept:.1f} "
        f"ratio={kept / new_each:.2f}"
    )
    print(
        f"command: python bench/mail_sessions.py --emails {args.emails} "
        f"--delay-ms {args.delay_ms:g}"
    )


if __name__ == "__main__":
    main()
