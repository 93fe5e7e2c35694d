"""Who is asking: the client's address, and the only form we keep of it."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from django.utils.crypto import salted_hmac


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
            candidate = chain[-proxies]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return remote


def ip_hash(ip: str) -> str:
    """A keyed hash: lets organizers spot many signatures from one address
    without the database ever holding the address itself."""
    return salted_hmac("signatures.ip", ip, algorithm="sha256").hexdigest()
