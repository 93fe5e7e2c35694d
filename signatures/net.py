"""Who is asking: the client's address, and the only form we keep of it."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from django.utils.crypto import salted_hmac


def unmapped_ip(address: str) -> str:
    """An address in one spelling per client: "::ffff:203.0.113.5", which an
    IPv6 socket bound to [::] (or a proxy) reports for an IPv4 client, is
    that client's "203.0.113.5". Left mapped, every IPv4 client would fall in
    one IPv6 /64 and share one rate-limit bucket; and one person would hash
    two ways. Not an address: returned as it is."""
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped:
        return str(parsed.ipv4_mapped)
    return str(parsed)


def client_ip(request: HttpRequest) -> str:
    """The client address, trusting X-Forwarded-For only as far as our proxies.

    Each of TRUSTED_PROXY_COUNT proxies appends the address it saw, so the
    client is that many entries from the right; anything further left was
    written by the client and proves nothing.
    """
    remote = request.META.get("REMOTE_ADDR", "") or "0.0.0.0"  # noqa: S104
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        chain = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(chain) >= proxies:
            candidate = unmapped_ip(chain[-proxies])
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return unmapped_ip(remote)


def ip_hash(ip: str) -> str:
    """A keyed hash: lets organizers spot many signatures from one address
    without the database ever holding the address itself."""
    return salted_hmac("signatures.ip", unmapped_ip(ip), algorithm="sha256").hexdigest()
