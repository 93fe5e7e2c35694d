"""Helpers for tests that sign the way a browser does."""

import re
import time

from django.core import signing
from django.core.management import call_command

from signatures.forms import _RENDERED_AT_SALT


def rendered_seconds_ago(seconds: float) -> str:
    return signing.dumps(time.time() - seconds, salt=_RENDERED_AT_SALT)


def form_data(**overrides: str) -> dict[str, str]:
    """A valid signing form, as if filled in by a person over half a minute."""
    data = {
        "full_name": "Jane Doe",
        "email": "jane@example.org",
        "country": "CA",
        "postal_code": "K1A 0B1",
        "rendered_at": rendered_seconds_ago(30),
        "website": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def confirmation_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/(?:en|fr)/confirm/[^\s]+/)", message.body)
    assert match, f"no confirmation link in: {message.body}"
    return match.group(1)


def run_email_worker() -> None:
    """`manage.py run_worker --batch`: every email task ready now is run by
    the production worker (its threads included), then it returns."""
    call_command("run_worker", "--batch", "--no-startup-delay", verbosity=0)
