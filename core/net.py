"""Who is asking: the client's address, and the only form we keep of it."""

import hashlib
import hmac
import ipaddress
import os

from django.conf import settings
from django.http import HttpRequest


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


# The key of every IP address hash, in signatures and in logs alike, so an
# operator can match a log line's "ip-…" to the signatures it stands for.
# Derived from SECRET_KEY: rotating SECRET_KEY changes every hash made after.
IP_HASH_SALT = "signatures.ip"


def _secret() -> str:
    try:
        return settings.SECRET_KEY
    except Exception:  # before Django is configured (gunicorn's master)
        return os.environ.get("SECRET_KEY", "")


def ip_hash(ip: str) -> str:
    """A keyed hash: lets organizers spot many signatures from one address
    without the database ever holding the address itself. An IPv4 client
    seen through an IPv6 socket ("::ffff:203.0.113.5") hashes as the plain
    address. Django's salted_hmac, written out so that gunicorn's master,
    which logs before Django is set up, hashes the same way."""
    key = hashlib.sha256((IP_HASH_SALT + _secret()).encode()).digest()
    return hmac.new(key, unmapped_ip(ip).encode(), hashlib.sha256).hexdigest()


def ip_hash_in_logs(ip: str) -> str:
    """The start of ip_hash, marked: short enough for a log line, and a
    signature's hash starts with the same twelve characters."""
    return f"ip-{ip_hash(ip)[:12]}"
