"""Personal data never reaches a log: email addresses are masked, IP
addresses replaced by a keyed hash, and signed links cut out, in Django's
logs and in gunicorn's access log alike.

Logs travel further than the database (log shippers, support tickets,
screenshots) and are kept by other rules, so they get none of what the
privacy page promises to delete.
"""

import ipaddress
import logging
import re
import traceback
from typing import Any, cast

from gunicorn.glogging import Logger as GunicornBaseLogger

from core.net import ip_hash_in_logs

# Local parts without "/", "=", "?" and quotes, which in logs mostly belong
# to the path, query string or Python repr around an address. Each pattern
# starts only where a run of its characters starts, and is bounded, so a long
# line costs linear time.
_LOCAL = r"[\w.!#$%&*+^`|~-]"
_EMAIL = re.compile(
    rf"(?<!{_LOCAL})(?P<first>{_LOCAL}){_LOCAL}{{0,63}}@(?P<domain>[\w-]{{1,63}}(?:\.[\w-]{{1,63}}){{1,8}})"
)
# Candidates only: each is checked with ipaddress, so times (12:30:05) and
# version numbers that are not addresses stay as they are.
_IP_CANDIDATE = re.compile(r"(?<![\w:.])[0-9A-Fa-f:.]{2,60}(?![\w:.])")
# What django.core.signing produces: value, timestamp and signature, colon-separated.
_SIGNED_TOKEN = re.compile(r"(?<![\w-])[\w-]{1,200}:[\w-]{4,20}:[\w-]{20,100}")
# Django's password-reset link (an organizer's "choose a password" link):
# /password/<user id>/<token>/, and the /password/<user id>/set-password/ it
# redirects to.
_RESET_LINK = re.compile(r"(?<=/password/)[^/\s?#\"]{1,100}/[^/\s?#\"]{1,100}(?=/)")
# A query string, up to the end of the URL it belongs to.
_QUERY = re.compile(r"\?([^\s\"#]{0,8192})")
# A parameter's name worth keeping in a log ("q", "p", "status__exact").
_PARAMETER_NAME = re.compile(r"[a-z_][a-z0-9_]{0,40}")
# Escapes a link rewriter or a query string may use for "@" and ":".
_ESCAPES = re.compile(r"%(?:40|3a)", re.IGNORECASE)
# Beyond this, a log line is cut: nothing worth reading is that long.
MAX_LENGTH = 8192


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _ip(match: re.Match) -> str:
    candidate = match.group(0)
    # An address may end a sentence ("from 203.0.113.5.") or carry a port.
    bare = candidate.rstrip(".:")
    suffix = candidate[len(bare) :]
    if not _is_ip(bare) and bare.count(":") == 1:
        bare, port = bare.split(":")
        suffix = f":{port}{suffix}"
    return ip_hash_in_logs(bare) + suffix if _is_ip(bare) else candidate


def redact(text: str) -> str:
    if len(text) > MAX_LENGTH:
        text = text[:MAX_LENGTH] + " [cut]"
    text = _ESCAPES.sub(lambda m: "@" if m.group(0)[1] == "4" else ":", text)
    text = _SIGNED_TOKEN.sub("[signed-link]", text)
    text = _RESET_LINK.sub("[reset-link]", text)
    text = _EMAIL.sub(lambda m: f"{m['first']}•••@{m['domain']}", text)
    return _IP_CANDIDATE.sub(_ip, text)


def _parameter_names(query: str) -> str:
    """ "q=Jane+Doe&p=2" -> "q=*&p=*": what was asked for, not the values
    (an organizer's search for a signer's name, email or postal code)."""
    return "&".join(
        f"{name}=*" if has_value and _PARAMETER_NAME.fullmatch(name) else "*"
        for name, has_value, _ in (part.partition("=") for part in query.split("&"))
    )


def without_query_values(text: str) -> str:
    """Every URL's query string in `text` cut down to its parameter names."""
    return _QUERY.sub(lambda match: "?" + _parameter_names(match[1]), text)


class RedactPersonalData(logging.Filter):
    """On a handler: every record it writes, whoever logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logging's own business
            return True
        record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(
                traceback.format_exception(*record.exc_info)
            ).rstrip()
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class GunicornLogger(GunicornBaseLogger):
    """gunicorn's logger, with the access log's client address hashed, signed
    and password-reset links cut out of the request line and referrer, and
    query strings (an organizer's search terms) down to parameter names."""

    _REDACTED_ATOMS = ("r", "U", "q", "f", "{referer}i", "{x-forwarded-for}i")
    _URL_ATOMS = ("r", "f", "{referer}i")

    def atoms(self, resp, req, environ, request_time):
        # A plain dict at run time, with an atom per request header
        # ("{referer}i") besides the fixed ones the stubs' TypedDict names.
        atoms = cast(dict[str, Any], super().atoms(resp, req, environ, request_time))
        atoms["h"] = redact(str(atoms.get("h", "-")))
        for name in self._URL_ATOMS:
            if name in atoms:
                atoms[name] = without_query_values(str(atoms[name]))
        if atoms.get("q"):
            atoms["q"] = _parameter_names(str(atoms["q"]))
        for name in self._REDACTED_ATOMS:
            if name in atoms:
                atoms[name] = redact(str(atoms[name]))
        return atoms

    def setup(self, cfg) -> None:
        super().setup(cfg)
        redaction = RedactPersonalData()
        for handler in [*self.error_log.handlers, *self.access_log.handlers]:
            handler.addFilter(redaction)
