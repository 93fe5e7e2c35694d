"""An SMTP server on loopback that answers like a provider across the network:
every reply (the greeting, EHLO, MAIL, RCPT, DATA, the end of the data, QUIT)
comes after a fixed delay. Run as its own process, so its CPU never shares a
GIL with whatever measures:

    python bench/slow_smtp.py --port 2525 --delay-ms 30

It prints one JSON line when it listens ({"e": "ready"}), one per SMTP
session opened ({"e": "session"}), and one per message it accepted, stamped
when the "250" went out:

    {"e": "accepted", "t": <unix time>, "to": "<recipient>", "link": "<url>"}

where `link` is the confirmation link found in the message ("" if none).
"""

import argparse
import asyncio
import json
import re
import signal
import sys
import time

from aiosmtpd.smtp import SMTP

# The link in the confirmation email (templates/emails/confirm_signature.txt):
# the token is signing.dumps() output, base64url and colons.
CONFIRM_LINK = re.compile(rb"https?://[^\s\"'<>]+/confirm/[A-Za-z0-9_:\-]+/")


def emit(event: dict) -> None:
    sys.stdout.write(json.dumps(event, separators=(",", ":")) + "\n")
    sys.stdout.flush()


class Recorder:
    """aiosmtpd handler: takes every message, notes its recipient and link."""

    async def handle_DATA(self, server, session, envelope):
        link = CONFIRM_LINK.search(envelope.original_content or envelope.content)
        session.accepted = [
            (to, link.group().decode() if link else "") for to in envelope.rcpt_tos
        ]
        return "250 OK"


class SlowSMTP(SMTP):
    """Each reply after `delay` seconds. One delay per reply, not per line:
    the continuation lines of a multi-line reply (EHLO's "250-...") go out
    with its last line."""

    def __init__(self, *args, delay: float, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.delay = delay

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        emit({"e": "session"})

    async def push(self, status) -> None:
        text = status if isinstance(status, str) else status.decode()
        if self.delay and text[3:4] != "-":
            await asyncio.sleep(self.delay)
        await super().push(status)
        accepted = getattr(self.session, "accepted", None)
        if accepted and text.startswith("250 "):
            self.session.accepted = None
            now = time.time()
            for to, link in accepted:
                emit({"e": "accepted", "t": now, "to": to, "link": link})


async def serve(port: int, delay: float) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    handler = Recorder()
    server = await loop.create_server(
        # A fixed host name: aiosmtpd would otherwise look up the FQDN for
        # every connection.
        lambda: SlowSMTP(handler, hostname="bench-smtp", delay=delay),
        host="127.0.0.1",
        port=port,
    )
    emit({"e": "ready"})
    await stop.wait()
    server.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay-ms", type=float, default=30)
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.delay_ms / 1000))


if __name__ == "__main__":
    main()
