"""A webhook receiver on a free loopback port: it records every request
and answers with the status the test sets."""

from dataclasses import dataclass
from email.message import Message

from tests.backing_services import LoopbackHTTP


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver(LoopbackHTTP):
    def __init__(self) -> None:
        super().__init__()
        self.status = 204
        self.headers: dict[str, str] = {}
        self.received: list[Received] = []

    @property
    def url(self) -> str:
        return f"{self.origin}/hooks"

    def answer_post(
        self, path: str, headers: Message, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        self.received.append(Received(path, dict(headers), body))
        return self.status, self.headers, b"ok"
