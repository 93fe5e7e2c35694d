"""POSTing to an address an organizer typed, without letting that address
reach inside our own network (server-side request forgery).

Every address the host name resolves to is checked when the request is
made, not only when the URL was saved, and the connection goes to the very
address checked: a name that resolved to a public address at the check and
to 127.0.0.1 a moment later (DNS rebinding) cannot slip through. HTTPS only,
with the certificate checked against the host name; redirects are never
followed (http.client does not), and every step has a short time-out.

WEBHOOKS_ALLOW_LOOPBACK (tests and development only) lets loopback
addresses through, over plain HTTP too; every other private range stays
refused.
"""

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# What is kept of a receiver's answer, for the delivery log.
ANSWER_KEPT_CHARS = 200
# WEBHOOKS_TIMEOUT bounds each wait for a byte; a receiver that sends one
# now and then would never meet it, and would hold the worker for hours.
# The whole exchange is cut off after this many of them.
WHOLE_EXCHANGE_TIMEOUTS = 3


class AddressRefused(Exception):
    """The URL may not be requested: its scheme, or where its host leads."""


@dataclass(frozen=True)
class Answer:
    status: int
    text: str


def _is_public(address: IPAddress) -> bool:
    # is_global alone lets multicast through; the others are spelled out so
    # the rule reads as the README states it.
    return address.is_global and not (
        address.is_multicast
        or address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_reserved
        or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local)
        or address.is_unspecified
    )


def _allowed(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if settings.WEBHOOKS_ALLOW_LOOPBACK and address.is_loopback:
        return True
    return _is_public(address)


def _target(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL we may request, or AddressRefused."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise AddressRefused(_("The port is not a number.")) from None
    host = parts.hostname or ""
    if parts.scheme not in {"https", "http"} or not host:
        raise AddressRefused(_("Enter an address starting with https://."))
    if parts.username or parts.password:
        raise AddressRefused(_("Leave the user name and password out of the address."))
    if parts.scheme == "http" and not settings.WEBHOOKS_ALLOW_LOOPBACK:
        raise AddressRefused(_("Only HTTPS addresses may receive webhooks."))
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80)


def checked_addresses(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, if all of them may be reached;
    AddressRefused if any may not (a name with one private address among
    public ones is refused: which one a connection uses is not ours to say)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise AddressRefused(
            _("The host %(host)s could not be found.") % {"host": host}
        ) from None
    addresses = []
    for *_rest, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if not _allowed(address):
            raise AddressRefused(
                _(
                    "%(host)s leads to %(address)s, a private or reserved address "
                    "that webhooks may not reach."
                )
                % {"host": host, "address": address}
            )
        addresses.append(str(address))
    if not addresses:
        raise AddressRefused(
            _("The host %(host)s could not be found.") % {"host": host}
        )
    # In order, once each.
    return list(dict.fromkeys(addresses))


def _reachable(url: str) -> tuple[str, str, int, list[str]]:
    """(scheme, host, port, addresses) of a URL we may request now."""
    scheme, host, port = _target(url)
    addresses = checked_addresses(host, port)
    if scheme == "http" and not all(
        ipaddress.ip_address(address).is_loopback for address in addresses
    ):
        # Plain HTTP is for a test's own server, never across a network.
        raise AddressRefused(_("Only HTTPS addresses may receive webhooks."))
    return scheme, host, port, addresses


def check_url(url: str) -> None:
    """AddressRefused if `url` may not be requested now."""
    _reachable(url)


def _connect(addresses: list[str], port: int, timeout: float | None) -> socket.socket:
    """A connection to the first of the checked addresses that answers."""
    failure: OSError = OSError("no address to connect to")
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as error:
            failure = error
    raise failure


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to addresses already checked, whatever DNS says now."""

    def __init__(
        self, host: str, port: int, *, addresses: list[str], timeout: float
    ) -> None:
        super().__init__(host, port, timeout=timeout)
        self.checked_addresses = addresses

    def connect(self) -> None:
        self.sock = _connect(self.checked_addresses, self.port, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(
        self, host: str, port: int, *, addresses: list[str], timeout: float
    ) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.checked_addresses = addresses

    def connect(self) -> None:
        sock = _connect(self.checked_addresses, self.port, self.timeout)
        # The certificate is checked against the host name, not the address.
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def post(url: str, *, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to `url` if its host may be reached; AddressRefused if
    not, OSError (time-out included) if the network fails."""
    scheme, host, port, addresses = _reachable(url)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    kind = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = kind(
        host, port, addresses=addresses, timeout=settings.WEBHOOKS_TIMEOUT
    )
    deadline = settings.WEBHOOKS_TIMEOUT * WHOLE_EXCHANGE_TIMEOUTS
    expired = threading.Event()

    def cut_off() -> None:
        expired.set()
        if connection.sock is not None:
            with contextlib.suppress(OSError):
                connection.sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(deadline, cut_off)
    timer.daemon = True
    timer.start()
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": f"{settings.SITE_NAME} webhooks",
                **headers,
            },
        )
        response = connection.getresponse()
        text = response.read(ANSWER_KEPT_CHARS).decode("utf-8", "replace")
    except (http.client.HTTPException, OSError) as error:
        if expired.is_set():
            raise _too_slow(deadline) from None
        if isinstance(error, OSError):
            raise
        raise OSError(f"{type(error).__name__}: {error}") from None
    finally:
        timer.cancel()
        connection.close()
    if expired.is_set():  # an answer cut short reads as a complete one
        raise _too_slow(deadline)
    return Answer(status=response.status, text=text)


def _too_slow(deadline: float) -> OSError:
    return TimeoutError(f"timed out: no whole answer within {deadline} seconds")
