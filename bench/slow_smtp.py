"""An SMTP server handler (aiosmtpd) that answers like a provider across the
network: each command after a delay. Shared by the mail benchmarks."""

import asyncio


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
